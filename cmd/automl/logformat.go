package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
)

// logFormat is --log-format, a flag of every command: "text" (key=value
// lines, the default) or "json" (one JSON object a line, log/slog's
// JSONHandler: time, level, msg and the attributes).
var logFormat = "text"

func addLogFormatFlag(root *cobra.Command) {
	root.PersistentFlags().StringVar(&logFormat, "log-format", "text", "log lines as text (key=value) or json (one JSON object a line; the live progress line is then off, a progress record is logged instead)")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if logFormat != "text" && logFormat != "json" {
			return usagef("--log-format %q: want text or json", logFormat)
		}
		return nil
	}
}

// trainerLogsHelp is --trainer-logs' help (automl search and worker).
const trainerLogsHelp = "log each line a trainer prints (stdout and stderr) at info, with the trial's study, trial, attempt, worker and slot (default: at debug; automl logs shows them either way)"

// jsonLogs reports whether log lines are JSON (--log-format json).
func jsonLogs() bool { return logFormat == "json" }

// logHandler is the slog handler of --log-format writing to w.
func logHandler(w io.Writer, level slog.Leveler) slog.Handler {
	o := &slog.HandlerOptions{Level: level}
	if jsonLogs() {
		return slog.NewJSONHandler(w, o)
	}
	return slog.NewTextHandler(w, o)
}

// say writes a line meant for people (the next step, how to continue a
// study) to w: as it is, or with --log-format json as a record of level,
// so that every line of stderr is JSON.
func say(w io.Writer, level slog.Level, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !jsonLogs() {
		fmt.Fprintln(w, msg)
		return
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	_ = slog.NewJSONHandler(w, nil).Handle(context.Background(), r)
}
