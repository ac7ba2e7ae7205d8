package plugins

import "errors"

// Sentinel errors a host branches on. Errors returned by Open and Run wrap
// one of them (and trial.ErrLost where the infrastructure, not the
// training code, failed).
var (
	// ErrBinary: the plugin binary is missing, not executable, outside the
	// plugin directory, or fails its SHA-256 pin. Nothing was launched.
	ErrBinary = errors.New("plugin binary rejected")
	// ErrHandshake: the process started but did not complete go-plugin's
	// handshake (it printed to stdout first, exited, or timed out).
	ErrHandshake = errors.New("plugin handshake failed")
	// ErrCrashed: the plugin process died during a trial (a panic, a
	// fatal error, a signal).
	ErrCrashed = errors.New("plugin crashed")
	// ErrProtocol: the plugin broke the protocol: a message over the size
	// limit, a malformed message.
	ErrProtocol = errors.New("plugin protocol violation")
	// ErrNotFinite: the trainer reported, or returned in its result, a
	// metric that is NaN or infinite.
	ErrNotFinite = errors.New("metric not finite")
	// ErrTimeout: the trial ran past its trainer timeout.
	ErrTimeout = errors.New("trial timed out")
	// ErrUnknownBuiltin: no built-in trainer has the name.
	ErrUnknownBuiltin = errors.New("unknown built-in trainer")
)

// WarningPrefix starts a line a trainer writes to stderr to warn the person
// running the study (a metric line it could not read, say): hosts log such
// a line as a warning rather than as the trainer's output.
const WarningPrefix = "automl: warning: "
