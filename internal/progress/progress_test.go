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

func TestRateCountsOnlyThisRunsBytes(t *testing.T) {
	t.Parallel()
	m := Start(1000, nil, 0)
	m.Resumed(800) // taken over from a checkpoint, at once
	s := m.snapshot(m.start.Add(500*time.Millisecond), false)
	assert.EqualValues(t, 800, s.Done)
	assert.EqualValues(t, 800, s.Resumed)
	assert.Zero(t, s.Rate, "nothing sent in this run yet")

	m.Add(100)
	m.Ack(100)
	s = m.snapshot(m.start.Add(time.Second), false)
	assert.InDelta(t, 100, s.Rate, 1, "100 bytes in the first second")
	s = m.snapshot(m.start.Add(2*time.Second), true)
	assert.EqualValues(t, 900, s.Done)
	assert.InDelta(t, 50, s.Rate, 1, "the final rate is this run's bytes over the whole time")
}

func TestRunningRateFollowsBytesOnTheWireNotAcknowledgementBursts(t *testing.T) {
	t.Parallel()
	m := Start(-1, nil, 0)
	// 100 bytes/s handed to the network steadily; the server acknowledges
	// them in lumps of 500 every five seconds.
	var rates []float64
	for sec := 1; sec <= 20; sec++ {
		m.Add(100)
		if sec%5 == 0 {
			m.Ack(500)
		}
		rates = append(rates, m.snapshot(m.start.Add(time.Duration(sec)*time.Second), false).Rate)
	}
	for i, r := range rates {
		assert.InDelta(t, 100, r, 1, "second %d", i+1)
	}
}
