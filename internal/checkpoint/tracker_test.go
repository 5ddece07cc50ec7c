package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memStore is a Store whose Save can be made to fail or block, counting
// every attempt.
type memStore struct {
	mu       sync.Mutex
	data     map[string][]byte
	saves    atomic.Int32
	failNext atomic.Int32  // fail this many saves
	block    chan struct{} // when set, Save waits for it to close
	err      error         // returned while failNext > 0
	inSave   chan struct{} // when set, signalled as a Save begins
}

var errDiskFull = errors.New("no space left on device")

func newMemStore() *memStore {
	return &memStore{data: map[string][]byte{}, err: errDiskFull}
}

func (m *memStore) Load(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.data[key]
	if !ok {
		return nil, ErrNotExist
	}
	return b, nil
}

func (m *memStore) Save(ctx context.Context, key string, data []byte) error {
	m.saves.Add(1)
	if m.inSave != nil {
		select {
		case m.inSave <- struct{}{}:
		default:
		}
	}
	if m.block != nil {
		select {
		case <-m.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if m.failNext.Add(-1) >= 0 {
		return m.err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[key] = bytes.Clone(data)
	return nil
}

func (m *memStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
	return nil
}

// countingStore wraps a real Store and counts Saves, to show batching
// against actual fsync costs.
type countingStore struct {
	Store
	saves atomic.Int32
}

func (c *countingStore) Save(ctx context.Context, key string, data []byte) error {
	c.saves.Add(1)
	return c.Store.Save(ctx, key, data)
}

func loadRecord(t *testing.T, s Store) *Record {
	t.Helper()
	b, err := s.Load(context.Background(), testKey)
	require.NoError(t, err)
	r, err := Decode(b)
	require.NoError(t, err)
	return r
}

func requirePartsExactly(t *testing.T, n int, parts []Part) {
	t.Helper()
	require.Len(t, parts, n)
	for i, p := range parts {
		require.Equal(t, i+1, p.Number, "parts sorted and unique")
	}
}

func TestTrackerBatchesSaves(t *testing.T) {
	t.Parallel()
	store := &countingStore{Store: newTestStore(t)}
	rec := testRecord(0)
	rec.Source.Size = 1000 * testPartSize
	tr := NewTracker(store, testKey, rec, TrackerOptions{})
	for i := 1; i <= 1000; i++ {
		tr.PartDone(testPart(i))
	}
	require.NoError(t, tr.Close(context.Background()))

	saves := store.saves.Load()
	t.Logf("1000 PartDone calls -> %d saves", saves)
	assert.Less(t, saves, int32(100), "saves must be batched")
	requirePartsExactly(t, 1000, loadRecord(t, store).Parts)
}

func TestTrackerConcurrentPartDone(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	rec := testRecord(0)
	rec.Source.Size = 1000 * testPartSize
	tr := NewTracker(store, testKey, rec, TrackerOptions{Interval: time.Millisecond, MaxPending: 4})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			// Interleaved, out-of-order completion, each part reported twice
			// as a retried part would be.
			for i := 1000 - g; i >= 1; i -= 8 {
				tr.PartDone(testPart(i))
				tr.PartDone(testPart(i))
			}
		})
	}
	wg.Wait()
	require.NoError(t, tr.Close(context.Background()))

	requirePartsExactly(t, 1000, loadRecord(t, store).Parts)
	requirePartsExactly(t, 1000, tr.Snapshot().Parts)
}

func TestTrackerRetriedPartReplacesOld(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	tr := NewTracker(store, testKey, testRecord(0), TrackerOptions{})
	p := testPart(1)
	tr.PartDone(p)
	p.ETag = `"NEW"`
	tr.PartDone(p)
	require.NoError(t, tr.Close(context.Background()))
	assert.Equal(t, []Part{p}, loadRecord(t, store).Parts)
}

