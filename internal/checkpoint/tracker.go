package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Tracker defaults; a zero field in TrackerOptions means the default.
const (
	DefaultInterval   = time.Second
	DefaultMaxPending = 16
)

// TrackerOptions tune how often a Tracker persists.
type TrackerOptions struct {
	// Interval bounds how stale the stored record may get while parts keep
	// finishing: at most this much acknowledged work is re-uploaded after a
	// crash. Zero means DefaultInterval (1s).
	Interval time.Duration
	// MaxPending saves early once this many parts finished since the last
	// save, so fast uploads do not lose many parts to a crash. Zero means
	// DefaultMaxPending (16).
	MaxPending int
	// Logger receives a warning for every failed background save. Nil
	// discards.
	Logger *slog.Logger
	// Now stamps Created and Updated. Nil means time.Now.
	Now func() time.Time
}

func (o TrackerOptions) withDefaults() TrackerOptions {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Tracker records finished parts in memory and persists them to a Store in
// the background, so upload workers are never bound by fsync. A failed
// background save is retried on the next tick and reported by the next
// Flush or Close.
type Tracker struct {
	store Store
	key   string
	opts  TrackerOptions

	mu      sync.Mutex
	rec     Record
	dirty   bool  // rec differs from what the store holds
	pending int   // parts added since the last save started
	failed  error // first background failure not yet reported

	// saving is a one-slot semaphore serialising saves, so an older snapshot
	// can never land after a newer one; a channel so Flush can give up on ctx.
	saving   chan struct{}
	kick     chan struct{}
	stop     chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
	cancelBG context.CancelFunc
}

// NewTracker starts tracking rec under key. rec is copied, so the caller may
// keep or change it. The record starts dirty: the first save lands within
// Interval even before any part finishes, so a crash right after initiating
// the upload still resumes into the same media. Call Close when done.
func NewTracker(store Store, key string, rec *Record, opts TrackerOptions) *Tracker {
	opts = opts.withDefaults()
	t := &Tracker{
		store:   store,
		key:     key,
		opts:    opts,
		dirty:   true,
		saving:  make(chan struct{}, 1),
		kick:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if rec != nil {
		t.rec = rec.clone()
	}
	t.rec.normalize()
	t.rec.Parts = slices.CompactFunc(t.rec.Parts, func(a, b Part) bool { return a.Number == b.Number })
	if t.rec.Created.IsZero() {
		t.rec.Created = opts.Now()
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.cancelBG = cancel
	go t.run(ctx)
	return t
}

// PartDone records a part OSS acknowledged. A part with a number already
// recorded replaces it (a retried part gets a new ETag). It only takes a
// mutex; disk I/O happens in the background. An invalid part is dropped and
// reported by the next Flush.
func (t *Tracker) PartDone(p Part) {
	if err := p.validate(); err != nil {
		t.fail("checkpoint part rejected", fmt.Errorf("part %d rejected: %w", p.Number, err))
		return
	}
	t.mu.Lock()
	t.rec.Parts = insertPart(t.rec.Parts, p)
	t.dirty = true
	t.pending++
	full := t.pending >= t.opts.MaxPending
	t.mu.Unlock()
	if full {
		select {
		case t.kick <- struct{}{}:
		default: // a save is already due; it will include this part
		}
	}
}

// insertPart keeps parts sorted and unique; parts mostly finish in order, so
// the search usually lands at the end and the insert is an append.
func insertPart(parts []Part, p Part) []Part {
	i, found := slices.BinarySearchFunc(parts, p.Number, func(e Part, n int) int { return e.Number - n })
	if found {
		parts[i] = p
		return parts
	}
	return slices.Insert(parts, i, p)
}

// Flush persists the record now, waiting for any background save first. Its
// error joins an earlier unreported background failure with this save's
// own; when only the former is present the store is already current.
func (t *Tracker) Flush(ctx context.Context) error {
	err := t.persist(ctx)
	t.mu.Lock()
	failed := t.failed
	t.failed = nil
	t.mu.Unlock()
	if failed != nil {
		failed = fmt.Errorf("earlier background save: %w", failed)
	}
	if err := errors.Join(failed, err); err != nil {
		return fmt.Errorf("flush checkpoint %s: %w", t.key, err)
	}
	return nil
}

// Close stops the background goroutine and flushes. If ctx ends while a
// background save is stuck in the store, Close cancels that save's context
// and returns without flushing. Close may be called more than once; PartDone
// and Flush still work afterwards, synchronously.
func (t *Tracker) Close(ctx context.Context) error {
	t.stopOnce.Do(func() { close(t.stop) })
	select {
	case <-t.stopped:
	case <-ctx.Done():
		t.cancelBG()
		return fmt.Errorf("close checkpoint tracker %s: %w", t.key, ctx.Err())
	}
	t.cancelBG()
	return t.Flush(ctx)
}

// Snapshot returns a copy of the record as tracked in memory, which may be
// ahead of the store.
func (t *Tracker) Snapshot() Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rec.clone()
}

func (t *Tracker) run(ctx context.Context) {
	defer close(t.stopped)
	ticker := time.NewTicker(t.opts.Interval)
	defer ticker.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-ticker.C:
		case <-t.kick:
		}
		// A tick or kick racing with stop must not start another save.
		select {
		case <-t.stop:
			return
		default:
		}
		// A save cut short by Close's own cancellation is no failure to
		// report; the record stays dirty and Close's caller knows.
		if err := t.persist(ctx); err != nil && ctx.Err() == nil {
			t.fail("checkpoint save failed", err)
		}
	}
}

// persist saves a snapshot if anything changed since the last save.
func (t *Tracker) persist(ctx context.Context) error {
	select {
	case t.saving <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-t.saving }()

	t.mu.Lock()
	if !t.dirty {
		t.mu.Unlock()
		return nil
	}
	t.rec.Updated = t.opts.Now()
	snap := t.rec.clone()
	t.dirty, t.pending = false, 0
	t.mu.Unlock()

	data, err := Encode(&snap)
	if err == nil {
		err = t.store.Save(ctx, t.key, data)
	}
	if err != nil {
		// Still dirty: the next tick or Flush retries with newer data.
		t.mu.Lock()
		t.dirty = true
		t.mu.Unlock()
	}
	return err
}

// fail keeps the first unreported failure (usually the cause of the rest)
// and logs every one, so an operator sees a full disk while it lasts.
func (t *Tracker) fail(msg string, err error) {
	t.opts.Logger.Warn(msg, "key", t.key, "err", err)
	t.mu.Lock()
	if t.failed == nil {
		t.failed = err
	}
	t.mu.Unlock()
}
