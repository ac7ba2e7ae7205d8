package cmaes

import (
	"math"
	"slices"

	"automl/search"
)

// The sampler's state is a replay of the history. The study's own trials,
// in creation order, less the startup ones and those without a usable
// result (failed, pruned, or complete without a finite loss: resampled,
// as Optuna does, in that the generation waits for another trial), are
// cut into generations of λ: a generation whose trials have all completed
// updates the distribution, and the replay stops at the first one still
// pending. A new trial draws from the distribution reached: the draw of
// its own index k (trialRng), so the trials of one generation, asked for
// in parallel, get distinct samples, and a replay draws the same sample
// again. When the replay meets a trial whose point is that draw from the
// generation's distribution, the update uses the draw itself; any other
// trial (a configuration users queued, or one drawn from an earlier
// distribution while this one waited for its results: with more slots
// than λ, or when a trial of the previous generation was still running)
// is injected with its step clipped (es.tell). Imported results take no
// part but may set the first mean (initialMean).

// entry is one trial of the replay.
type entry struct {
	k       int // index among the study's own trials
	id      int
	pending bool
	loss    float64
	point   search.Point
}

// run is the replayed state: the current CMA-ES run, how many restarts
// came before it, and how many entries (after the cached ones) its
// generations have consumed.
type run struct {
	es       *es
	restarts int
	consumed int
}

// replayCache keeps the last replay: the entries it consumed and the
// state after them. A history that starts with the same entries resumes
// from there.
type replayCache struct {
	keys []entryKey
	st   run
}

type entryKey struct {
	k, id int
	loss  float64
}

func keyOf(e *entry) entryKey { return entryKey{e.k, e.id, e.loss} }

// entries lists the trials the replay uses after the first len(skip):
// those are compared with skip (the keys of a cached replay) instead, and
// ok is false when one differs.
func (s *Sampler) entries(coords []coord, h *search.History, skip []entryKey) (out []entry, ok bool) {
	if h == nil {
		return nil, len(skip) == 0
	}
	n, k := 0, -1
	for i := range h.Trials {
		o := &h.Trials[i]
		if o.Imported {
			continue
		}
		k++
		if k < s.opts.NStartupTrials {
			continue
		}
		usable := o.Status == search.Pending || o.Status == search.Complete && o.HasLoss && !math.IsNaN(o.Loss)
		for _, c := range coords {
			usable = usable && c.param < len(o.Point) && !o.Point[c.param].IsAbsent()
		}
		if !usable {
			continue
		}
		e := entry{k: k, id: o.ID, pending: o.Status == search.Pending, loss: o.Loss, point: o.Point}
		if n < len(skip) {
			if e.pending || keyOf(&e) != skip[n] {
				return nil, false
			}
		} else {
			out = append(out, e)
		}
		n++
	}
	return out, n >= len(skip)
}

// replay returns the state the history leads to.
func (s *Sampler) replay(space *search.Space, coords []coord, h *search.History) run {
	s.mu.Lock()
	c := s.cache
	s.mu.Unlock()
	var st run
	var keys []entryKey
	es, ok := []entry(nil), false
	if c != nil {
		es, ok = s.entries(coords, h, c.keys)
	}
	if ok {
		st = run{es: c.st.es.clone(), restarts: c.st.restarts}
		keys = c.keys
	} else {
		c = nil
		es, _ = s.entries(coords, h, nil)
		st = run{es: newES(s.initialMean(space, coords, h), s.sigma0(), s.popsize(len(coords)))}
	}
	// es holds the entries after the cached ones; st.consumed counts in es.
	for st.consumed+st.es.lambda <= len(es) {
		gen := es[st.consumed : st.consumed+st.es.lambda]
		complete := true
		for i := range gen {
			complete = complete && !gen[i].pending
		}
		if !complete {
			break
		}
		st.es.tell(s.solutions(space, coords, st.es, gen))
		if s.opts.WithMargin {
			st.es.applyMargin(coords)
		}
		st.consumed += len(gen)
		if s.opts.Restart == "ipop" && st.es.shouldStop() {
			st.restarts++
			rng := restartRng(s.opts.Seed, st.restarts)
			mean := make([]float64, len(coords))
			for j := range mean {
				mean[j] = rng.Float64()
			}
			st.es = newES(mean, s.sigma0(), 2*st.es.lambda)
		}
	}
	if c == nil || st.consumed > 0 {
		keys = slices.Clip(keys) // appending copies: other replays may hold the cached keys
		for i := range st.consumed {
			keys = append(keys, keyOf(&es[i]))
		}
		s.mu.Lock()
		s.cache = &replayCache{keys: keys, st: run{es: st.es.clone(), restarts: st.restarts}}
		s.mu.Unlock()
	}
	return st
}

// solutions are one generation's trials as points of the search
// coordinates: the trial's own draw when its point is that draw, the
// point itself (injected) otherwise.
func (s *Sampler) solutions(space *search.Space, coords []coord, e *es, gen []entry) []solution {
	out := make([]solution, len(gen))
	for i := range gen {
		u := space.Encode(gen[i].point)
		x := e.draw(trialRng(s.opts.Seed, gen[i].k))
		enc := e.encodeDiscrete(x, coords)
		drawn := true
		for j, c := range coords {
			if c.levels > 0 {
				drawn = drawn && c.level(enc[j]) == c.level(u[c.param])
			} else {
				drawn = drawn && math.Abs(math.Max(0, math.Min(1, enc[j]))-u[c.param]) <= 1e-9
			}
		}
		if !drawn {
			for j, c := range coords {
				x[j] = u[c.param]
				if c.levels > 0 { // undo the margin's scale: enc = m + a(x - m)
					x[j] = e.mean[j] + (x[j]-e.mean[j])/e.a[j]
				}
			}
		}
		out[i] = solution{x: x, loss: gen[i].loss, drawn: drawn}
	}
	return out
}
