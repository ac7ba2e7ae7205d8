package natsbus

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// feeder pulls a pool's jobs for one worker's idle slots. It sends pull
// requests for exactly as many jobs as slots are idle and not yet asked
// for: never more, since a job pulled for a busy slot would wait, unseen,
// until its lease lapsed. Requests go out on a few lanes, each a
// subscription kept for the worker's life with at most one request open
// on it, so the feeder knows which request a job or a status answers (a
// job arrives under its stream subject, not the request's reply subject).
//
// Why not jetstream's Fetch(1) per slot, as before: every Fetch subscribed
// a fresh inbox and dropped it when the request ended, and a job the
// server sent just as the client gave up on its request (a loaded machine
// delays either side) was lost to the worker and stranded until AckWait:
// BenchmarkSlots64 stalled for a whole minute in one run of two, base code
// included. Here a late job still reaches its lane and goes to an idle
// slot, or back to the server (nak). It also costs one pull request per
// batch of slots that fell idle together instead of a subscribe, a request
// and an unsubscribe per job.
type feeder struct {
	nc   *nats.Conn
	next string // the consumer's next-message API subject
	wait time.Duration
	log  *slog.Logger
	// lost is called (on its own goroutine) when the consumer is gone, so
	// the worker sets it up again.
	lost func()

	lanes []*lane
	// in carries what the lanes receive to the loop. It is unbuffered: a
	// lane's callback hands a job over only to a loop that takes it, and
	// once the loop has ended (done) it gives the job back instead, so no
	// job is ever left in a buffer nobody reads.
	in    chan laneMsg
	ready chan chan *nats.Msg
	stop  chan struct{}
	done  chan struct{} // the loop has ended
	shut  chan struct{} // and the lanes are drained: every job settled
}

// lane is a reply subject with at most one pull request open on it: n jobs
// asked for, got delivered.
type lane struct {
	reply    string
	sub      *nats.Subscription
	open     bool
	n, got   int
	deadline time.Time // past it, the request is given up on
	reuse    time.Time // a lane whose request was given up on rests until then
}

type laneMsg struct {
	lane *lane
	m    *nats.Msg
}

// statusGrace is how long after its expiry a request may still be
// answered; past it the feeder gives up on it (a job that still comes is
// handled), and rests its lane as long again before reusing it.
const statusGrace = time.Second

// maxLanes bounds the requests open at once.
const maxLanes = 8

func startFeeder(nc *nats.Conn, stream, consumer string, slots int, wait time.Duration, log *slog.Logger, lost func()) (*feeder, error) {
	f := &feeder{
		nc:    nc,
		next:  "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer,
		wait:  wait,
		log:   log,
		lost:  lost,
		in:    make(chan laneMsg),
		ready: make(chan chan *nats.Msg),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		shut:  make(chan struct{}),
	}
	inbox := nc.NewInbox()
	for i := range min(max(slots, 1), maxLanes) {
		l := &lane{reply: inbox + "." + strconv.Itoa(i)}
		// A callback, not a channel subscription: a full channel would
		// drop a job; the callback waits instead (the client buffers
		// behind it).
		sub, err := nc.Subscribe(l.reply, func(m *nats.Msg) {
			select {
			case f.in <- laneMsg{l, m}:
			case <-f.done: // too late for any slot
				if m.Reply != "" && len(m.Data) > 0 {
					_ = m.Nak()
				}
			}
		})
		if err != nil {
			for _, l := range f.lanes {
				_ = l.sub.Unsubscribe()
			}
			return nil, err
		}
		l.sub = sub
		f.lanes = append(f.lanes, l)
	}
	go func() {
		f.loop()
		close(f.done)
		f.drainLanes()
		close(f.shut)
	}()
	return f, nil
}

// laneDrainWait bounds how long closing the feeder waits for its lanes'
// subscriptions to drain.
const laneDrainWait = 5 * time.Second

