// Package bolt is the product scheduler.Store: every study in one bbolt
// file (default automl.db). One Commit is one bbolt read-write transaction,
// so a scheduler step's trial records and searcher snapshot are on disk
// together or not at all.
//
// The bucket tree (keys in bbolt's byte order):
//
//	meta/
//	    schema_version                 -> decimal ASCII, e.g. "1"
//	studies/
//	    <study name>/
//	        config                     -> JSON scheduler.Study (the space file as written + parsed config)
//	        snapshot                   -> JSON scheduler.Snapshot {version, searcher, rng, next_id}
//	        trials/
//	            <id: big-endian uint64>            -> JSON trial.Record
//	        reports/
//	            <id: big-endian uint64><step: 8>   -> JSON scheduler.Report
//
// A report's step is stored as the float64's bits mapped so that unsigned
// byte order is numeric order (negative steps flip all bits, others set
// the sign bit), so a cursor over one trial's 8-byte prefix returns its
// reports in step order, negative and fractional steps included.
//
// Schema: Open writes schema_version when it creates a file and checks it
// on every open. A newer version is refused ("written by a newer automl");
// an older one is upgraded by the ordered migrations of schema.go in one
// transaction. A new file is built under a temporary name and linked into
// place, so a crash during creation never leaves a half-initialised store.
//
// Processes: bbolt holds an exclusive flock while a Store is open for
// writing. Open waits at most Options.Timeout (1 s) and then names the
// holder, read from a side file "<db>.owner" (pid, command, start time,
// socket) that the writer keeps while it runs. A writer also serves the
// read methods over HTTP on a unix socket ("<db>.sock", or a short path
// under the temporary directory when that is too long for a socket
// address); OpenReader reads the file directly when no writer holds it and
// through that socket when one does, so reporting commands work on a study
// that is running.
//
// Corruption: bbolt reports many kinds of damage by panicking or faulting
// on its memory map. Every entry point runs with debug.SetPanicOnFault and
// recover, so a damaged file becomes an error wrapping ErrCorrupt.
package bolt
