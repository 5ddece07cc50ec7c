package vodupload

// Bulk import throughput: the same files through UploadBatch at its
// defaults and through one-at-a-time calls of the same Uploader, against
// the emulator in discard mode, on loopback and behind a simulated WAN
// (30 ms per OSS answer, 16 MiB/s per connection):
//
//	go test -run '^$' -bench UploadBatch -benchtime 1x -count 5 .

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// benchSet is one kind of file in the benchmark, as the issue sizes it.
type benchSet struct {
	name  string
	kind  MediaKind
	count int
	size  int64
	ext   string
}

var batchBenchSets = []benchSet{
	{"images-1000x200KiB", KindImage, 1000, 200 << 10, "png"},
	{"videos-50x20MiB", KindVideo, 50, 20 * mib, "mp4"},
}

func BenchmarkUploadBatch(b *testing.B) {
	for _, set := range batchBenchSets {
		dir := b.TempDir()
		items := make([]BatchItem, set.count)
		for i := range items {
			path := filepath.Join(dir, fmt.Sprintf("%04d.%s", i, set.ext))
			writeRandomFile(b, path, set.size, uint64(i))
			items[i] = BatchItem{Key: path, Kind: set.kind, Source: FileSource(path),
				Video: VideoMeta{Title: "bench"}, Image: ImageMeta{Title: "bench"}}
		}
		for _, net := range []struct {
			name   string
			faults emulator.Faults
		}{{"loopback", emulator.Faults{}}, {"wan", emulator.Faults{Latency: benchLatency, BandwidthBPS: benchBandwidth}}} {
			for _, mode := range []string{"batch", "sequential"} {
				b.Run(set.name+"/"+net.name+"/"+mode, func(b *testing.B) {
					u := newBenchEnv(b, net.faults, false).uploader(b)
					b.SetBytes(int64(set.count) * set.size)
					for b.Loop() {
						if mode == "batch" {
							for r := range u.UploadBatch(context.Background(), slices.Values(items)) {
								require.NoError(b, r.Err)
							}
							continue
						}
						for _, it := range items {
							var err error
							if set.kind == KindImage {
								_, err = u.UploadImage(context.Background(), it.Source, it.Image)
							} else {
								_, err = u.UploadVideo(context.Background(), it.Source, it.Video)
							}
							require.NoError(b, err)
						}
					}
					b.ReportMetric(float64(set.count*b.N)/b.Elapsed().Seconds(), "files/s")
				})
			}
		}
	}
}
