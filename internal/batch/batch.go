// Package batch runs a sequence of jobs with a bounded number in flight
// and yields each outcome as it finishes. Jobs that share a group key are
// gathered into groups run by one call (VOD takes up to 20 URLs per
// UploadMediaByURL); the rest run one by one in a worker slot.
//
// It owns the goroutines: when the consumer stops early, panics, or the
// context ends, every goroutine it started has returned before the
// iterator does, so nothing leaks and nothing runs behind the caller's
// back.
package batch

import (
	"context"
	"iter"
	"slices"
	"sync"
	"time"
)

// Indexed is an item and its position in the sequence, from 0.
type Indexed[I any] struct {
	Index int
	Item  I
}

// Runner runs items. Concurrency, One and Skipped are required; grouping
// is off unless GroupKey, GroupSize and Many are all set.
type Runner[I, R any] struct {
	// Concurrency is how many items One runs at once (at least 1).
	Concurrency int
	// One runs one item and returns its result. It must return promptly
	// once ctx ends.
	One func(ctx context.Context, it Indexed[I]) R
	// Skipped is the result of an item taken from the sequence that never
	// ran because ctx ended first; err is the context's cause.
	Skipped func(it Indexed[I], err error) R

	// GroupKey says whether an item is run in a group, and with which
	// others: items of the same key share a call to Many.
	GroupKey func(I) (key string, grouped bool)
	// GroupSize is the most items in one group.
	GroupSize int
	// Groups is how many groups run at once; default Concurrency. Groups
	// do not take worker slots: a group mostly waits on a service, and
	// would otherwise hold up the items behind it.
	Groups int
	// Many runs a group and calls emit once per item, from its own
	// goroutine.
	Many func(ctx context.Context, group []Indexed[I], emit func(R))
	// Linger is how long a partial group waits for more members after its
	// first arrived. Zero starts a group only when it is full or the
	// sequence ends.
	Linger time.Duration
}

// Run returns the results of items, each as it finishes, so the order is
// not the sequence's. Every item taken from items gets exactly one result
// while the consumer keeps reading. Once ctx ends, no more items are
// taken and those taken but not started are Skipped. A partial group
// starts when the sequence ends or Linger after its first member came, so
// grouped items do not wait behind a long sequence of others. The
// sequence itself is read by one goroutine; while it blocks, nothing is
// started.
func (r Runner[I, R]) Run(ctx context.Context, items iter.Seq[I]) iter.Seq[R] {
	return func(yield func(R) bool) {
		ctx, cancel := context.WithCancel(ctx)
		out := make(chan delivery[R])
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.dispatch(ctx, items, out, &wg)
		}()
		go func() {
			wg.Wait()
			close(out)
		}()
		// On an early stop, a panic in the consumer or the end: cancel,
		// and read what the goroutines still send until the last is gone.
		defer func() {
			cancel()
			for d := range out {
				d.done()
			}
		}()
		for d := range out {
			if !d.consume(yield) {
				return
			}
		}
	}
}

// delivery is one result on its way to the consumer. release, when set,
// frees the worker slot of the item that produced it once the consumer is
// done with the result: a slot counts an item from its start until the
// consumer's loop body for it returned, so a slow consumer holds back new
// items instead of letting them pile up behind it.
type delivery[R any] struct {
	res     R
	release func()
}

// consume hands the result to yield and frees its slot afterwards, also
// when yield panics.
func (d delivery[R]) consume(yield func(R) bool) bool {
	defer d.done()
	return yield(d.res)
}

func (d delivery[R]) done() {
	if d.release != nil {
		d.release()
	}
}

