package vodupload

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/cmd/uploadbench/benchkit"
	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/emulator"
)

// heapSampler records the peak of the heap in use above its level at the
// start. It reads runtime/metrics, which does not stop the world, so
// sampling every few milliseconds does not slow the upload it watches.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	base uint64
	peak uint64 // written by the sampling goroutine until done
}

// heapInUseSamples are the metrics that sum to MemStats.HeapInuse: live
// and not yet collected objects plus the free room of their spans.
func heapInUseSamples() []metrics.Sample {
	return []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
}

func readHeapInUse(samples []metrics.Sample) uint64 {
	metrics.Read(samples)
	var n uint64
	for _, s := range samples {
		n += s.Value.Uint64()
	}
	return n
}

// startHeapSampler collects garbage first, so the base is what is live.
func startHeapSampler() *heapSampler {
	samples := heapInUseSamples()
	runtime.GC()
	h := &heapSampler{done: make(chan struct{}), base: readHeapInUse(samples)}
	h.peak = h.base
	h.wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			h.peak = max(h.peak, readHeapInUse(samples))
			select {
			case <-tick.C:
			case <-h.done:
				return
			}
		}
	})
	return h
}

// stop ends sampling and returns the peak above the starting level.
func (h *heapSampler) stop() uint64 {
	close(h.done)
	h.wg.Wait()
	return h.peak - h.base
}

// The memory bounds the issue sets, on uploads large enough that a heap
// growing with the size of the source would break them.
const (
	memTestSize   = 1 << 30
	boundSlack    = 16 * mib // connections, requests and the emulator's state
	fileHeapBound = 32 * mib
)

// TestPeakHeap uploads 1 GiB from a stream of unknown size and from a file
// and checks the heap never grew beyond what the design promises: Concurrency
// part buffers plus the one being filled for streams, next to nothing for
// files (parts are read from the file at their offsets). It measures the
// whole process, emulator included. The collector runs at GOGC=10 here, so
// the heap in use follows what the upload holds rather than how long
// garbage waits at the default GOGC=100 (up to the live heap again).
// Not parallel: another test's heap would count against this one.
func TestPeakHeap(t *testing.T) {
	const partSize, concurrency = 8 * mib, 4
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	sparse := sparseFile(t, memTestSize)
	tests := []struct {
		name  string
		src   func() Source
		bound uint64
	}{
		{"unknown-size stream", func() Source {
			return ReaderSource(benchkit.NewGenerator(memTestSize, 1), -1, "stream.mp4")
		}, partSize*(concurrency+1) + boundSlack},
		{"file", func() Source { return FileSource(sparse) }, fileHeapBound},
	}
	srv := newEmulator(t, emulator.Options{Storage: emulator.StorageDiscard})
	u := newUploader(t, srv, WithPartSize(partSize), WithConcurrency(concurrency))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startHeapSampler()
			res, err := u.UploadVideo(context.Background(), tt.src(), VideoMeta{Title: tt.name})
			peak := h.stop()
			require.NoError(t, err)
			assert.EqualValues(t, memTestSize, res.Bytes)
			size, crc, err := srv.ObjectInfo(res.Bucket, res.ObjectKey)
			require.NoError(t, err)
			assert.EqualValues(t, memTestSize, size, "stored size")
			// Discard storage keeps no bytes, but its CRC64 of what arrived,
			// against one computed here from a fresh copy of the source, is
			// the byte-for-byte check.
			opened, err := tt.src().open(context.Background())
			require.NoError(t, err)
			digest := crc64.New()
			if opened.At != nil {
				_, err = io.Copy(digest, io.NewSectionReader(opened.At, 0, opened.Size))
			} else {
				_, err = io.Copy(digest, opened.Stream)
			}
			require.NoError(t, err)
			require.NoError(t, opened.Close())
			assert.Equal(t, digest.Sum64(), crc, "the stored object is the source, byte for byte")
			t.Logf("peak heap above the start: %.1f MiB (bound %.0f MiB)", float64(peak)/mib, float64(tt.bound)/mib)
			assert.LessOrEqual(t, peak, tt.bound, "peak heap in use above the level before the upload")
		})
	}
}

// TestAllocationsPerPartAreConstant: what an upload allocates per part
// does not grow with the part size, because parts are read from the file at
// their offsets straight into the transport, never copied into buffers of
// their own. Client and emulator are counted together, over 64 parts after
// a warm-up upload, so one-time initialisation does not count.
func TestAllocationsPerPartAreConstant(t *testing.T) {
	// The race detector makes sync.Pool drop a quarter of what is put back,
	// so the emulator's recycled 256 KiB read buffers show up as
	// allocations; the bounds leave room for that and are still far below
	// the 1 MiB and 8 MiB a copy of each part would cost.
	const parts, perPartBound, growthBound = 64, 256 << 10, 128 << 10
	srv := newEmulator(t, emulator.Options{Storage: emulator.StorageDiscard})
	allocsPerPart := func(partSize int64) (bytes, objects uint64) {
		u := newUploader(t, srv, WithPartSize(partSize), WithConcurrency(4), WithMultipartThreshold(mib))
		path := sparseFile(t, parts*partSize)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "allocs"})
		runtime.ReadMemStats(&after)
		require.NoError(t, err)
		require.Equal(t, parts, res.Parts)
		return (after.TotalAlloc - before.TotalAlloc) / parts, (after.Mallocs - before.Mallocs) / parts
	}
	allocsPerPart(MinPartSize) // warm-up
	small, smallObjects := allocsPerPart(mib)
	large, largeObjects := allocsPerPart(8 * mib)
	t.Logf("per part: %.0f KiB in %d allocations (1 MiB parts), %.0f KiB in %d (8 MiB parts)",
		float64(small)/1024, smallObjects, float64(large)/1024, largeObjects)
	assert.LessOrEqual(t, small, uint64(perPartBound), "bytes allocated per 1 MiB part")
	assert.LessOrEqual(t, large, uint64(perPartBound), "bytes allocated per 8 MiB part")
	assert.LessOrEqual(t, large, small+growthBound, "8× larger parts must not allocate in proportion")
}

// TestUploadReusesConnections: parts of one upload and the next upload
// share the Uploader's connections instead of dialling one per request.
func TestUploadReusesConnections(t *testing.T) {
	const concurrency, parts = 4, 24
	path := sparseFile(t, parts*mib)
	srv := newEmulator(t, emulator.Options{Storage: emulator.StorageDiscard})
	u := newUploader(t, srv, WithPartSize(mib), WithConcurrency(concurrency), WithMultipartThreshold(mib))
	tr, ok := u.http.Transport.(*http.Transport)
	require.True(t, ok, "the default OSS client has an *http.Transport")
	var dials atomic.Int64
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	for range 2 {
		res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "reuse"})
		require.NoError(t, err)
		require.Equal(t, parts, res.Parts)
	}
	// Two uploads are 2×(parts+2) OSS requests; a connection each would
	// be 52 dials. Reuse needs one per worker, plus the odd dial that races
	// a connection on its way back to the pool.
	assert.LessOrEqual(t, dials.Load(), int64(2*concurrency), "OSS connections dialled")
}

// sparseFile makes a file of size zero bytes that takes no disk space, so
// CI can upload a gigabyte without writing one.
func sparseFile(t *testing.T, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sparse.mp4")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	require.NoError(t, os.Truncate(path, size))
	return path
}
