package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"automl/backends/natsbus/fleet"
)

// joinTimeout bounds an enrollment request.
const joinTimeout = 15 * time.Second

// Join connects a worker named name to the fleet a token names. With the
// token's join credential it first enrolls a key of its own (made now,
// held in memory) under its sender token, then connects as itself, with
// the rights of a worker under that name only; a token without one
// connects with opts (the worker's own credentials for a server the team
// runs). With the token's authority pin, the server must prove it holds a
// certificate of that authority. The connection reconnects forever, as
// Connect's do.
func Join(ctx context.Context, tok fleet.Token, name string, log *slog.Logger, opts ...nats.Option) (*nats.Conn, error) {
	sender := SenderToken(name)
	base := append([]nats.Option(nil), opts...)
	if tok.CAPin != nil {
		base = append(base, nats.Secure(fleet.ClientTLS(tok.CAPin)))
	}
	if tok.Join == "" {
		return Connect(tok.URL, "automl-worker-"+sender, log, base...)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, err
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, err
	}
	if err := enroll(ctx, tok, sender, pub, log, base); err != nil {
		return nil, err
	}
	log.Info("enrolled in the fleet", "name", sender, "nkey", pub)
	return Connect(tok.URL, "automl-worker-"+sender, log,
		append(base, nats.Nkey(pub, kp.Sign), nats.CustomInboxPrefix(WorkerInbox(sender)))...)
}

// enroll asks the fleet's server, as a holder of the join credential, to
// admit pub under sender.
func enroll(ctx context.Context, tok fleet.Token, sender, pub string, log *slog.Logger, base []nats.Option) error {
	joinOpt, err := seedOption(tok.Join)
	if err != nil {
		return fmt.Errorf("%w: %w", fleet.ErrToken, err)
	}
	nc, err := Connect(tok.URL, "automl-join-"+sender, log, append(base, joinOpt, nats.CustomInboxPrefix(joinInbox))...)
	if errors.Is(err, ErrRefused) {
		return fmt.Errorf("join the fleet at %s: %w (the token was revoked or is for another server: get a new one with automl fleet token)", tok.URL, err)
	}
	if err != nil {
		return fmt.Errorf("join the fleet at %s: %w", tok.URL, err)
	}
	defer nc.Close()
	data, err := json.Marshal(joinRequest{Name: sender, NKey: pub})
	if err != nil {
		return err
	}
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		rctx, cancel := context.WithTimeout(ctx, joinTimeout)
		m, err := nc.RequestWithContext(rctx, joinSubject, data)
		cancel()
		if err == nil {
			var r joinReply
			if err := json.Unmarshal(m.Data, &r); err != nil {
				return fmt.Errorf("join the fleet: unreadable answer: %w", err)
			}
			if r.Error != "" {
				return fmt.Errorf("join the fleet: refused: %s", r.Error)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Not connected yet, or no scheduler answering (restarting): keep
		// asking, as a worker waits for its server.
		log.Warn("join the fleet: no answer yet; asking again", "url", tok.URL, "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
