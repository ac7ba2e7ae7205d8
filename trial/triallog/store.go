package triallog

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"automl/internal/bytesize"
)

// Pos is a chunk's place in an attempt's log: the run (the job's delivery)
// and the chunk's number in it. The zero Pos is before every chunk.
type Pos struct {
	Delivery int `json:"delivery"`
	Seq      int `json:"seq"`
}

// Before reports whether p comes before q.
func (p Pos) Before(q Pos) bool {
	return p.Delivery < q.Delivery || (p.Delivery == q.Delivery && p.Seq < q.Seq)
}

// Part is a chunk as the scheduler hands it to the store: whose attempt
// it belongs to, the run and worker it came from, and the limit of the
// attempt's log.
type Part struct {
	ID       int    `json:"id"`
	Attempt  int    `json:"attempt"`
	Delivery int    `json:"delivery"`
	Worker   string `json:"worker,omitempty"`
	Limit    int64  `json:"limit,omitempty"`
	Chunk
}

// Stored is a chunk as a store keeps it.
type Stored struct {
	Delivery int    `json:"delivery"`
	Worker   string `json:"worker,omitempty"`
	Chunk
}

// Pos is the chunk's place.
func (s *Stored) Pos() Pos { return Pos{s.Delivery, s.Seq} }

// Meta is the bookkeeping of one attempt's stored log.
type Meta struct {
	ID      int `json:"id"`
	Attempt int `json:"attempt"`
	// Bytes and Lines count the lines kept.
	Bytes int64 `json:"bytes"`
	Lines int   `json:"lines"`
	// Dropped and DroppedLines count the earlier output cut for the limit
	// (and what the worker dropped before it).
	Dropped      int64 `json:"dropped,omitempty"`
	DroppedLines int   `json:"dropped_lines,omitempty"`
	Limit        int64 `json:"limit,omitempty"`
	// Last is the newest chunk kept, Worker the worker it came from;
	// chunks at or before Cut were cut, and a late duplicate of one is
	// ignored.
	Last   Pos    `json:"last"`
	Worker string `json:"worker,omitempty"`
	Cut    Pos    `json:"cut"`
}

// Shelf is where a store keeps one attempt's chunks, in Pos order (a
// bbolt key range, a slice).
type Shelf interface {
	Has(Pos) (bool, error)
	Put(Stored) error
	// Oldest is the first chunk kept (false: none).
	Oldest() (Stored, bool, error)
	// ReplaceOldest writes the first chunk again, with fewer lines.
	ReplaceOldest(Stored) error
	DeleteOldest() error
}

// Keep puts a part on its attempt's shelf and, while the attempt's log is
// over its limit (p.Limit, else DefaultLimit), cuts the oldest lines,
// counting them in m. A duplicate of a chunk kept or cut changes nothing.
// It reports whether m changed (then the caller stores it).
func Keep(m *Meta, p Part, sh Shelf) (bool, error) {
	pos := Pos{p.Delivery, p.Seq}
	if !m.Cut.Before(pos) {
		return false, nil
	}
	if has, err := sh.Has(pos); err != nil || has {
		return false, err
	}
	m.ID, m.Attempt = p.ID, p.Attempt
	if p.Limit > 0 {
		m.Limit = p.Limit
	}
	limit := m.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if err := sh.Put(Stored{Delivery: p.Delivery, Worker: p.Worker, Chunk: p.Chunk}); err != nil {
		return false, err
	}
	m.Bytes += p.Bytes()
	m.Lines += len(p.Lines)
	if m.Last.Before(pos) {
		m.Last, m.Worker = pos, p.Worker
	}
	for m.Bytes > limit {
		o, ok, err := sh.Oldest()
		if err != nil || !ok {
			return true, err
		}
		// The worker's drop before the oldest chunk is earlier output now.
		m.Dropped += o.Dropped
		m.DroppedLines += o.DroppedLines
		o.Dropped, o.DroppedLines = 0, 0
		n := 0
		for n < len(o.Lines) && m.Bytes > limit {
			size := o.Lines[n].Size()
			m.Bytes -= size
			m.Dropped += size
			m.Lines--
			m.DroppedLines++
			n++
		}
		o.Lines = o.Lines[n:]
		if len(o.Lines) > 0 {
			return true, sh.ReplaceOldest(o)
		}
		if err := sh.DeleteOldest(); err != nil {
			return true, err
		}
		if m.Cut.Before(o.Pos()) {
			m.Cut = o.Pos()
		}
	}
	return true, nil
}

// ErrNoTrial: the study has no trial of that id.
var ErrNoTrial = errors.New("no such trial")

// Query asks a store for an attempt's log.
type Query struct {
	ID int `json:"id"`
	// Attempt: 0 for the trial's current attempt.
	Attempt int `json:"attempt,omitempty"`
	// Tail > 0 keeps only the last Tail lines.
	Tail int `json:"tail,omitempty"`
	// After keeps only the lines of chunks after it (to follow a log).
	After Pos `json:"after"`
}

