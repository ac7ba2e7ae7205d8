package gp

import "math"

// Hyperparameters are fitted ahead, off the suggestion's path, so that a
// freed slot does not wait for a refit (issue 20: with 1 s trials a slot
// should wait under 50 ms, and a refit at 50 to 100 observations costs
// more than that alone: BenchmarkRefit50Q8, BenchmarkRefit100Q8). Which fit a suggestion uses stays a function of
// the history alone, so the same events still give the same suggestions:
//
//   - The fit's data is a prefix of the settled observations: those created
//     before the oldest recent pending trial (one of the last 2(p+1)
//     created, p pending). Later trials may still finish, but never
//     before them, so a prefix of them keeps its content (unlike a prefix
//     of every observation, which a late finisher created earlier would
//     change); only a straggler, pending among older trials, changes it
//     when it finishes.
//   - A suggestion with s settled observations out of n and p > 0 pending
//     trials uses the fit of the first c(s - 1) of them, c(x) = k⌊x/k⌋
//     the refit schedule (k = refit_every, or max(1, x/20)), but at least
//     the first min(n, n_init): until then every suggestion fits all
//     observations, as before. (A lag of one; ⌈p/2⌉, 4 at 8 slots, did
//     worse on branin and hartmann6: bench/bayes/RESULTS.md, "Slot idle".)
//   - Meanwhile it starts, in the background, the fit the next settled
//     observation will ask for (c(s)), the fitter taking one at a time.
//
// When a fit is not ready when it is needed (not finished, or the settled
// count jumped by more than one), the suggestion computes it, or waits
// for the background fit of the same data: the fit is the same bits
// either way, only the wait differs. Without pending trials (one slot, or
// a study's first suggestion after a resume with nothing running) there
// is no lag and s is every observation, as before: the fit of the first
// c(n).

// fitPrefix is c(x): how many of the first x settled observations the
// schedule fits to.
func (s *Sampler) fitPrefix(x int) int {
	k := s.opts.RefitEvery
	if k == 0 {
		k = max(1, x/20)
	}
	if x < k {
		return x
	}
	return k * (x / k)
}

// hyperFor returns the hyperparameters for the data (see above), from the
// cache when that exact data was fitted before, and starts the fits ahead.
func (s *Sampler) hyperFor(lay *layout, tr *training, o Options) fitted {
	settled, lag := tr.settled, min(1, len(tr.pending))
	base := max(settled-lag, min(len(tr.loss), max(o.NInit, 2)))
	job := s.fitJob(lay, tr, o, s.fitPrefix(base))
	s.dropStale(job)
	for x := base + 1; x <= settled; x++ {
		if c := s.fitPrefix(x); c > job.n {
			s.fitAhead(s.fitJob(lay, tr, o, c))
		}
	}
	return s.fitNow(job)
}

// fitJob is the fit of the first nfit observations (at most FitMax of
// them).
type fitJob struct {
	lay   *layout
	x     [][]float64
	loss  []float64
	imp   []bool
	kinds []warpKind
	key   uint64
	n     int
	// stream tells the data sets apart (the objective's, each
	// constraint's): the fingerprint of the first observation.
	stream uint64
}

func (s *Sampler) fitJob(lay *layout, tr *training, o Options, nfit int) fitJob {
	x, loss, imp := tr.rows(subset(tr.loss[:nfit], o.FitMax))
	kinds := []warpKind{warpNames[o.Warp]}
	if kinds[0] == warpAuto {
		kinds = autoKinds
	}
	return fitJob{lay: lay, x: x, loss: loss, imp: imp, kinds: kinds, key: fingerprint(x, loss, imp, kinds), n: nfit,
		stream: fingerprint(x[:min(1, len(x))], loss[:min(1, len(x))], imp[:min(1, len(x))], kinds)}
}

