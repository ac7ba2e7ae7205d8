// Package bolt is the product scheduler.Store: every study in one bbolt
// file (default automl.db). One Commit is one bbolt read-write transaction,
// so a scheduler step's trial records and searcher snapshot are on disk
// together or not at all.
//
// The bucket tree (keys in bbolt's byte order):
//
//	meta/
//	    schema_version                 -> decimal ASCII, e.g. "3" (not framed)
//	studies/
//	    <study name>/
//	        config                     -> framed JSON scheduler.Study (the space file as written + parsed config,
//	                                      and each earlier version of an edited space with its first trial)
//	        snapshot                   -> framed JSON scheduler.Snapshot {version, searcher, rng, next_id}
//	        trials/
//	            <id: big-endian uint64>            -> framed JSON trial.Record
//	        reports/
//	            <id: big-endian uint64><step: 8>   -> framed JSON scheduler.Report
//	        logs/                                     (schema 3; made with the study's first log lines)
//	            <id: 8><attempt: 4>                   -> framed JSON triallog.Meta (an attempt's log: sizes, cut)
//	            <id: 8><attempt: 4><delivery: 4><seq: 4> -> framed JSON triallog.Stored (a chunk of lines)
//
// A framed value (schema 2) is the record with its checksum in front:
//
//	[0xC1: format][CRC-32C of key || JSON: 4 bytes, big-endian][JSON]
//
// bbolt checksums its meta pages, not values: without the frame a flipped
// bit in a value (a digit of a metric, a letter of a parameter) would be
// read back as data. Every read verifies the checksum of what it reads
// and a mismatch is an error wrapping ErrCorrupt that names the study and
// the trial (never the changed data); a study record must also name its
// own bucket, since the checksum covers a record's key, not its study's.
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
// Integrity: Open and OpenReader check the whole file before using it
// (about 40 ms per 100,000 trials): the page tree read from the file's
// bytes (pages.go: bounds, types, key order, each page reached once, none
// both in use and free), then every record's checksum. A damaged file is
// refused with a *DamagedError that names the file, what is wrong and how
// to recover (automl check; the backup automl search keeps at
// "<db>.backup"). A file that is no bbolt file (empty, another program's)
// is refused before bbolt opens it, so it is never written to: bbolt would
// initialise an empty file in place. Check verifies a whole file: the
// page walk, bbolt's own Tx.Check, and every record's checksum, decoding
// and key; a writer answers it for a file it holds, through its socket.
//
// Why the walk from the bytes: bbolt trusts its page headers. A damaged
// overflow count makes Tx.Check loop for hours, a branch that points at
// itself makes it hang, a damaged freelist count makes bbolt allocate
// without bound (the process dies), and Tx.Check reads pages in a
// goroutine of its own, where a memory fault cannot be recovered.
//
// Backups (Options.BackupEvery, BackupInterval; backup.go): a consistent
// copy by Tx.WriteTo (what Tx.CopyFile does) in a read transaction, so
// commits go on; written to a temporary file, synced every 4 MiB, checked
// whole, then renamed over the last backup, which a damaged copy never
// replaces. One is made on Open and one on Close; backups take at most
// 1/20 of the time.
//
// Corruption: bbolt reports many kinds of damage by panicking or faulting
// on its memory map. Every entry point runs with debug.SetPanicOnFault and
// recover, so a damaged file becomes an error wrapping ErrCorrupt.
package bolt