// dispatch takes items from the sequence and starts each in a worker slot
// or a group. wg counts it and every goroutine it starts; out is read
// until all of them are done, so a send never blocks for good.
func (r Runner[I, R]) dispatch(ctx context.Context, items iter.Seq[I], out chan<- delivery[R], wg *sync.WaitGroup) {
	groups := r.Groups
	if groups < 1 {
		groups = r.Concurrency
	}
	d := &dispatcher[I, R]{r: r, ctx: ctx, out: out, wg: wg,
		slots:   make(chan struct{}, max(r.Concurrency, 1)),
		groups:  make(chan struct{}, max(groups, 1)),
		pending: map[string][]Indexed[I]{}, since: map[string]time.Time{}}
	defer d.flush() // the last partial groups; Skipped if ctx ended
	i := 0
	for item := range items {
		it := Indexed[I]{Index: i, Item: item}
		i++
		if ctx.Err() != nil {
			out <- delivery[R]{res: r.Skipped(it, context.Cause(ctx))}
			return
		}
		if key, ok := d.groupKey(item); ok {
			d.add(key, it)
			d.flushOlder(time.Now())
			continue
		}
		if !d.acquire() {
			out <- delivery[R]{res: r.Skipped(it, context.Cause(ctx))}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The consumer frees the slot once it is done with the
			// result, so at most Concurrency items are between their
			// start and the end of the consumer's loop body for them.
			out <- delivery[R]{res: r.One(ctx, it), release: func() { <-d.slots }}
		}()
	}
}

// dispatcher is the state of one Run's dispatch goroutine; only that
// goroutine touches pending and keys.
type dispatcher[I, R any] struct {
	r      Runner[I, R]
	ctx    context.Context
	out    chan<- delivery[R]
	wg     *sync.WaitGroup
	slots  chan struct{} // worker slots of One
	groups chan struct{} // groups running

	pending map[string][]Indexed[I] // partial groups by key
	keys    []string                // keys of pending in arrival order
	since   map[string]time.Time    // when each pending group's first member came
}

func (d *dispatcher[I, R]) groupKey(item I) (string, bool) {
	if d.r.GroupKey == nil || d.r.Many == nil || d.r.GroupSize < 1 {
		return "", false
	}
	return d.r.GroupKey(item)
}

// add puts it in its group and starts the group once it is full.
func (d *dispatcher[I, R]) add(key string, it Indexed[I]) {
	if _, ok := d.pending[key]; !ok {
		d.keys = append(d.keys, key)
		d.since[key] = time.Now()
	}
	d.pending[key] = append(d.pending[key], it)
	if len(d.pending[key]) >= d.r.GroupSize {
		d.startPending(key)
	}
}

// startPending starts the pending group of key.
func (d *dispatcher[I, R]) startPending(key string) {
	d.start(d.pending[key])
	delete(d.pending, key)
	delete(d.since, key)
	d.keys = slices.DeleteFunc(d.keys, func(k string) bool { return k == key })
}

// flush starts every partial group, oldest first.
func (d *dispatcher[I, R]) flush() {
	for len(d.keys) > 0 {
		d.startPending(d.keys[0])
	}
}

// flushOlder starts the partial groups that have lingered long enough.
func (d *dispatcher[I, R]) flushOlder(now time.Time) {
	for len(d.keys) > 0 && d.r.Linger > 0 && now.Sub(d.since[d.keys[0]]) >= d.r.Linger {
		d.startPending(d.keys[0])
	}
}

// start runs a group in its own goroutine once a group slot is free, or
// reports it Skipped when ctx ended first.
func (d *dispatcher[I, R]) start(group []Indexed[I]) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		select {
		case d.groups <- struct{}{}:
			defer func() { <-d.groups }()
		case <-d.ctx.Done():
		}
		// Checked after the select too: with a slot free and ctx ended
		// both cases are ready, and select picks one at random.
		if d.ctx.Err() != nil {
			for _, it := range group {
				d.out <- delivery[R]{res: d.r.Skipped(it, context.Cause(d.ctx))}
			}
			return
		}
		d.r.Many(d.ctx, group, func(res R) { d.out <- delivery[R]{res: res} })
	}()
}

// acquire takes a worker slot, starting partial groups whose time has
// come while it waits. It reports false when ctx ended first.
func (d *dispatcher[I, R]) acquire() bool {
	for {
		var linger <-chan time.Time
		if len(d.keys) > 0 && d.r.Linger > 0 {
			// Unstopped timers are collected since Go 1.23.
			linger = time.After(time.Until(d.since[d.keys[0]].Add(d.r.Linger)))
		}
		select {
		case d.slots <- struct{}{}:
			// Both cases may have been ready; an ended ctx wins.
			if d.ctx.Err() != nil {
				<-d.slots
				return false
			}
			return true
		case <-d.ctx.Done():
			return false
		case now := <-linger:
			d.flushOlder(now)
		}
	}
}