// dropStale takes the queued fits of j's data on fewer observations than
// j out of the queue: the suggestions have moved past them. (Should one
// be asked for after all, it is fitted then.)
func (s *Sampler) dropStale(j fitJob) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := s.queue[:0]
	for _, q := range s.queue {
		if q.stream == j.stream && q.n < j.n {
			close(s.fitting[q.key])
			delete(s.fitting, q.key)
			continue
		}
		keep = append(keep, q)
	}
	clear(s.queue[len(keep):])
	s.queue = keep
}

// fitNow returns the job's fit: cached, or waited for when it is being
// fitted ahead, or fitted now.
func (s *Sampler) fitNow(j fitJob) fitted {
	s.mu.Lock()
	if fit, ok := s.hypers[j.key]; ok {
		s.mu.Unlock()
		return fit
	}
	if done, ok := s.fitting[j.key]; ok {
		for i, q := range s.queue {
			if q.key == j.key { // not started: fit it now, ahead of the queue
				s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
				s.mu.Unlock()
				fit := j.fit()
				s.remember(j.key, fit)
				s.mu.Lock()
				close(done)
				delete(s.fitting, j.key)
				s.mu.Unlock()
				return fit
			}
		}
		s.mu.Unlock()
		<-done
		s.mu.Lock()
		fit, ok := s.hypers[j.key]
		s.mu.Unlock()
		if ok {
			return fit
		}
		return s.fitNow(j) // evicted meanwhile: fit it again
	}
	s.mu.Unlock()
	fit := j.fit()
	s.remember(j.key, fit)
	return fit
}

// fitAhead queues the job for the background fitter unless its fit is
// cached or queued.
func (s *Sampler) fitAhead(j fitJob) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hypers[j.key]; ok {
		return
	}
	if _, ok := s.fitting[j.key]; ok {
		return
	}
	if s.fitting == nil {
		s.fitting = map[uint64]chan struct{}{}
	}
	s.fitting[j.key] = make(chan struct{})
	s.queue = append(s.queue, j)
	if !s.fitterOn {
		s.fitterOn = true
		go s.fitter()
	}
}

// fitter fits the queued jobs one at a time, in order (the smallest
// prefixes first: the next suggestions need them soonest), and ends when
// the queue is empty.
func (s *Sampler) fitter() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.fitterOn = false
			s.mu.Unlock()
			return
		}
		j := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		fit := j.fit()
		s.remember(j.key, fit)
		s.mu.Lock()
		close(s.fitting[j.key])
		delete(s.fitting, j.key)
		s.mu.Unlock()
	}
}

// cacheSize is how many fits are kept: the ones fitted ahead for the
// next suggestions (up to half the pending trials) and the recent ones.
const cacheSize = 64

func (s *Sampler) remember(key uint64, fit fitted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hypers == nil {
		s.hypers = map[uint64]fitted{}
	}
	if _, dup := s.hypers[key]; dup {
		return
	}
	s.hypers[key] = fit
	s.order = append(s.order, key)
	if len(s.order) > cacheSize {
		delete(s.hypers, s.order[0])
		s.order = s.order[1:]
	}
}

// fit fits the hyperparameters. With the automatic transform, both
// transforms are fitted and the one with the larger marginal likelihood of
// the untransformed losses is kept.
func (j fitJob) fit() fitted {
	// The first transform is fitted from the fixed starts, the others from
	// its optimum (the length scales carry over; the warp mostly moves the
	// noise and signal variance), which costs one L-BFGS run each.
	var fit fitted
	bestF := math.Inf(1)
	var warm []float64
	fd := newFitData(j.lay, j.x, nil)
	fd.setImported(j.imp)
	for i, kind := range j.kinds {
		y, logJac := warp(kind, j.loss)
		fd.y = y
		var hp hyper
		var f float64
		if i == 0 {
			hp, f, warm = fitHyper(fd, 200)
		} else {
			hp, f, _ = fitHyper(fd, 200, warm)
		}
		if f -= logJac; f < bestF || math.IsInf(bestF, 1) {
			bestF, fit = f, fitted{hp, kind}
		}
	}
	return fit
}