func TestTrackerSavesInitialRecordAndStamps(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	rec := testRecord(0)
	rec.Created = time.Time{}
	tr := NewTracker(store, testKey, rec, TrackerOptions{Now: func() time.Time { return now }})
	rec.MediaID = "changed-after-new" // the tracker owns a copy
	require.NoError(t, tr.Close(context.Background()))

	got := loadRecord(t, store)
	assert.Equal(t, testRecord(0).MediaID, got.MediaID, "a crash before the first part still resumes the same media")
	assert.Equal(t, now, got.Created)
	assert.Equal(t, now, got.Updated)
}

func TestTrackerSavesAfterInterval(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	tr := NewTracker(store, testKey, testRecord(0), TrackerOptions{Interval: 10 * time.Millisecond, MaxPending: 1000})
	defer func() { require.NoError(t, tr.Close(context.Background())) }()
	tr.PartDone(testPart(1))
	require.Eventually(t, func() bool {
		b, err := store.Load(context.Background(), testKey)
		if err != nil {
			return false
		}
		r, err := Decode(b)
		return err == nil && len(r.Parts) == 1
	}, 5*time.Second, 5*time.Millisecond, "a lone part must reach the store within Interval")
}

func TestTrackerReportsBackgroundFailure(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	store.failNext.Store(1)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	tr := NewTracker(store, testKey, testRecord(0), TrackerOptions{Interval: time.Millisecond, Logger: logger})
	defer func() { require.NoError(t, tr.Close(context.Background())) }()
	tr.PartDone(testPart(1))
	require.Eventually(t, func() bool { return store.saves.Load() >= 1 }, 5*time.Second, time.Millisecond)

	err := tr.Flush(context.Background())
	require.ErrorIs(t, err, errDiskFull, "a background failure must not be swallowed")
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "checkpoint save failed")
	assert.Len(t, loadRecord(t, store).Parts, 1, "the store recovered and holds the part")
	require.NoError(t, tr.Flush(context.Background()), "reported once")
}

func TestTrackerFlushReportsOwnFailure(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	tr := NewTracker(store, testKey, testRecord(0), TrackerOptions{Interval: time.Hour})
	store.failNext.Store(1)
	tr.PartDone(testPart(1))
	require.ErrorIs(t, tr.Flush(context.Background()), errDiskFull)
	require.NoError(t, tr.Close(context.Background()), "Close retries the unsaved part")
	assert.Len(t, loadRecord(t, store).Parts, 1)
}

func TestTrackerRejectsInvalidPart(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	tr := NewTracker(store, testKey, testRecord(0), TrackerOptions{})
	tr.PartDone(Part{Number: 0, ETag: `"X"`, Size: 1})
	tr.PartDone(testPart(1))
	err := tr.Close(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "part 0 rejected")
	assert.Equal(t, []Part{testPart(1)}, loadRecord(t, store).Parts, "valid parts still persisted")
}

func TestTrackerCloseGivesUpOnStuckStore(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	store.block = make(chan struct{})
	store.inSave = make(chan struct{}, 1)
	tr := NewTracker(store, testKey, testRecord(0), TrackerOptions{Interval: time.Millisecond})
	<-store.inSave // the initial save is stuck

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, tr.Close(ctx), context.DeadlineExceeded)

	close(store.block)
	require.NoError(t, tr.Close(context.Background()), "a later Close still flushes")
	assert.Equal(t, testRecord(0).MediaID, loadRecord(t, store).MediaID)
}

func TestTrackerFlushHonoursContext(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	store.block = make(chan struct{})
	store.inSave = make(chan struct{}, 1)
	tr := NewTracker(store, testKey, testRecord(0), TrackerOptions{Interval: time.Millisecond})
	<-store.inSave

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, tr.Flush(ctx), context.DeadlineExceeded)
	close(store.block)
	require.NoError(t, tr.Close(context.Background()))
}

// syncWriter lets the tracker's goroutine log while the test reads.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
