package plugins_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"automl/plugins"
	"automl/search/value"
)

// syncBuffer is a bytes.Buffer safe for the plugin's output goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Everything a Go plugin prints while a trial runs is that trial's log, up
// to its very last line, and nothing of one trial reaches the next, though
// the process runs both and its outputs are read apart from the result.
func TestPluginOutputIsTheTrialsLog(t *testing.T) {
	host := &syncBuffer{}
	cfg := builtinConfig(t, "t-print")
	cfg.Stderr = host
	p := open(t, cfg)
	for id := 1; id <= 3; id++ {
		rep := &logReporter{}
		if _, err := p.Run(context.Background(), spec("t-print", id), rep); err != nil {
			t.Fatal(err)
		}
		got := rep.texts()
		want := []string{
			"stdout: stdout of trial " + itoa(id),
			"stderr: stderr of trial " + itoa(id),
			"stderr: progress of trial " + itoa(id),
			"stderr: last words of trial " + itoa(id),
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("trial %d: its log lacks %q:\n%s", id, w, strings.Join(got, "\n"))
			}
		}
		if !slices.ContainsFunc(got, func(l string) bool { return strings.HasSuffix(l, "log package in trial "+itoa(id)) }) {
			t.Errorf("trial %d: the log package's line is missing:\n%s", id, strings.Join(got, "\n"))
		}
		for _, l := range got {
			if !strings.HasSuffix(l, " "+itoa(id)) {
				t.Errorf("trial %d's log holds a line of another trial or the host: %q", id, l)
			}
			if strings.Contains(l, "warning") || strings.Contains(l, "\x1e") {
				t.Errorf("trial %d's log holds %q", id, l)
			}
		}
		if len(got) != 5 {
			t.Errorf("trial %d: %d lines, want 5:\n%s", id, len(got), strings.Join(got, "\n"))
		}
	}
	if out := host.String(); !strings.Contains(out, plugins.WarningPrefix+"a warning of trial 3") || strings.Contains(out, "stdout of trial") {
		t.Errorf("the host's writer got:\n%s\nwant the warnings only", out)
	}
}

// A plugin that panics: its panic is in the trial's log, with what it
// printed before on its own stderr (the log package's lines). What it
// wrote to os.Stdout and os.Stderr goes through go-plugin's stdio stream,
// which a crash may cut before it is read.
func TestPluginCrashIsInTheLog(t *testing.T) {
	p := open(t, builtinConfig(t, "t-print"))
	rep := &logReporter{}
	_, err := p.Run(context.Background(), spec("t-print", 5, param("panic", value.Bool(true))), rep)
	if err == nil {
		t.Fatal("a panicking plugin's trial did not fail")
	}
	log := strings.Join(rep.texts(), "\n")
	for _, want := range []string{"log package in trial 5", "stderr: panic: boom in trial 5", "goroutine "} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
}

// A reporter that keeps no log: the plugin's output goes to the host's
// writer, as before trial logs.
func TestPluginOutputWithoutATrialLog(t *testing.T) {
	host := &syncBuffer{}
	cfg := builtinConfig(t, "t-print")
	cfg.Stderr = host
	p := open(t, cfg)
	if _, err := p.Run(context.Background(), spec("t-print", 2), &reporter{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the host's writer to get the trial's lines", func() bool {
		return strings.Contains(host.String(), "stdout of trial 2") && strings.Contains(host.String(), "progress of trial 2")
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
