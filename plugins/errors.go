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
	// limit, a NaN or infinite metric, a malformed message.
	ErrProtocol = errors.New("plugin protocol violation")
	// ErrTimeout: the trial ran past its trainer timeout.
	ErrTimeout = errors.New("trial timed out")
	// ErrUnknownBuiltin: no built-in trainer has the name.
	ErrUnknownBuiltin = errors.New("unknown built-in trainer")
)
