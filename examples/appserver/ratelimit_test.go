package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimiterSet(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_700_000_000, 0)

	t.Run("burst then refill", func(t *testing.T) {
		t.Parallel()
		l := newLimiterSet(2, 2, time.Minute, 10) // 2/s
		for range 2 {
			ok, _ := l.allow("a", t0)
			require.True(t, ok)
		}
		ok, wait := l.allow("a", t0)
		assert.False(t, ok)
		assert.Equal(t, 500*time.Millisecond, wait)
		ok, _ = l.allow("a", t0.Add(wait))
		assert.True(t, ok, "a client that waits as told gets through")
	})

	t.Run("idle clients are forgotten", func(t *testing.T) {
		t.Parallel()
		l := newLimiterSet(1, 1, time.Minute, 1000)
		for i := range 100 {
			l.allow(fmt.Sprint("ip:", i), t0)
		}
		require.Equal(t, 100, l.len())
		l.allow("late", t0.Add(2*time.Minute))
		assert.Equal(t, 1, l.len())
	})

	t.Run("never more than max clients", func(t *testing.T) {
		t.Parallel()
		l := newLimiterSet(1, 1, time.Hour, 50)
		for i := range 10_000 {
			l.allow(fmt.Sprint("ip:", i), t0.Add(time.Duration(i)*time.Millisecond))
		}
		assert.Equal(t, 50, l.len())
		ok, _ := l.allow("ip:9999", t0.Add(10*time.Second))
		assert.False(t, ok, "the most recent clients keep their state")
	})

	t.Run("idle not shorter than refill", func(t *testing.T) {
		t.Parallel()
		l := newLimiterSet(0.1, 5, time.Second, 10) // refill takes 50 s
		assert.Equal(t, 50*time.Second, l.idle)
		for range 5 {
			l.allow("a", t0)
		}
		ok, _ := l.allow("a", t0.Add(10*time.Second))
		assert.True(t, ok, "one token back after 10 s")
		ok, _ = l.allow("a", t0.Add(11*time.Second))
		assert.False(t, ok, "the emptied bucket was not forgotten early")
	})
}