// Log is an attempt's stored log as read: its lines, with automl's notes
// where lines are missing, and where the trial stands.
type Log struct {
	ID      int    `json:"id"`
	Attempt int    `json:"attempt"`
	Lines   []Line `json:"lines"`
	// Bytes and Lines count the whole kept log (not only what was read);
	// Dropped is the earlier output cut.
	Bytes    int64  `json:"bytes"`
	Total    int    `json:"total_lines"`
	Dropped  int64  `json:"dropped,omitempty"`
	Worker   string `json:"worker,omitempty"`
	Last     Pos    `json:"last"`
	Attempts []int  `json:"attempts,omitempty"` // the trial's attempts that have a log
	// State and Current are the trial's state and current attempt: the
	// attempt asked for is over once it is not Current or the trial is
	// not pending or running.
	State   string `json:"state"`
	Current int    `json:"current_attempt"`
}

// Assemble makes a log's lines: the chunks' lines in order, with notes
// where lines are missing. chunks are the attempt's kept chunks (first
// true: from the first one kept) or the newest of them, or those after
// prev.
func Assemble(m Meta, chunks []Stored, first bool, prev Pos) []Line {
	var out []Line
	limit := m.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	prevWorker := ""
	for i := range chunks {
		c := &chunks[i]
		when := c.Time()
		switch {
		case i == 0 && first:
			if front, lines := m.Dropped+c.Dropped, m.DroppedLines+c.DroppedLines; front > 0 {
				out = append(out, note(when, "%s of earlier output dropped; an attempt keeps its last %s (trainer.log_limit)", amount(front, lines), bytesize.Format(limit)))
			}
		case c.Dropped > 0:
			out = append(out, note(when, "%s of output dropped here: printed faster than the worker could send it", amount(c.Dropped, c.DroppedLines)))
		}
		pd := prev.Delivery
		if i > 0 {
			pd, prevWorker = chunks[i-1].Delivery, chunks[i-1].Worker
		}
		if pd != 0 && c.Delivery != pd {
			before := ""
			if prevWorker != "" {
				before = " on " + prevWorker
			}
			out = append(out, note(when, "the job ran again on %s (delivery %d): the run before it%s was lost, and the lines above are its", orUnknown(c.Worker), c.Delivery, before))
		}
		out = append(out, c.Lines...)
	}
	if len(chunks) == 0 && first && m.Dropped > 0 {
		out = append(out, note(time.Time{}, "%s of earlier output dropped; an attempt keeps its last %s (trainer.log_limit)", amount(m.Dropped, m.DroppedLines), bytesize.Format(limit)))
	}
	return out
}

// Time is when the chunk's first line was printed (zero: no lines).
func (c *Chunk) Time() (t time.Time) {
	if len(c.Lines) > 0 {
		t = c.Lines[0].Time
	}
	return t
}

func note(when time.Time, format string, args ...any) Line {
	return Line{Time: when, Stream: Note, Text: "[automl: " + fmt.Sprintf(format, args...) + "]"}
}

func amount(bytes int64, lines int) string {
	if lines <= 0 {
		return bytesize.Format(bytes)
	}
	s := "s"
	if lines == 1 {
		s = ""
	}
	return fmt.Sprintf("%s (%s line%s)", bytesize.Format(bytes), thousands(lines), s)
}

func orUnknown(worker string) string {
	if worker == "" {
		return "another worker"
	}
	return "worker " + worker
}

// thousands writes n with commas: 41,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Chunks is a Shelf in memory: a slice in Pos order.
type Chunks []Stored

func (c *Chunks) find(p Pos) (int, bool) {
	return slices.BinarySearchFunc(*c, p, func(s Stored, p Pos) int {
		switch q := s.Pos(); {
		case q.Before(p):
			return -1
		case p.Before(q):
			return 1
		}
		return 0
	})
}

// Has reports whether a chunk at p is kept.
func (c *Chunks) Has(p Pos) (bool, error) {
	_, ok := c.find(p)
	return ok, nil
}

// Put keeps s in its place.
func (c *Chunks) Put(s Stored) error {
	i, ok := c.find(s.Pos())
	if ok {
		(*c)[i] = s
		return nil
	}
	*c = slices.Insert(*c, i, s)
	return nil
}

// Oldest is the first chunk kept.
func (c *Chunks) Oldest() (Stored, bool, error) {
	if len(*c) == 0 {
		return Stored{}, false, nil
	}
	s := (*c)[0]
	s.Lines = slices.Clone(s.Lines)
	return s, true, nil
}

// ReplaceOldest writes the first chunk again.
func (c *Chunks) ReplaceOldest(s Stored) error {
	(*c)[0] = s
	return nil
}

// DeleteOldest removes the first chunk.
func (c *Chunks) DeleteOldest() error {
	*c = slices.Delete(*c, 0, 1)
	return nil
}

// Read picks from an attempt's kept chunks (all of them, in order) what q
// asks for and assembles its lines: those after q.After, or the last
// q.Tail lines, or all.
func Read(m Meta, chunks []Stored, q Query) []Line {
	if q.After != (Pos{}) {
		i := 0
		for i < len(chunks) && !q.After.Before(chunks[i].Pos()) {
			i++
		}
		return Assemble(m, chunks[i:], false, q.After)
	}
	if q.Tail <= 0 {
		return Assemble(m, chunks, true, Pos{})
	}
	i, n := len(chunks), 0
	for i > 0 && n <= q.Tail {
		i--
		n += len(chunks[i].Lines)
	}
	return TailLines(Assemble(m, chunks[i:], i == 0, Pos{}), q.Tail)
}

// TailLines is the last n lines of lines.
func TailLines(lines []Line, n int) []Line {
	if n > 0 && len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}