// drainLanes ends the lanes' subscriptions once the loop has ended. Drain,
// not Unsubscribe: Unsubscribe drops the messages the client has received
// but not yet passed to the callback, and a job among them would be
// stranded until its lease (AckWait) lapsed. Draining passes each to the
// callback, which gives it back to the server (nak) since done is closed.
//
// Cut off from the server, a drain cannot complete (it needs the server's
// answer) and no nak would reach it: the lanes are unsubscribed at once,
// and a job the client holds goes elsewhere after its lease.
func (f *feeder) drainLanes() {
	if !f.nc.IsConnected() {
		for _, l := range f.lanes {
			_ = l.sub.Unsubscribe()
		}
		return
	}
	closed := make([]<-chan nats.SubStatus, 0, len(f.lanes))
	for _, l := range f.lanes {
		c := l.sub.StatusChanged(nats.SubscriptionClosed)
		if err := l.sub.Drain(); err != nil {
			_ = l.sub.Unsubscribe() // connection closed: nothing comes any more
			continue
		}
		closed = append(closed, c)
	}
	t := time.NewTimer(laneDrainWait)
	defer t.Stop()
	for _, c := range closed {
		select {
		case <-c:
		case <-t.C:
			f.log.Warn("job lanes not drained in time", "wait", laneDrainWait)
			return
		}
	}
}

// get waits for a job for an idle slot; ch is the slot's own channel
// (capacity 1, empty). It returns nil once the feeder stops. The loop
// answers every slot it took in, with a job or, when it stops, nil, so a
// job is never left in a channel nobody reads.
func (f *feeder) get(ch chan *nats.Msg) *nats.Msg {
	select {
	case f.ready <- ch:
	case <-f.stop:
		return nil
	}
	return <-ch
}

// halt stops asking for jobs; waiting slots get nil. Safe to call more
// than once.
func (f *feeder) halt() {
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
}

// close halts and waits, at most until the open requests expire, for jobs
// already on their way, which go back to the server.
func (f *feeder) close() {
	f.halt()
	<-f.shut
}

// feederState is the loop's: idle slots and what is asked for.
type feederState struct {
	f       *feeder
	waiting []chan *nats.Msg // idle slots, first come first served
	covered int              // jobs asked for on open lanes, not yet delivered
	open    int              // lanes with a request open
	pauseTo time.Time        // no requests before (after an error)
	stopped bool
}

// loop is the feeder's one goroutine: it owns the lanes' and the slots'
// bookkeeping. It returns once stopped and no request is open any more.
func (f *feeder) loop() {
	st := &feederState{f: f}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	stop := f.stop // nil once seen
	for {
		st.request()
		if st.stopped && st.open == 0 {
			return
		}
		timer.Reset(st.nextWake())
		select {
		case ch := <-f.ready:
			st.idle(ch)
		case lm := <-f.in:
			st.handle(lm)
		case <-timer.C:
			now := time.Now()
			for _, l := range f.lanes {
				if l.open && now.After(l.deadline) {
					st.end(l)
					l.reuse = now.Add(statusGrace)
				}
			}
		case <-stop:
			stop = nil
			st.stopped = true
			for _, ch := range st.waiting {
				ch <- nil
			}
			st.waiting = nil
		}
		// Take whatever else is ready before asking, so slots that fell
		// idle together share one request.
		for more := true; more; {
			select {
			case ch := <-f.ready:
				st.idle(ch)
			case lm := <-f.in:
				st.handle(lm)
			default:
				more = false
			}
		}
	}
}

// request asks for jobs for the idle slots no open request covers, on a
// free lane.
func (st *feederState) request() {
	n := len(st.waiting) - st.covered
	now := time.Now()
	if st.stopped || n <= 0 || now.Before(st.pauseTo) {
		return
	}
	var free *lane
	for _, l := range st.f.lanes {
		if !l.open && !now.Before(l.reuse) {
			free = l
			break
		}
	}
	if free == nil {
		return // a lane frees when its request is answered or expires
	}
	body, _ := json.Marshal(struct {
		Batch   int           `json:"batch"`
		Expires time.Duration `json:"expires"`
	}{n, st.f.wait})
	if err := st.f.nc.PublishRequest(st.f.next, free.reply, body); err != nil {
		st.f.log.Warn("pull request", "err", err)
		st.pauseTo = now.Add(min(st.f.wait, time.Second))
		return
	}
	free.open, free.n, free.got, free.deadline = true, n, 0, now.Add(st.f.wait+statusGrace)
	st.covered += n
	st.open++
}

