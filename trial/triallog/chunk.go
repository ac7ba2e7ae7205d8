package triallog

import (
	"slices"
	"sync"
)

const (
	// DefaultLimit is how much of an attempt's log is kept when the space
	// file sets no trainer.log_limit: the last MiB.
	DefaultLimit int64 = 1 << 20
	// ChunkBytes bounds the lines one chunk carries (an event message is
	// at most 512 KiB, JSON escapes included).
	ChunkBytes int64 = 64 << 10
)

// Chunk is a piece of one run's log on its way from the worker to the
// study file: the lines it printed since the previous chunk, numbered
// from 1 within the run (the job's delivery).
type Chunk struct {
	Seq int `json:"seq"`
	// Dropped and DroppedLines count output the worker dropped just
	// before Lines: the run printed more than its limit between two
	// chunks, faster than chunks could be sent.
	Dropped      int64  `json:"dropped,omitempty"`
	DroppedLines int    `json:"dropped_lines,omitempty"`
	Lines        []Line `json:"lines"`
}

// Bytes is the size of the chunk's lines (see Line.Size).
func (c *Chunk) Bytes() int64 {
	var n int64
	for i := range c.Lines {
		n += c.Lines[i].Size()
	}
	return n
}

// Buffer holds the lines of a running trial that are not sent yet, at
// most its limit in bytes: when more arrive, the oldest are dropped and
// counted, so a trainer that prints faster than its lines can be sent
// never blocks on its log and never grows the worker's memory. It is a
// Sink, safe for concurrent use.
type Buffer struct {
	mu           sync.Mutex
	limit        int64
	lines        []Line
	head         int // lines[head:] are held
	bytes        int64
	dropped      int64
	droppedLines int
	seq          int
}

// NewBuffer returns a buffer that holds at most limit bytes of lines
// (DefaultLimit when limit <= 0).
func NewBuffer(limit int64) *Buffer {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Buffer{limit: limit}
}

// AddLine holds a line, dropping the oldest held ones while over the
// limit. A line stamped before lines held already (read from another
// stream a moment later) goes before them, so held lines are in time
// order.
func (b *Buffer) AddLine(l Line) {
	l.Text = Clip(l.Text)
	b.mu.Lock()
	defer b.mu.Unlock()
	i := len(b.lines)
	for i > b.head && l.Time.Before(b.lines[i-1].Time) {
		i--
	}
	b.lines = slices.Insert(b.lines, i, l)
	b.bytes += l.Size()
	for b.bytes > b.limit && b.head < len(b.lines) {
		old := b.lines[b.head]
		b.lines[b.head] = Line{}
		b.head++
		b.bytes -= old.Size()
		b.dropped += old.Size()
		b.droppedLines++
	}
	if b.head > 64 && b.head > len(b.lines)/2 {
		b.lines = append(b.lines[:0], b.lines[b.head:]...)
		b.head = 0
	}
}

// Bytes is the size of the lines held.
func (b *Buffer) Bytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bytes
}

// Take returns the next chunk: the oldest held lines, up to max bytes
// (at least one line), with what was dropped before them. It reports
// false when there is nothing to send.
func (b *Buffer) Take(max int64) (Chunk, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.head == len(b.lines) && b.dropped == 0 {
		return Chunk{}, false
	}
	b.seq++
	c := Chunk{Seq: b.seq, Dropped: b.dropped, DroppedLines: b.droppedLines}
	b.dropped, b.droppedLines = 0, 0
	var n int64
	end := b.head
	for end < len(b.lines) && (end == b.head || n+b.lines[end].Size() <= max) {
		n += b.lines[end].Size()
		end++
	}
	c.Lines = append([]Line(nil), b.lines[b.head:end]...)
	clear(b.lines[b.head:end])
	b.head = end
	b.bytes -= n
	if b.head == len(b.lines) {
		b.lines, b.head = b.lines[:0], 0
	}
	return c, true
}
