package main

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiterSet keeps one token bucket per client key. It never grows past
// max entries and forgets clients idle for longer than idle, sweeping
// lazily on use so no goroutine outlives the Server.
type limiterSet struct {
	rate  rate.Limit
	burst int
	idle  time.Duration
	max   int

	mu        sync.Mutex
	clients   map[string]*clientLimiter
	lastSweep time.Time
}

type clientLimiter struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiterSet(r rate.Limit, burst int, idle time.Duration, maxClients int) *limiterSet {
	// A bucket idle for its full refill time is full again, so dropping it
	// then is invisible to the client; dropping it sooner would hand out a
	// fresh burst early.
	if refill := time.Duration(float64(burst) / float64(r) * float64(time.Second)); idle < refill {
		idle = refill
	}
	return &limiterSet{rate: r, burst: burst, idle: idle, max: maxClients, clients: make(map[string]*clientLimiter)}
}

// allow takes one token from key's bucket. When none is left it returns
// how long until one is.
func (l *limiterSet) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.client(key, now)
	res := c.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, l.idle
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// client returns key's limiter, creating it (and making room) if needed.
func (l *limiterSet) client(key string, now time.Time) *clientLimiter {
	if now.Sub(l.lastSweep) >= l.idle/2 {
		l.sweep(now)
	}
	c, ok := l.clients[key]
	if !ok {
		if len(l.clients) >= l.max {
			l.sweep(now)
		}
		if len(l.clients) >= l.max {
			l.evictOldest()
		}
		c = &clientLimiter{lim: rate.NewLimiter(l.rate, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	return c
}

func (l *limiterSet) sweep(now time.Time) {
	for k, c := range l.clients {
		if now.Sub(c.seen) >= l.idle {
			delete(l.clients, k)
		}
	}
	l.lastSweep = now
}

// evictOldest runs only when max clients were all active within idle: a
// flood of distinct keys. Scanning is then cheaper than keeping an LRU
// list on every request.
func (l *limiterSet) evictOldest() {
	var oldest string
	var at time.Time
	for k, c := range l.clients {
		if oldest == "" || c.seen.Before(at) {
			oldest, at = k, c.seen
		}
	}
	delete(l.clients, oldest)
}

func (l *limiterSet) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}
