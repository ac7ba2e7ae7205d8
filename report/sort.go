package report

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"automl/scheduler"
)

// SortRows orders rows by the columns of spec: a comma-separated list of
// column names (those of Columns: rank, trial, state, the
// metric, each parameter, resource, duration, attempts, worker, note),
// each optionally prefixed with "-" for descending. Numbers compare as
// numbers, durations as durations; empty cells go last either way; ties
// keep the leaderboard order. An unknown column is an error naming the
// known ones.
func SortRows(study *scheduler.Study, rows []Row, spec string) error {
	cols := Columns(study, rows)
	type key struct {
		get  func(r *Row) (float64, string, bool)
		desc bool
	}
	var keys []key
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		desc := strings.HasPrefix(f, "-")
		name := strings.TrimPrefix(strings.TrimPrefix(f, "-"), "+")
		get, err := sortKey(study, cols, name)
		if err != nil {
			return err
		}
		keys = append(keys, key{get, desc})
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		for _, k := range keys {
			xa, sa, oka := k.get(&a)
			xb, sb, okb := k.get(&b)
			if oka != okb { // empty last
				if oka {
					return -1
				}
				return 1
			}
			if !oka {
				continue
			}
			c := cmp.Compare(xa, xb)
			if c == 0 {
				c = strings.Compare(sa, sb)
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
	return nil
}

// sortKey returns a cell's numeric and text sort keys, and false when the
// cell is empty.
func sortKey(study *scheduler.Study, cols []Column, name string) (func(r *Row) (float64, string, bool), error) {
	switch name {
	case "rank":
		return func(r *Row) (float64, string, bool) { return float64(r.Rank), "", r.Rank > 0 }, nil
	case "trial":
		return func(r *Row) (float64, string, bool) { return float64(r.ID), "", true }, nil
	case study.Metric:
		return func(r *Row) (float64, string, bool) { return r.Value, "", r.HasValue }, nil
	case "duration":
		return func(r *Row) (float64, string, bool) { return float64(r.Busy), "", r.Busy > 0 }, nil
	case "resource":
		return func(r *Row) (float64, string, bool) { return r.Resource, "", r.Resource > 0 }, nil
	case "attempts":
		return func(r *Row) (float64, string, bool) { return float64(r.Attempt), "", true }, nil
	}
	i := slices.IndexFunc(cols, func(c Column) bool { return c.Name == name })
	if i < 0 {
		names := make([]string, len(cols))
		for j, c := range cols {
			names[j] = c.Name
		}
		return nil, fmt.Errorf("%w %q; columns: %s", ErrUnknownColumn, name, strings.Join(names, ", "))
	}
	get := cols[i].Get
	return func(r *Row) (float64, string, bool) {
		s := get(r)
		if s == "" {
			return 0, "", false
		}
		// Numbers before text, in numeric order; text in byte order.
		if x, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(x) {
			return x, "", true
		}
		return math.Inf(1), s, true
	}, nil
}

// ErrUnknownColumn is wrapped by errors about a column name that the
// leaderboard does not have.
var ErrUnknownColumn = errors.New("unknown column")
