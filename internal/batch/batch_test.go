package batch

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// job is a test item: grouped under group when it is not empty.
type job struct {
	id    int
	group string
}

type outcome struct {
	id      int
	err     error
	groupOf int // size of the group that ran it; 0 when run alone
}

func jobs(n int, group func(i int) string) iter.Seq[job] {
	return func(yield func(job) bool) {
		for i := range n {
			if !yield(job{id: i, group: group(i)}) {
				return
			}
		}
	}
}

// gauge tracks how many calls run at once and the most ever.
type gauge struct {
	now, peak atomic.Int64
}

func (g *gauge) enter() {
	n := g.now.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (g *gauge) leave() { g.now.Add(-1) }

func runner(conc int, g *gauge, work time.Duration) Runner[job, outcome] {
	return Runner[job, outcome]{
		Concurrency: conc,
		One: func(ctx context.Context, it Indexed[job]) outcome {
			g.enter()
			defer g.leave()
			select {
			case <-time.After(work):
				return outcome{id: it.Item.id}
			case <-ctx.Done():
				return outcome{id: it.Item.id, err: ctx.Err()}
			}
		},
		Skipped:   func(it Indexed[job], err error) outcome { return outcome{id: it.Item.id, err: err} },
		GroupKey:  func(j job) (string, bool) { return j.group, j.group != "" },
		GroupSize: 20,
		Many: func(ctx context.Context, group []Indexed[job], emit func(outcome)) {
			for _, it := range group {
				emit(outcome{id: it.Item.id, groupOf: len(group)})
			}
		},
	}
}

func TestEveryItemGetsOneResultWithinTheConcurrency(t *testing.T) {
	t.Parallel()
	var g gauge
	r := runner(3, &g, 2*time.Millisecond)
	seen := map[int]int{}
	for res := range r.Run(t.Context(), jobs(50, func(int) string { return "" })) {
		require.NoError(t, res.err)
		seen[res.id]++
	}
	require.Len(t, seen, 50)
	for id, n := range seen {
		assert.Equal(t, 1, n, "item %d", id)
	}
	assert.EqualValues(t, 3, g.peak.Load(), "three at once, never more")
}

func TestGroupsAreFullExceptTheLastOfEachKey(t *testing.T) {
	t.Parallel()
	var g gauge
	r := runner(2, &g, 0)
	// 45 items of group a, 7 of group b and 10 run alone, interleaved.
	var list []job
	for i := range 62 {
		grp := "a"
		switch {
		case i%6 == 5:
			grp = ""
		case i%8 == 0 && i < 56:
			grp = "b"
		}
		list = append(list, job{id: i, group: grp})
	}
	want := map[string]int{}
	for _, j := range list {
		want[j.group]++
	}
	require.Equal(t, map[string]int{"a": 45, "b": 7, "": 10}, want)

	sizes := map[string]map[int]int{"a": {}, "b": {}, "": {}} // group → size of its call → members
	for res := range r.Run(t.Context(), slices.Values(list)) {
		sizes[list[res.id].group][res.groupOf]++
	}
	assert.Equal(t, map[int]int{20: 40, 5: 5}, sizes["a"], "two full groups, then the rest")
	assert.Equal(t, map[int]int{7: 7}, sizes["b"])
	assert.Equal(t, map[int]int{0: 10}, sizes[""], "ungrouped items never run in a group")
}

func TestPartialGroupStartsAfterLinger(t *testing.T) {
	t.Parallel()
	// One slot; a grouped item arrives, then a sequence of ungrouped ones
	// that each hold the slot until the group ran. The group must start
	// after Linger, not when the sequence ends.
	groupRan := make(chan struct{})
	r := Runner[job, outcome]{
		Concurrency: 1,
		One: func(ctx context.Context, it Indexed[job]) outcome {
			select {
			case <-groupRan:
			case <-ctx.Done():
			}
			return outcome{id: it.Item.id}
		},
		Skipped:   func(it Indexed[job], err error) outcome { return outcome{id: it.Item.id, err: err} },
		GroupKey:  func(j job) (string, bool) { return j.group, j.group != "" },
		GroupSize: 20,
		Linger:    20 * time.Millisecond,
		// The worker is released only once the group's result has reached
		// the consumer, so the order below does not depend on which of
		// two woken goroutines the scheduler runs first.
		Many: func(ctx context.Context, group []Indexed[job], emit func(outcome)) {
			for _, it := range group {
				emit(outcome{id: it.Item.id, groupOf: len(group)})
			}
			close(groupRan)
		},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var order []int
	for res := range r.Run(ctx, jobs(5, func(i int) string { return map[bool]string{true: "g"}[i == 0] })) {
		require.NoError(t, res.err, "the group started on its own, the workers were not stuck")
		order = append(order, res.id)
	}
	require.Len(t, order, 5)
	assert.Equal(t, 0, order[0], "the group of one ran while the worker was busy")
}

func TestBreakingEarlyStopsEverythingAndLeaksNothing(t *testing.T) {
	t.Parallel()
	var g gauge
	r := runner(4, &g, time.Hour) // only cancellation ends a worker
	r.Linger = time.Millisecond
	var taken atomic.Int64
	items := func(yield func(job) bool) {
		for i := 0; ; i++ {
			taken.Add(1)
			if !yield(job{id: i, group: map[bool]string{true: "g"}[i%3 == 0]}) {
				return
			}
		}
	}
	got := 0
	for range r.Run(t.Context(), items) {
		got++ // a group reports; the workers never would
		break
	}
	assert.Equal(t, 1, got)
	assert.Zero(t, g.now.Load(), "no worker still running after the loop")
	n := taken.Load()
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, n, taken.Load(), "no item taken after the loop ended")
}

func TestAPanickingConsumerLeaksNothing(t *testing.T) {
	t.Parallel()
	var g gauge
	r := runner(2, &g, time.Hour)
	r.Linger = time.Millisecond // the group reports; the workers never would
	assert.PanicsWithValue(t, "consumer", func() {
		for range r.Run(t.Context(), jobs(10, func(i int) string { return map[bool]string{true: "g"}[i < 3] })) {
			panic("consumer")
		}
	})
	assert.Zero(t, g.now.Load())
}

func TestCancellingReportsStartedAndSkippedItems(t *testing.T) {
	t.Parallel()
	var g gauge
	r := runner(2, &g, time.Hour)
	ctx, cancel := context.WithCancelCause(t.Context())
	stop := errors.New("stop")
	go func() {
		for g.now.Load() < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel(stop)
	}()
	var results []outcome
	for res := range r.Run(ctx, jobs(100, func(int) string { return "" })) {
		results = append(results, res)
	}
	// Items 0 and 1 ran until the cancellation; item 2 waited for a slot
	// and is reported skipped; no other item was taken.
	ids := make([]int, 0, len(results))
	for _, res := range results {
		ids = append(ids, res.id)
		assert.True(t, errors.Is(res.err, stop) || errors.Is(res.err, context.Canceled), "item %d: %v", res.id, res.err)
	}
	slices.Sort(ids)
	assert.Equal(t, []int{0, 1, 2}, ids)
}

// TestGroupPendingAtCancellationIsSkipped: a partial group still waiting
// when the context ends is reported Skipped, never handed to Many with a
// dead context, although a group slot is free at that moment.
func TestGroupPendingAtCancellationIsSkipped(t *testing.T) {
	t.Parallel()
	stop := errors.New("stop")
	for range 100 {
		var many atomic.Int64
		r := runner(2, &gauge{}, 0)
		r.Many = func(ctx context.Context, group []Indexed[job], emit func(outcome)) {
			many.Add(1)
			for _, it := range group {
				emit(outcome{id: it.Item.id, err: ctx.Err()})
			}
		}
		ctx, cancel := context.WithCancelCause(t.Context())
		items := func(yield func(job) bool) {
			if yield(job{id: 0, group: "g"}) { // waits for 19 more
				cancel(stop)
				yield(job{id: 1, group: "g"})
			}
		}
		var got []outcome
		for res := range r.Run(ctx, items) {
			got = append(got, res)
		}
		require.Zero(t, many.Load(), "Many ran after the context ended")
		require.Len(t, got, 2)
		for _, res := range got {
			require.ErrorIs(t, res.err, stop, "item %d", res.id)
		}
	}
}
