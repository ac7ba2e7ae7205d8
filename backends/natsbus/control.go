package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"automl/scheduler"
)

// ErrNoScheduler is returned by RequestStop when no scheduler runs the
// study (nobody answers on its request subject).
var ErrNoScheduler = errors.New("no scheduler is running the study")

// Stopper is what ServeStops forwards requests to (*scheduler.Scheduler).
type Stopper interface {
	StopTrials(ctx context.Context, ids []int, reason string) (scheduler.StopResult, error)
}

// stopRequest travels on automl.requests.<study>.
type stopRequest struct {
	Op     string `json:"op"` // "stop"
	IDs    []int  `json:"ids,omitempty"`
	Reason string `json:"reason,omitempty"`
}

type stopReply struct {
	Result scheduler.StopResult `json:"result"`
	Error  string               `json:"error,omitempty"`
}

// ServeStops answers stop requests for a study (automl stop) with s, on the
// core subject automl.requests.<study>. Unsubscribe the returned
// subscription when the scheduler's Run ends.
func ServeStops(nc *nats.Conn, study string, s Stopper, log *slog.Logger) (*nats.Subscription, error) {
	if err := checkStudy(study); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	sub, err := nc.Subscribe(requestSubject(study), func(m *nats.Msg) {
		var req stopRequest
		var rep stopReply
		if err := json.Unmarshal(m.Data, &req); err != nil || req.Op != "stop" {
			rep.Error = fmt.Sprintf("unreadable request on %s", m.Subject)
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			rep.Result, err = s.StopTrials(ctx, req.IDs, req.Reason)
			cancel()
			if err != nil {
				rep.Error = err.Error()
			}
			log.Info("stop request", "study", study, "trials", req.IDs, "err", rep.Error)
		}
		data, _ := json.Marshal(rep)
		if err := m.Respond(data); err != nil {
			log.Warn("answer stop request", "err", err)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("serve stop requests of %s: %w", study, err)
	}
	return sub, nil
}

// RequestStop asks the scheduler of a study to stop trials (ids) or, with
// no ids, the whole study. It fails with ErrNoScheduler when no scheduler
// runs the study.
func RequestStop(ctx context.Context, nc *nats.Conn, study string, ids []int, reason string) (scheduler.StopResult, error) {
	if err := checkStudy(study); err != nil {
		return scheduler.StopResult{}, err
	}
	data, err := json.Marshal(stopRequest{Op: "stop", IDs: ids, Reason: reason})
	if err != nil {
		return scheduler.StopResult{}, err
	}
	m, err := nc.RequestWithContext(ctx, requestSubject(study), data)
	if errors.Is(err, nats.ErrNoResponders) {
		return scheduler.StopResult{}, fmt.Errorf("study %s: %w", study, ErrNoScheduler)
	}
	if err != nil {
		return scheduler.StopResult{}, fmt.Errorf("stop request to study %s: %w", study, err)
	}
	var rep stopReply
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		return scheduler.StopResult{}, fmt.Errorf("stop request to study %s: bad answer: %w", study, err)
	}
	if rep.Error != "" {
		return rep.Result, fmt.Errorf("study %s: %s", study, rep.Error)
	}
	return rep.Result, nil
}
