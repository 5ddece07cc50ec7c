package source

import (
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/time/rate"
)

// Burst bounds for NewLimiter: large enough that a fast limit is not spent
// on tiny reads, small enough that the first second of an upload does not
// run far over the limit.
const (
	minLimitBurst = 16 << 10
	maxLimitBurst = 1 << 20
)

// ErrZeroBurst means a limiter can never grant a byte.
var ErrZeroBurst = errors.New("bandwidth limiter has zero burst")

// NewLimiter returns a limiter for bytesPerSecond shared by every reader of
// one upload; nil when bytesPerSecond ≤ 0 (no limit). The burst is an eighth
// of a second's worth, so a fresh limiter lets little more than the limit
// through in the first second.
func NewLimiter(bytesPerSecond int64) *rate.Limiter {
	if bytesPerSecond <= 0 {
		return nil
	}
	burst := bytesPerSecond / 8
	if burst < minLimitBurst {
		burst = min(bytesPerSecond, minLimitBurst)
	}
	burst = min(burst, maxLimitBurst)
	return rate.NewLimiter(rate.Limit(bytesPerSecond), int(burst))
}

// LimitReader returns a reader that hands out r's bytes no faster than l
// allows, one chunk of at most l's burst per Read. A nil l returns r. The
// wait comes after the read so it charges exactly the bytes read; ctx ends
// a wait early.
func LimitReader(ctx context.Context, r io.Reader, l *rate.Limiter) io.Reader {
	if l == nil {
		return r
	}
	return &limitedReader{ctx: ctx, r: r, l: l}
}

type limitedReader struct {
	ctx context.Context
	r   io.Reader
	l   *rate.Limiter
}

func (lr *limitedReader) Read(p []byte) (int, error) {
	if lr.l.Limit() == rate.Inf {
		return lr.r.Read(p)
	}
	burst := lr.l.Burst()
	if burst < 1 {
		return 0, fmt.Errorf("limit bandwidth: %w", ErrZeroBurst)
	}
	if len(p) > burst {
		p = p[:burst]
	}
	n, err := lr.r.Read(p)
	if n > 0 {
		if werr := lr.l.WaitN(lr.ctx, n); werr != nil {
			return n, lr.waitError(werr)
		}
	}
	return n, err
}

// waitError keeps context errors matchable: WaitN fails at once, with its
// own error, when the wait would outlast ctx's deadline.
func (lr *limitedReader) waitError(err error) error {
	if cerr := lr.ctx.Err(); cerr != nil {
		return fmt.Errorf("limit bandwidth: %w", cerr)
	}
	if _, ok := lr.ctx.Deadline(); ok {
		return fmt.Errorf("limit bandwidth: %w: %w", context.DeadlineExceeded, err)
	}
	return fmt.Errorf("limit bandwidth: %w", err)
}
