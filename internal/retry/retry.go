// Package retry decides whether a failed request is worth repeating and how
// long to wait first.
package retry

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/vodupload/vodupload/internal/apierr"
)

// Policy bounds the attempts of one request.
type Policy struct {
	MaxAttempts int           // total attempts, first one included
	BaseDelay   time.Duration // the backoff ceiling for the first retry
	MaxDelay    time.Duration // the backoff ceiling never grows past this
}

// Backoff returns a full-jitter delay for the given retry (1 = first
// retry): uniform in [0, min(MaxDelay, BaseDelay·2^(retry-1))). Full jitter
// spreads the retries of many workers hit by one fault, so they do not come
// back as a thundering herd.
func (p Policy) Backoff(retry int) time.Duration {
	if retry < 1 || p.BaseDelay <= 0 {
		return 0
	}
	ceiling := p.BaseDelay
	for i := 1; i < retry && ceiling < p.MaxDelay; i++ {
		ceiling *= 2
	}
	if p.MaxDelay > 0 && ceiling > p.MaxDelay {
		ceiling = p.MaxDelay
	}
	return rand.N(ceiling) + 1
}

// Sleep waits d or until ctx is done, whichever comes first.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Class says what to do about an error.
type Class int

const (
	// Permanent errors fail the upload at once: retrying cannot help.
	Permanent Class = iota
	// Transient errors are retried with backoff.
	Transient
	// Expired errors are cured by a fresh credential, then retried.
	Expired
)

// Classify sorts err. Context errors are permanent: the caller gave up.
func Classify(err error) Class {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Permanent
	}
	var ae *apierr.Error
	if errors.As(err, &ae) {
		switch {
		case ae.CredentialExpired():
			return Expired
		case ae.Temporary():
			return Transient
		}
		return Permanent
	}
	if isNetwork(err) {
		return Transient
	}
	return Permanent
}

// isNetwork reports connection-level failures: resets, broken pipes,
// unexpected EOFs and timeouts, which a new connection usually cures.
func isNetwork(err error) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}
