package report

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"automl/scheduler"
)

// SortRows orders rows by the columns of spec: a comma-separated list of
// column names (any of Columns, by either name), each optionally prefixed
// with "-" for descending. Numbers compare as numbers, durations as
// durations, times as times; empty cells go last either way; ties keep the
// leaderboard order. An unknown column is an error naming the known ones.
func SortRows(study *scheduler.Study, rows []Row, spec string) error {
	cols := Columns(study, rows)
	type key struct {
		cells []sortCell
		desc  bool
	}
	var keys []key
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		desc := strings.HasPrefix(f, "-")
		i, err := findColumn(cols, strings.TrimPrefix(strings.TrimPrefix(f, "-"), "+"))
		if err != nil {
			return err
		}
		// Each cell once, not at every comparison: 100,000 rows make
		// millions of comparisons.
		cells := make([]sortCell, len(rows))
		for j := range rows {
			cells[j] = cols[i].sortKey(&rows[j])
		}
		keys = append(keys, key{cells, desc})
	}
	if len(keys) == 0 {
		return nil
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		for _, k := range keys {
			ca, cb := &k.cells[a], &k.cells[b]
			if ca.ok != cb.ok { // empty last
				if ca.ok {
					return -1
				}
				return 1
			}
			if !ca.ok {
				continue
			}
			c := cmp.Compare(ca.x, cb.x)
			if c == 0 {
				c = strings.Compare(ca.s, cb.s)
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	sorted := make([]Row, len(rows))
	for i, j := range order {
		sorted[i] = rows[j]
	}
	copy(rows, sorted)
	return nil
}

// sortCell is a cell's sort key: numbers (and times) before text, in
// numeric order; text in byte order; ok false for an empty cell.
type sortCell struct {
	x  float64
	s  string
	ok bool
}

func cellKey(v any) sortCell {
	switch x := v.(type) {
	case nil:
		return sortCell{}
	case float64:
		if math.IsNaN(x) {
			return sortCell{x: math.Inf(1), s: "NaN", ok: true}
		}
		return sortCell{x: x, ok: true}
	case int:
		return sortCell{x: float64(x), ok: true}
	case int64:
		return sortCell{x: float64(x), ok: true}
	case time.Time:
		return sortCell{x: float64(x.UnixNano()), ok: true}
	case bool:
		if x {
			return sortCell{x: math.Inf(1), s: "true", ok: true}
		}
		return sortCell{x: math.Inf(1), s: "false", ok: true}
	case string:
		return sortCell{x: math.Inf(1), s: x, ok: true}
	}
	return sortCell{}
}

// ErrUnknownColumn is wrapped by errors about a column name that the
// leaderboard does not have.
var ErrUnknownColumn = errors.New("unknown column")
