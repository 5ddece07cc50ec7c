// Package uploadauth holds the temporary STS credential of one upload and
// renews it: proactively once a share of its lifetime has passed, and
// reactively when OSS says it has expired. All workers of an upload share
// one Holder, and however many of them see expiry together, the refresh
// function runs once.
package uploadauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Credentials is one STS triple and its validity window.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	Issued          time.Time // when it was received
	Expires         time.Time
}

// LogValue keeps secrets out of logs.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID),
		slog.Time("expires", c.Expires))
}

// String keeps secrets out of fmt output.
func (c Credentials) String() string {
	return fmt.Sprintf("sts credential %s (expires %s)", c.AccessKeyID, c.Expires.Format(time.RFC3339))
}

// GoString keeps secrets out of %#v.
func (c Credentials) GoString() string { return c.String() }

// RefreshFunc obtains a fresh credential for the same object.
type RefreshFunc func(ctx context.Context) (Credentials, error)

// Options tune a Holder.
type Options struct {
	// RefreshAt is the share of the lifetime after which Get renews the
	// credential before using it. Default 0.8.
	RefreshAt float64
	// Logger gets refresh events at debug level and failures at warn.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Holder is safe for concurrent use.
type Holder struct {
	refresh RefreshFunc
	opts    Options

	mu        sync.Mutex
	cur       Credentials
	gen       uint64        // bumped by every successful refresh
	inflight  chan struct{} // closed when the running refresh ends
	lastErr   error
	refreshes int
}

// ErrNoRefresh is returned when a credential must be renewed but the
// Holder was given no way to do it.
var ErrNoRefresh = errors.New("upload credential expired and no refresh function is set")

// New returns a Holder starting with initial. refresh may be nil for a
// credential that cannot be renewed.
func New(initial Credentials, refresh RefreshFunc, opts Options) *Holder {
	if opts.RefreshAt <= 0 || opts.RefreshAt >= 1 {
		opts.RefreshAt = 0.8
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Holder{refresh: refresh, opts: opts, cur: initial}
}

// Ticket identifies the credential a request was signed with, so a report
// of its expiry does not throw away a newer one.
type Ticket uint64

// Get returns a credential to sign the next request with, renewing it first
// when RefreshAt of its lifetime has passed. A failed proactive renewal is
// logged and the old credential used while it is still valid. Without a
// refresh function the credential is always returned: only OSS can tell
// whether it still works, and the local clock may disagree with it.
func (h *Holder) Get(ctx context.Context) (Credentials, Ticket, error) {
	h.mu.Lock()
	cur, gen := h.cur, h.gen
	h.mu.Unlock()
	now := h.opts.Now()
	if h.refresh == nil || !h.due(cur, now) {
		return cur, Ticket(gen), nil
	}
	fresh, fgen, err := h.renew(ctx, gen)
	if err == nil {
		return fresh, Ticket(fgen), nil
	}
	if now.Before(cur.Expires) && ctx.Err() == nil {
		h.opts.Logger.Warn("proactive credential refresh failed; using the current one until it expires",
			"error", err, "expires", cur.Expires)
		return cur, Ticket(gen), nil
	}
	return Credentials{}, 0, err
}

// Ticket names the credential Current returns now. A request takes it
// right before it is signed (OSSProvider signs with Current), so that a
// report of its rejection names the credential it really carried.
func (h *Holder) Ticket() Ticket {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Ticket(h.gen)
}

// Expired reports that OSS rejected the credential of ticket t as expired
// or unknown. It renews the credential unless another caller already did,
// and returns the one to retry with.
func (h *Holder) Expired(ctx context.Context, t Ticket) (Credentials, Ticket, error) {
	fresh, gen, err := h.renew(ctx, uint64(t))
	return fresh, Ticket(gen), err
}

// Refreshes is the number of successful renewals so far.
func (h *Holder) Refreshes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refreshes
}

// Current returns the credential without renewing it.
func (h *Holder) Current() Credentials {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur
}

func (h *Holder) due(c Credentials, now time.Time) bool {
	if c.Expires.IsZero() {
		return false
	}
	life := c.Expires.Sub(c.Issued)
	if life <= 0 {
		return true
	}
	renewAt := c.Issued.Add(time.Duration(float64(life) * h.opts.RefreshAt))
	return !now.Before(renewAt)
}

// renew runs one refresh for all callers that saw generation gen; callers
// that arrive after it finished get its result without calling VOD again.
func (h *Holder) renew(ctx context.Context, gen uint64) (Credentials, uint64, error) {
	for {
		h.mu.Lock()
		if h.gen != gen {
			cur, g := h.cur, h.gen
			h.mu.Unlock()
			return cur, g, nil
		}
		if h.refresh == nil {
			h.mu.Unlock()
			return Credentials{}, 0, ErrNoRefresh
		}
		if wait := h.inflight; wait != nil {
			h.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return Credentials{}, 0, ctx.Err()
			}
			h.mu.Lock()
			err := h.lastErr
			changed := h.gen != gen
			h.mu.Unlock()
			if !changed && err != nil {
				return Credentials{}, 0, err
			}
			continue
		}
		done := make(chan struct{})
		h.inflight = done
		h.mu.Unlock()

		fresh, err := h.refresh(ctx)

		h.mu.Lock()
		h.inflight = nil
		h.lastErr = err
		if err == nil {
			h.cur = fresh
			h.gen++
			h.refreshes++
		}
		cur, g := h.cur, h.gen
		h.mu.Unlock()
		close(done)
		if err != nil {
			return Credentials{}, 0, fmt.Errorf("refresh upload credential: %w", err)
		}
		h.opts.Logger.Debug("upload credential refreshed", "credential", fresh)
		return cur, g, nil
	}
}

// OSSProvider adapts the Holder to the OSS SDK, which asks for the
// credential on every request: a renewal reaches every worker without
// rebuilding clients.
func (h *Holder) OSSProvider() oss.CredentialsProvider { return ossProvider{h} }

type ossProvider struct{ h *Holder }

func (p ossProvider) GetCredentials() oss.Credentials { return ossCreds(p.h.Current()) }

type ossCreds Credentials

func (c ossCreds) GetAccessKeyID() string     { return c.AccessKeyID }
func (c ossCreds) GetAccessKeySecret() string { return c.AccessKeySecret }
func (c ossCreds) GetSecurityToken() string   { return c.SecurityToken }