// nextWake is when the loop must look again without news: a request to
// give up on, a lane to reuse, a pause to end.
func (st *feederState) nextWake() time.Duration {
	now := time.Now()
	wake := now.Add(time.Hour)
	want := !st.stopped && len(st.waiting) > st.covered
	for _, l := range st.f.lanes {
		if l.open {
			wake = minTime(wake, l.deadline)
		} else if want && now.Before(l.reuse) {
			wake = minTime(wake, l.reuse)
		}
	}
	if want && now.Before(st.pauseTo) {
		wake = minTime(wake, st.pauseTo)
	}
	return max(wake.Sub(now), time.Millisecond)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// idle queues a slot for a job, or answers it at once when stopped.
func (st *feederState) idle(ch chan *nats.Msg) {
	if st.stopped {
		ch <- nil
		return
	}
	st.waiting = append(st.waiting, ch)
}

// end closes a lane's request.
func (st *feederState) end(l *lane) {
	if l.open {
		st.covered -= l.n - l.got
		st.open--
		l.open = false
	}
}

// handle takes a job, or a status that ends a request.
func (st *feederState) handle(lm laneMsg) {
	l, m := lm.lane, lm.m
	if status := m.Header.Get("Status"); status != "" && len(m.Data) == 0 {
		st.end(l)
		switch status {
		case "404", "408": // nothing (more) to take before the request expired
		case "503": // no responders: the consumer is gone
			st.f.log.Warn("the pool's job consumer is gone; setting it up again")
			st.pauseTo = time.Now().Add(min(st.f.wait, time.Second))
			go st.f.lost()
		default:
			desc := m.Header.Get("Description")
			st.f.log.Warn("pull request refused", "status", status, "description", desc)
			st.pauseTo = time.Now().Add(min(st.f.wait, time.Second))
			if strings.Contains(strings.ToLower(desc), "consumer deleted") {
				go st.f.lost()
			}
		}
		return
	}
	if l.open {
		l.got++
		st.covered--
		if l.got == l.n {
			l.open = false
			st.open--
		}
	}
	if len(st.waiting) > 0 && !st.stopped {
		ch := st.waiting[0]
		st.waiting = st.waiting[1:]
		ch <- m
		return
	}
	if st.stopped {
		// Its slot went (the worker is stopping): back to the server, at
		// once, for another worker.
		_ = m.Nak()
		return
	}
	// Arrived on a request given up on (a late answer, or a server that
	// lost track of its requests when a cluster node died). Given back at
	// once it would go straight to another such request, here or on
	// another worker, and burn its deliveries in a loop until MaxDeliver
	// fails the trial (seen in the cluster test); redelivered after every
	// request of that age has expired, it reaches a slot that asked.
	_ = m.NakWithDelay(st.f.wait + 2*statusGrace)
}

// jobMsg is a job as a slot handles it: a JetStream message taken with a
// plain subscription, settled with nats.go's message methods.
type jobMsg struct{ m *nats.Msg }

// delivery is the job's delivery count: the fencing token of its events.
func (j jobMsg) delivery() (int, error) {
	meta, err := j.m.Metadata()
	if err != nil {
		return 0, err
	}
	return int(meta.NumDelivered), nil
}

func (j jobMsg) Data() []byte         { return j.m.Data }
func (j jobMsg) Subject() string      { return j.m.Subject }
func (j jobMsg) Headers() nats.Header { return j.m.Header }
func (j jobMsg) Ack() error           { return j.m.Ack() }
func (j jobMsg) Nak() error           { return j.m.Nak() }
func (j jobMsg) InProgress() error    { return j.m.InProgress() }

// TermWithReason stops redelivery; the reason goes into the server's
// advisory.
func (j jobMsg) TermWithReason(reason string) error {
	if j.m.Reply == "" {
		return nats.ErrMsgNoReply
	}
	return j.m.Respond([]byte("+TERM " + reason))
}
