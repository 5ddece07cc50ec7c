package progress

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeterReportsFromOneGoroutineAndEndsWithFinal(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []Snapshot
	inCallback := false
	m := Start(1000, func(s Snapshot) {
		mu.Lock()
		require.False(t, inCallback, "callback ran concurrently with itself")
		inCallback = true
		got = append(got, s)
		inCallback = false
		mu.Unlock()
	}, 5*time.Millisecond)
	for range 10 {
		m.Add(100)
		time.Sleep(2 * time.Millisecond)
		m.Ack(100)
	}
	m.Add(50)
	m.Add(-50) // a failed attempt takes its bytes back
	m.Stop()
	m.Stop() // idempotent

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, got)
	last := got[len(got)-1]
	assert.True(t, last.Final)
	assert.EqualValues(t, 1000, last.Done)
	assert.EqualValues(t, 1000, last.Total)
	assert.Zero(t, last.InFlight)
	assert.Greater(t, last.Rate, 0.0)
	for _, s := range got[:len(got)-1] {
		assert.False(t, s.Final)
	}
}

func TestDoneNeverRunsAheadOfAcknowledgements(t *testing.T) {
	t.Parallel()
	m := Start(1000, nil, 0)
	m.Add(600) // written into socket buffers
	s := m.snapshot(time.Now(), false)
	assert.Zero(t, s.Done, "nothing acknowledged yet")
	assert.EqualValues(t, 600, s.InFlight)
	m.Ack(400)
	m.Resumed(100)
	s = m.snapshot(time.Now(), false)
	assert.EqualValues(t, 500, s.Done)
	assert.EqualValues(t, 200, s.InFlight)
}
