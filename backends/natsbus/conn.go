package natsbus

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"automl/internal/probe"
)

// ErrRefused is returned by Connect when the server refuses the client's
// credentials or TLS: retrying cannot help, so it fails at once.
var ErrRefused = errors.New("nats server refused the connection")

// ErrUnreachable is returned by Connect when nothing listens at the one
// server it was given (connection refused, unknown host) on its first
// try: a server that is not there is said at once, not waited for.
var ErrUnreachable = errors.New("nats server not reachable")

// unreachableAfter is the tries (a second apart) a first connection makes
// to a server that is not there before Connect fails with ErrUnreachable:
// a server restarting (down for a moment) is waited for, one that is not
// running is said within about 2 s.
const unreachableAfter = 2

// firstConnectWait is how long Connect waits for a first connection before
// it returns a client that keeps trying in the background.
const firstConnectWait = 3 * time.Second

// Connect dials NATS with the options every automl client needs: it
// reconnects forever (the client's default gives up after about two
// minutes, which would strand a long study), retries a failed first
// connect, names the connection (it shows in server monitoring), and logs
// disconnects and reconnects. extra options (credentials, TLS, an
// in-process server) are applied after these.
//
// A server that refuses the credentials (authorization violation) or the
// TLS handshake fails Connect with ErrRefused and the server's reason. One
// server (a single URL) that refuses the TCP connection or whose host is
// unknown fails it with ErrUnreachable: start the server first (a service
// manager restarts a worker that came up before it). A server that cannot
// be reached otherwise (a timeout, one of a cluster's) does not: Connect
// waits a few seconds, then returns a client that keeps trying, and says
// so in the log. Once connected, a client reconnects forever.
func Connect(url, name string, log *slog.Logger, extra ...nats.Option) (*nats.Conn, error) {
	if log == nil {
		log = slog.Default()
	}
	refused := make(chan error, 1)
	unreachable := make(chan error, 1)
	var unreachableTries atomic.Int32
	single := !strings.Contains(url, ",")
	connected := make(chan struct{}, 1)
	opts := append([]nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(time.Second),
		nats.ConnectHandler(func(*nats.Conn) {
			select {
			case connected <- struct{}{}:
			default:
			}
		}),
		nats.ReconnectErrHandler(func(nc *nats.Conn, err error) {
			if isRefusal(err) {
				select {
				case refused <- err:
				default:
				}
				log.Error("nats server refuses this client; check its credentials and TLS", "conn", name, "err", err)
				return
			}
			if single && isUnreachable(err) && unreachableTries.Add(1) == unreachableAfter {
				select {
				case unreachable <- err:
				default:
				}
			}
			log.Debug("nats connect attempt failed", "conn", name, "err", err)
		}),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if nc.IsClosed() || nc.IsDraining() {
				return // closed on purpose
			}
			log.Warn("nats disconnected; reconnecting forever", "conn", name, "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "conn", name, "url", nc.ConnectedUrlRedacted())
			probe.Get().Reconnected(name)
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			log.Debug("nats connection closed", "conn", name)
		}),
		nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Error("nats async error", "conn", name, "subject", subj, "err", err)
		}),
	}, extra...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		if single && isUnreachable(err) {
			return nil, fmt.Errorf("connect to nats %s as %s: %w: %w", url, name, ErrUnreachable, err)
		}
		if isRefusal(err) {
			return nil, fmt.Errorf("connect to nats %s as %s: %w: %w", url, name, ErrRefused, err)
		}
		return nil, fmt.Errorf("connect to nats %s as %s: %w", url, name, err)
	}
	if nc.IsConnected() {
		return nc, nil
	}
	select {
	case <-connected:
	case err := <-refused:
		nc.Close()
		return nil, fmt.Errorf("connect to nats %s as %s: %w: %w (give --user/--password, --token, --nkey or --creds, and --tls-* for a TLS server)", url, name, ErrRefused, err)
	case err := <-unreachable:
		nc.Close()
		return nil, fmt.Errorf("connect to nats %s as %s: %w: %w", url, name, ErrUnreachable, err)
	case <-time.After(firstConnectWait):
		log.Warn("nats server not reachable yet; retrying forever", "conn", name, "url", url)
	}
	return nc, nil
}

// isRefusal reports errors a retry cannot fix: the server rejected the
// credentials, or TLS failed.
func isRefusal(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked) ||
		errors.Is(err, nats.ErrAccountAuthExpired) || errors.Is(err, nats.ErrNkeysNotSupported) {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "authorization violation") || strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:") ||
		strings.Contains(msg, "secure connection") || strings.Contains(msg, "certificate")
}

// isUnreachable reports a dial that found nothing at the address: the
// connection refused, or a host name that does not resolve.
func isUnreachable(err error) bool {
	var dns *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &dns) && dns.IsNotFound)
}
