package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// ErrNoScheduler is returned by RequestControl when no scheduler runs the
// study (nobody answers on its request subject).
var ErrNoScheduler = errors.New("no scheduler is running the study")

// controlPatience bounds how long the scheduler's side may take to answer
// one request (it is answered once committed).
const controlPatience = 30 * time.Second

// ServeControl answers the requests users send the scheduler of a study
// (automl stop, budget, enqueue, retry) on the core subject
// automl.requests.<study>, which workers may not publish to: handle turns
// a request into its reply (package control's Serve; both are opaque
// here). Unsubscribe the returned subscription when the scheduler's Run
// ends.
func ServeControl(nc *nats.Conn, study string, handle func(ctx context.Context, req []byte) []byte, log *slog.Logger) (*nats.Subscription, error) {
	if err := checkStudy(study); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	sub, err := nc.Subscribe(requestSubject(study), func(m *nats.Msg) {
		ctx, cancel := context.WithTimeout(context.Background(), controlPatience)
		rep := handle(ctx, m.Data)
		cancel()
		if err := m.Respond(rep); err != nil {
			log.Warn("answer a request to the study", "study", study, "err", err)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("serve requests to study %s: %w", study, err)
	}
	return sub, nil
}

// RequestControl sends a request to the scheduler of a study and returns
// its reply. It fails with ErrNoScheduler when no scheduler runs the
// study.
func RequestControl(ctx context.Context, nc *nats.Conn, study string, req []byte) ([]byte, error) {
	if err := checkStudy(study); err != nil {
		return nil, err
	}
	m, err := nc.RequestWithContext(ctx, requestSubject(study), req)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, fmt.Errorf("study %s: %w", study, ErrNoScheduler)
	}
	if err != nil {
		return nil, fmt.Errorf("request to study %s: %w", study, err)
	}
	return m.Data, nil
}
