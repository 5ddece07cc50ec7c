package source

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func TestLimitReaderHoldsTheRate(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16)
	start := time.Now()
	got, err := io.ReadAll(LimitReader(context.Background(), bytes.NewReader(data), NewLimiter(1<<20)))
	elapsed := time.Since(start)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	// 2 MiB at 1 MiB/s, less the 128 KiB burst a fresh limiter grants.
	assert.GreaterOrEqual(t, elapsed, 1800*time.Millisecond)
}

func TestLimitReaderStopsWaitingWithContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := tt.ctx()
			defer cancel()
			// 10 B/s: the first 10 bytes pass at once, the next 10 would
			// take a second.
			r := LimitReader(ctx, strings.NewReader(strings.Repeat("x", 100)), rate.NewLimiter(10, 10))
			buf := make([]byte, 10)
			n, err := r.Read(buf)
			require.NoError(t, err)
			require.Equal(t, 10, n)
			start := time.Now()
			_, err = r.Read(buf)
			assert.ErrorIs(t, err, tt.want)
			assert.Less(t, time.Since(start), 500*time.Millisecond)
		})
	}
}

func TestLimitReaderReadsAtMostABurst(t *testing.T) {
	t.Parallel()
	r := LimitReader(context.Background(), bytes.NewReader(make([]byte, 100)), rate.NewLimiter(1e6, 7))
	n, err := r.Read(make([]byte, 100))
	require.NoError(t, err)
	assert.Equal(t, 7, n)

	_, err = LimitReader(context.Background(), strings.NewReader("x"), rate.NewLimiter(10, 0)).Read(make([]byte, 1))
	assert.ErrorIs(t, err, ErrZeroBurst)
}

func TestLimitReaderWithoutLimit(t *testing.T) {
	t.Parallel()
	src := strings.NewReader("abc")
	assert.Same(t, src, LimitReader(context.Background(), src, nil))
	got, err := io.ReadAll(LimitReader(context.Background(), strings.NewReader("abc"), rate.NewLimiter(rate.Inf, 0)))
	require.NoError(t, err)
	assert.Equal(t, "abc", string(got))
}

func TestNewLimiterBurst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bps       int64
		wantBurst int
	}{
		{100, 100},
		{64 << 10, 16 << 10},
		{1 << 20, 128 << 10},
		{1 << 30, 1 << 20},
	}
	for _, tt := range tests {
		l := NewLimiter(tt.bps)
		require.NotNil(t, l, tt.bps)
		assert.Equal(t, tt.wantBurst, l.Burst(), tt.bps)
		assert.InDelta(t, float64(tt.bps), float64(l.Limit()), 0.5, tt.bps)
	}
	assert.Nil(t, NewLimiter(0))
	assert.Nil(t, NewLimiter(-5))
}
