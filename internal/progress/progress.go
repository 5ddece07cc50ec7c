// Package progress measures an upload's bytes on the wire and reports them
// on a ticker, from one goroutine, so a user's callback never runs
// concurrently with itself and never slows the hot path.
package progress

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Snapshot is one report.
type Snapshot struct {
	Total    int64   // -1 when unknown
	Done     int64   // acknowledged by the server, Resumed included
	Resumed  int64   // delivered by an earlier run
	InFlight int64   // handed to the network, not acknowledged yet
	Rate     float64 // bytes per second this run sent, smoothed
	Elapsed  time.Duration
	Final    bool
}

// Meter counts bytes in two stages. Request bodies Add what the transport
// reads from them: in flight, which runs ahead of the network by whatever
// the socket buffers hold. A part the server acknowledged moves its bytes
// to done with Ack; a failed attempt takes its bytes back with Add(-n).
// Done is what users see as progress: it never runs ahead of the server.
type Meter struct {
	done     atomic.Int64
	resumed  atomic.Int64
	sent     atomic.Int64 // acknowledged in this run
	inFlight atomic.Int64
	total    atomic.Int64
	start    time.Time

	fn       func(Snapshot)
	interval time.Duration
	stop     chan struct{}
	wg       sync.WaitGroup

	// rate state, touched only by the reporting goroutine
	lastWire int64
	lastAt   time.Time
	rate     float64
}

// Start returns a running Meter; fn may be nil (counting only).
func Start(total int64, fn func(Snapshot), interval time.Duration) *Meter {
	m := &Meter{start: time.Now(), fn: fn, interval: interval, stop: make(chan struct{})}
	m.total.Store(total)
	m.lastAt = m.start
	if fn != nil && interval > 0 {
		m.wg.Add(1)
		go m.loop()
	}
	return m
}

// Add counts n bytes handed to the network (negative to take them back).
func (m *Meter) Add(n int64) { m.inFlight.Add(n) }

// Ack moves n bytes the server acknowledged from in flight to done.
func (m *Meter) Ack(n int64) {
	m.inFlight.Add(-n)
	m.sent.Add(n)
	m.done.Add(n)
}

// Resumed counts n bytes an earlier run already delivered.
func (m *Meter) Resumed(n int64) {
	m.resumed.Add(n)
	m.done.Add(n)
}

// SetTotal records a total learned late (streams of unknown size).
func (m *Meter) SetTotal(n int64) { m.total.Store(n) }

// Done is the bytes counted so far.
func (m *Meter) Done() int64 { return m.done.Load() }

// Stop ends the ticker and, if a callback is set, sends a final report.
func (m *Meter) Stop() {
	select {
	case <-m.stop:
		return
	default:
	}
	close(m.stop)
	m.wg.Wait()
	if m.fn != nil {
		m.fn(m.snapshot(time.Now(), true))
	}
}

func (m *Meter) loop() {
	defer m.wg.Done()
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			m.fn(m.snapshot(now, false))
		}
	}
}

// rateTimeConstant is how long the smoothed rate takes to follow a change
// of speed most of the way (1-1/e); at the default interval of 500 ms
// each report weighs about 0.3.
const rateTimeConstant = 1500 * time.Millisecond

// snapshot reports the counters. The running rate is of this run's bytes
// on the wire (acknowledged or in flight): acknowledgements come a part at
// a time, several parts at once, and a rate of them alone jumps between
// zero and several times the link's speed. Bytes taken over from a
// checkpoint are in neither: they arrive at once, before anything is
// sent, and would claim seconds of work for an instant of it. The final
// rate is this run's acknowledged bytes over the whole time.
func (m *Meter) snapshot(now time.Time, final bool) Snapshot {
	sent, inFlight := m.sent.Load(), max(m.inFlight.Load(), 0)
	wire := sent + inFlight
	elapsed := now.Sub(m.start)
	switch dt := now.Sub(m.lastAt); {
	case elapsed <= 0 || dt <= 0:
	case elapsed < rateTimeConstant:
		// Too early to smooth: the first reports would carry the socket
		// buffers' first fill for seconds. The average so far dilutes it.
		m.rate = float64(wire) / elapsed.Seconds()
		m.lastWire, m.lastAt = wire, now
	default:
		inst := float64(wire-m.lastWire) / dt.Seconds()
		w := 1 - math.Exp(-float64(dt)/float64(rateTimeConstant))
		m.rate += w * (inst - m.rate)
		m.lastWire, m.lastAt = wire, now
	}
	rate := m.rate
	if final && elapsed > 0 {
		rate = float64(sent) / elapsed.Seconds()
	}
	return Snapshot{Total: m.total.Load(), Done: m.done.Load(), Resumed: m.resumed.Load(),
		InFlight: inFlight, Rate: max(rate, 0), Elapsed: elapsed, Final: final}
}
