package emulator

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Faults are injected into OSS requests, deterministically from Seed, so a
// failing run can be repeated. Rates are probabilities per request in [0, 1].
type Faults struct {
	Seed int64
	// ErrorRate answers a request with 500 InternalError or 503
	// ServiceUnavailable before touching any state.
	ErrorRate float64
	// ResetRate closes the connection of an upload (PutObject, UploadPart)
	// after ResetAfter body bytes, without a response.
	ResetRate float64
	// ResetAfter is how many body bytes are read before a reset. Default 64 KiB.
	ResetAfter int64
	// ThrottleRate answers 503 SlowDown.
	ThrottleRate float64
	// Latency is added before every OSS response; LatencyJitter adds a
	// uniformly random extra in [0, LatencyJitter).
	Latency       time.Duration
	LatencyJitter time.Duration
	// BandwidthBPS caps each connection's request body rate in bytes per
	// second. Zero means no cap.
	BandwidthBPS int64
	// VODErrorRate answers VOD RPC calls with 503 ServiceUnavailable.
	VODErrorRate float64
	// Malformed is the probability that the answer to an authorized OSS
	// request arrives broken in the way MalformedKind says; MalformedOp
	// limits it to one operation (as named in Counters.Requests), "" means
	// every operation. Counted as Counters.Faults["malformed"].
	Malformed     float64
	MalformedKind Malformation
	MalformedOp   string
}

// DefaultResetAfter is how many body bytes are read before an injected
// reset when Faults.ResetAfter is zero.
const DefaultResetAfter = 64 << 10

// Fault kinds as counted in Counters.Faults.
const (
	faultError    = "error"
	faultThrottle = "throttle"
	faultReset    = "reset"
	faultVOD      = "vod_error"
)

// faultInjector decides, per request, which faults to inject. Its random
// source is seeded from Faults.Seed and guarded by mu, so a sequential run
// repeats exactly; concurrent requests draw in arrival order.
type faultInjector struct {
	mu  sync.Mutex // guards cfg and rng
	cfg Faults
	rng *rand.Rand
}

func newFaultInjector(f Faults) *faultInjector {
	fi := &faultInjector{}
	fi.set(f)
	return fi
}

// set replaces the configuration and restarts the random sequence from
// f.Seed.
func (f *faultInjector) set(cfg Faults) {
	if cfg.ResetAfter <= 0 {
		cfg.ResetAfter = DefaultResetAfter
	}
	seed := uint64(cfg.Seed)
	f.mu.Lock()
	f.cfg = cfg
	f.rng = rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	f.mu.Unlock()
}

func (f *faultInjector) config() Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg
}

// requestFaults is what happens to one OSS request.
type requestFaults struct {
	delay      time.Duration
	err        *ossError // answered instead of the operation
	kind       string    // fault kind of err
	resetAfter int64     // > 0: reset the connection after this many body bytes
	bandwidth  int64     // request body cap in bytes per second; 0 = none
}

// decide draws the faults for one OSS request; upload says whether the
// operation carries an object body (PutObject, UploadPart), the only ones
// that can be reset.
func (f *faultInjector) decide(upload bool) requestFaults {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cfg
	d := requestFaults{delay: c.Latency, bandwidth: c.BandwidthBPS}
	if c.LatencyJitter > 0 {
		d.delay += time.Duration(f.rng.Int64N(int64(c.LatencyJitter)))
	}
	switch {
	case f.hit(c.ErrorRate):
		d.kind = faultError
		d.err = errInternal()
		if f.rng.IntN(2) == 1 {
			d.err = errServiceUnavailable()
		}
	case f.hit(c.ThrottleRate):
		d.kind = faultThrottle
		d.err = errSlowDown()
	case upload && f.hit(c.ResetRate):
		d.kind = faultReset
		d.resetAfter = c.ResetAfter
	}
	return d
}

// hit draws against probability p; a zero p draws nothing, so enabling one fault
// kind does not shift the sequence of another. Callers hold mu.
func (f *faultInjector) hit(p float64) bool {
	return p > 0 && f.rng.Float64() < p
}

// vodError reports whether to fail a VOD RPC call with 503
// ServiceUnavailable (Faults.VODErrorRate).
func (f *faultInjector) vodError() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hit(f.cfg.VODErrorRate)
}

// injectVODError is vodError plus the count in Counters.Faults["vod_error"],
// for the VOD handlers.
func (s *Server) injectVODError() bool {
	if !s.faults.vodError() {
		return false
	}
	s.countFault(faultVOD)
	return true
}

// SetFaults replaces the injected faults while the server runs, restarting
// the random sequence from f.Seed. Requests already in flight keep the
// faults they drew.
func (s *Server) SetFaults(f Faults) { s.faults.set(f) }

func (s *Server) countFault(kind string) {
	s.mu.Lock()
	s.counters.faults[kind]++
	s.mu.Unlock()
}

// connKey is the context key of a connection's *connFaults.
type connKey struct{}

// connFaults is per-connection fault state. HTTP/1.1 serves one request at
// a time per connection, but the mutex keeps it correct regardless.
type connFaults struct {
	conn net.Conn
	mu   sync.Mutex // guards bps and lim
	bps  int64
	lim  *rate.Limiter
}

// limiter returns the connection's body-rate limiter for bps, rebuilding
// it when SetFaults changed the rate.
func (c *connFaults) limiter(bps int64) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lim == nil || c.bps != bps {
		c.bps = bps
		c.lim = rate.NewLimiter(rate.Limit(bps), bandwidthBurst(bps))
	}
	return c.lim
}

// bandwidthBurst is the limiter's bucket: an eighth of a second of data,
// so the cap holds closely even for short bodies, within [1, 256 KiB].
func bandwidthBurst(bps int64) int {
	return int(max(1, min(bps/8, 256<<10)))
}

// connState is the http.Server ConnState hook; per-connection state lives
// in the connection's context, so there is nothing to track here.
func (f *faultInjector) connState(net.Conn, http.ConnState) {}

// connContext gives every connection its own fault state, reachable from
// each request's context.
func (f *faultInjector) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, &connFaults{conn: c})
}

// wrapListener is the hook for listener-level faults; none are needed.
func (f *faultInjector) wrapListener(l net.Listener) net.Listener { return l }

func connFaultsOf(ctx context.Context) *connFaults {
	c, _ := ctx.Value(connKey{}).(*connFaults)
	return c
}
