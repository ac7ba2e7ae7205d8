package triallog

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func line(i int) Line {
	return Line{Time: time.Unix(1700000000, int64(i)).UTC(), Stream: Stderr, Text: fmt.Sprintf("line %03d", i)} // 9 bytes each
}

func TestLineJSONRoundTrip(t *testing.T) {
	in := []Line{
		{Time: time.Unix(1700000000, 123456789).UTC(), Stream: Stdout, Text: `epoch 1 "quoted" ü`},
		{Stream: Stderr, Text: ""},
		{Time: time.Unix(1, 0).UTC(), Stream: Note, Text: "[automl: x]"},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[1700000000123456789,"o","epoch 1 \"quoted\" ü"]`; !strings.HasPrefix(string(b), "["+want) {
		t.Fatalf("encoding %s, want it to start with %s", b, want)
	}
	var out []Line
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !out[i].Time.Equal(in[i].Time) || out[i].Stream != in[i].Stream || out[i].Text != in[i].Text {
			t.Errorf("line %d: got %+v, want %+v", i, out[i], in[i])
		}
	}
	for _, bad := range []string{`[1,"x","t"]`, `{"t":1}`, `[1,"o"]`, `["a","o","t"]`} {
		var l Line
		if err := json.Unmarshal([]byte(bad), &l); err == nil {
			t.Errorf("%s decoded as %+v, want an error", bad, l)
		}
	}
	if _, err := json.Marshal(Line{Text: "no stream"}); err == nil {
		t.Error("a line without a stream encoded")
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", MaxLineBytes) // 2 bytes each
	c := Clip(long)
	if len(c) > MaxLineBytes || !strings.HasSuffix(c, "[automl: line cut at 64 KiB]") || !strings.HasPrefix(c, "éé") {
		t.Errorf("Clip: %d bytes, ends %q", len(c), c[len(c)-40:])
	}
	if !strings.Contains(c[:len(c)-30], "é") || strings.ContainsRune(c, '\uFFFD') {
		t.Error("Clip cut inside a character")
	}
	if Clip("short") != "short" {
		t.Error("Clip changed a short line")
	}
}

func TestBufferDropsOldestOverItsLimit(t *testing.T) {
	b := NewBuffer(45) // five 9-byte lines
	for i := range 8 {
		b.AddLine(line(i))
	}
	if b.Bytes() != 45 {
		t.Fatalf("holds %d bytes, want 45", b.Bytes())
	}
	c, ok := b.Take(20) // two lines
	if !ok || c.Seq != 1 || c.Dropped != 27 || c.DroppedLines != 3 || len(c.Lines) != 2 || c.Lines[0].Text != "line 003" {
		t.Fatalf("first chunk %+v", c)
	}
	c, ok = b.Take(1 << 20)
	if !ok || c.Seq != 2 || c.Dropped != 0 || len(c.Lines) != 3 || c.Lines[2].Text != "line 007" {
		t.Fatalf("second chunk %+v", c)
	}
	if _, ok := b.Take(100); ok {
		t.Error("an empty buffer gave a chunk")
	}
	b.AddLine(Line{Stream: Stdout, Text: strings.Repeat("x", 100)}) // over the limit alone
	c, ok = b.Take(10)
	if !ok || len(c.Lines) != 0 || c.Dropped != 101 || c.DroppedLines != 1 {
		t.Errorf("a line over the limit: %+v", c)
	}
}

// Lines from two streams, read a moment apart, are held in time order.
func TestBufferKeepsTimeOrder(t *testing.T) {
	b := NewBuffer(0)
	for _, i := range []int{1, 3, 2, 4, 0} {
		b.AddLine(line(i))
	}
	c, _ := b.Take(1 << 20)
	if got := strings.Join(texts(c.Lines), "|"); got != "line 000|line 001|line 002|line 003|line 004" {
		t.Errorf("held in the order %s", got)
	}
}

func TestPrintfFeedsASink(t *testing.T) {
	b := NewBuffer(0)
	Printf(b, "epoch %d\nloss %.1f", 3, 0.5)
	Printf(struct{}{}, "dropped: no sink") // no panic, nothing
	c, _ := b.Take(1 << 20)
	if len(c.Lines) != 2 || c.Lines[0].Text != "epoch 3" || c.Lines[1].Text != "loss 0.5" || c.Lines[0].Stream != Stderr || c.Lines[0].Time.IsZero() {
		t.Errorf("Printf gave %+v", c.Lines)
	}
}

func part(delivery, seq int, first, n int, limit int64) Part {
	p := Part{ID: 7, Attempt: 2, Delivery: delivery, Worker: fmt.Sprintf("w%d", delivery), Limit: limit, Chunk: Chunk{Seq: seq}}
	for i := first; i < first+n; i++ {
		p.Lines = append(p.Lines, line(i))
	}
	return p
}

func texts(ls []Line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Text
	}
	return out
}

func TestKeepCutsTheOldestLinesAndNotesIt(t *testing.T) {
	var m Meta
	var sh Chunks
	for seq := 1; seq <= 4; seq++ {
		if changed, err := Keep(&m, part(1, seq, (seq-1)*4, 4, 50), &sh); err != nil || !changed {
			t.Fatalf("chunk %d: changed %v, err %v", seq, changed, err)
		}
	}
	// 16 lines of 9 bytes, a limit of 50: the last 5 lines are kept.
	if m.Bytes != 45 || m.Lines != 5 || m.Dropped != 99 || m.DroppedLines != 11 {
		t.Fatalf("meta %+v", m)
	}
	if m.Cut != (Pos{1, 2}) || m.Last != (Pos{1, 4}) {
		t.Errorf("cut %v, last %v; want {1 2}, {1 4}", m.Cut, m.Last)
	}
	got := texts(Read(m, sh, Query{}))
	want := []string{"[automl: 99 B (11 lines) of earlier output dropped; an attempt keeps its last 50 B (trainer.log_limit)]",
		"line 011", "line 012", "line 013", "line 014", "line 015"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("read\n%q\nwant\n%q", got, want)
	}
	// Duplicates, of a kept chunk or of a cut one, change nothing.
	for _, p := range []Part{part(1, 4, 12, 4, 50), part(1, 1, 0, 4, 50)} {
		if changed, _ := Keep(&m, p, &sh); changed {
			t.Errorf("duplicate %v changed the log", p.Seq)
		}
	}
	if m.Lines != 5 {
		t.Errorf("after duplicates: %d lines", m.Lines)
	}
	if got := texts(Read(m, sh, Query{Tail: 2})); strings.Join(got, "|") != "line 014|line 015" {
		t.Errorf("tail 2: %q", got)
	}
	if got := texts(Read(m, sh, Query{After: Pos{1, 3}})); strings.Join(got, "|") != "line 012|line 013|line 014|line 015" {
		t.Errorf("after {1 3}: %q", got)
	}
}

func TestAssembleNotesDropsAndAnotherRun(t *testing.T) {
	var m Meta
	var sh Chunks
	Keep(&m, part(1, 1, 0, 2, 0), &sh)
	p := part(1, 2, 2, 1, 0)
	p.Dropped, p.DroppedLines = 2<<20, 3
	Keep(&m, p, &sh)
	Keep(&m, part(2, 1, 10, 1, 0), &sh)
	got := texts(Read(m, sh, Query{}))
	want := []string{"line 000", "line 001",
		"[automl: 2 MiB (3 lines) of output dropped here: printed faster than the worker could send it]", "line 002",
		"[automl: the job ran again on worker w2 (delivery 2): the run before it on w1 was lost, and the lines above are its]", "line 010"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("read\n%q\nwant\n%q", got, want)
	}
	if m.Worker != "w2" || m.Last != (Pos{2, 1}) || m.Limit != 0 {
		t.Errorf("meta %+v", m)
	}
}

func TestPosOrder(t *testing.T) {
	ps := []Pos{{}, {1, 1}, {1, 2}, {2, 1}}
	for i := range ps {
		for j := range ps {
			if got := ps[i].Before(ps[j]); got != (i < j) {
				t.Errorf("%v before %v = %v", ps[i], ps[j], got)
			}
		}
	}
}
