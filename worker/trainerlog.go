package worker

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"automl/plugins"
	"automl/trial"
)

// slotLog is what a slot's trainer process writes to its own stderr (a
// plugin's lines between trials, a trainer's warnings), logged with the
// worker, the slot and the trial the slot last ran: a trainer's warnings
// (plugins.WarningPrefix) at warning level, the rest at debug, or at info
// with Options.TrainerLogs.
type slotLog struct {
	log   *slog.Logger
	level slog.Level

	mu  sync.Mutex
	key trial.Key // the slot's trial, as runnerFor last set it
}

// running notes the trial the slot runs now.
func (s *slotLog) running(k trial.Key) {
	s.mu.Lock()
	s.key = k
	s.mu.Unlock()
}

func (s *slotLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	k := s.key
	s.mu.Unlock()
	attrs := []any{"study", k.Study, "trial", k.ID, "attempt", k.Attempt}
	if k.Study == "" {
		attrs = nil // no trial yet
	}
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if w, ok := strings.CutPrefix(line, plugins.WarningPrefix); ok {
			s.log.Warn("trainer: "+w, attrs...)
		} else if line != "" {
			s.log.Log(context.Background(), s.level, "trainer: "+line, attrs...)
		}
	}
	return len(p), nil
}
