package emulator

import (
	"context"
	"net"
	"net/http"
	"time"
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
}

// STUB: replaced by the fault injector implementation.
type faultInjector struct{}

func newFaultInjector(Faults) *faultInjector                                         { return &faultInjector{} }
func (f *faultInjector) connState(net.Conn, http.ConnState)                          {}
func (f *faultInjector) connContext(ctx context.Context, _ net.Conn) context.Context { return ctx }
func (f *faultInjector) wrapListener(l net.Listener) net.Listener                    { return l }
