package vodupload

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/emulator"
)

// The chaos suite runs uploads of every kind at once against an emulator
// that fails, resets, throttles, delays and expires credentials, all
// together. CI runs a small plan; -chaos.long runs the one the README
// quotes and logs its figures as a markdown table (go test -v).
var chaosLong = flag.Bool("chaos.long", false,
	"run the long chaos suite (30 uploads up to 64 MiB) and kill-and-resume soak (10 kills of a 64 MiB upload), logging their figures as markdown tables")

// chaosSTSTTL is the lifetime of every upload credential in the suite.
const chaosSTSTTL = 3 * time.Second

// chaosPlan sizes one run.
type chaosPlan struct {
	uploads     int
	maxSize     int64
	partSize    int64
	threshold   int64         // single PUT up to this size
	parallel    int           // uploads in flight at once
	bandwidth   int64         // per connection; 0 for none
	expireEvery time.Duration // every video credential at least minCredentialAge old is expired this often
	timeout     time.Duration
}

func chaosPlanFor(long bool) chaosPlan {
	if long {
		// The bandwidth cap keeps the race-instrumented client and server
		// below what two cores can checksum, so small uploads are not
		// starved for seconds behind the 64 MiB ones.
		return chaosPlan{uploads: 30, maxSize: 64 * mib, partSize: mib, threshold: 2 * mib, parallel: 4,
			bandwidth: 1 << 20, expireEvery: chaosSTSTTL, timeout: 15 * time.Minute}
	}
	// The CI run is short, so a 1 MiB/s cap per connection stretches it to
	// a few seconds and credentials are expired every half second: the
	// refresh path runs in every CI run, not only on slow machines.
	return chaosPlan{uploads: 12, maxSize: 8 * mib, partSize: 256 << 10, threshold: mib, parallel: 4,
		bandwidth: 1 << 20, expireEvery: 500 * time.Millisecond, timeout: 2 * time.Minute}
}

// chaosFaults are the faults every OSS request draws from, all at once:
// 10% 500/503, 2% connection resets mid-body, 3% SlowDown, latency jitter.
func chaosFaults(seed, bandwidth int64) emulator.Faults {
	return emulator.Faults{Seed: seed, ErrorRate: 0.10, ResetRate: 0.02, ResetAfter: 32 << 10, ThrottleRate: 0.03,
		Latency: time.Millisecond, LatencyJitter: 20 * time.Millisecond, BandwidthBPS: bandwidth}
}

// chaosEnv is what an upload kind may use.
type chaosEnv struct {
	srv   *emulator.Server
	u     *Uploader
	dir   string           // source files
	files *httptest.Server // serves dir, for URL sources
	ckpt  string           // checkpoint directory
}

// fileURL is where env.files serves the local file path.
func (e *chaosEnv) fileURL(path string) string { return e.files.URL + "/" + filepath.Base(path) }

// storedObject is one object an upload wrote and the local file it must equal.
type storedObject struct{ bucket, key, path string }

// chaosOutcome is what one upload reports.
type chaosOutcome struct {
	res     Result
	objects []storedObject
}

func outcome(res Result, path string) chaosOutcome {
	return chaosOutcome{res: res, objects: []storedObject{{res.Bucket, res.ObjectKey, path}}}
}

// chaosKind is one row of the suite: an upload kind and the sizes it is
// drawn from; max 0 means the plan's largest size.
type chaosKind struct {
	name     string
	ext      string
	min, max int64
	upload   func(ctx context.Context, env *chaosEnv, path string) (chaosOutcome, error)
}

// chaosKinds are the rows of the suite. Images and attached media have no
// refresh API, so the forced expiries spare them (a real credential never
// dies moments after it was issued); they live out the suite's short STS
// lifetime and are registered again when an upload outlives it.
func chaosKinds(plan chaosPlan) []chaosKind {
	small := min(plan.threshold, 256<<10)
	return []chaosKind{
		{name: "video file, single PUT", ext: "mp4", min: 100, max: plan.threshold, upload: uploadVideoFile(false)},
		{name: "video file, multipart", ext: "mp4", min: plan.threshold + 1, upload: uploadVideoFile(false)},
		{name: "audio file, checkpointed", ext: "mp3", min: plan.threshold + 1, upload: uploadVideoFile(true)},
		{name: "video stream, unknown size", ext: "mp4", min: 100, upload: uploadStream(false)},
		{name: "video stream, known size", ext: "mov", min: 100 << 10, upload: uploadStream(true)},
		{name: "video with a ticket", ext: "mp4", min: 100, upload: uploadTicket},
		{name: "image file", ext: "png", min: 100, max: small, upload: uploadImageFile},
		{name: "attached media file", ext: "zip", min: 100, max: small, upload: uploadAttachedFile},
		{name: "video from a URL", ext: "mp4", min: 100, upload: uploadURL},
		{name: "M3U8 index and segments", ext: "ts", min: 100, upload: uploadM3U8},
	}
}

// uploadVideoFile uploads a file, resumable when checkpointed.
func uploadVideoFile(checkpointed bool) func(context.Context, *chaosEnv, string) (chaosOutcome, error) {
	return func(ctx context.Context, env *chaosEnv, path string) (chaosOutcome, error) {
		var opts []UploadOption
		if checkpointed {
			opts = append(opts, WithCheckpointDir(env.ckpt))
		}
		res, err := env.u.UploadVideo(ctx, FileSource(path), VideoMeta{Title: "chaos " + filepath.Base(path)}, opts...)
		if err != nil {
			return chaosOutcome{}, err
		}
		return outcome(res.Result, path), nil
	}
}

// uploadStream reads the file through a plain io.Reader, so the engine
// cannot seek and must buffer parts.
func uploadStream(knownSize bool) func(context.Context, *chaosEnv, string) (chaosOutcome, error) {
	return func(ctx context.Context, env *chaosEnv, path string) (chaosOutcome, error) {
		f, err := os.Open(path)
		if err != nil {
			return chaosOutcome{}, err
		}
		defer f.Close()
		size := int64(-1)
		if knownSize {
			st, err := f.Stat()
			if err != nil {
				return chaosOutcome{}, err
			}
			size = st.Size()
		}
		src := ReaderSource(struct{ io.Reader }{f}, size, filepath.Base(path))
		res, err := env.u.UploadVideo(ctx, src, VideoMeta{Title: "chaos stream"})
		if err != nil {
			return chaosOutcome{}, err
		}
		return outcome(res.Result, path), nil
	}
}

// uploadTicket is the client mode: an AppServer issues the ticket and
// renews it on request.
func uploadTicket(ctx context.Context, env *chaosEnv, path string) (chaosOutcome, error) {
	st, err := os.Stat(path)
	if err != nil {
		return chaosOutcome{}, err
	}
	ticket, err := env.u.CreateVideoUpload(ctx, VideoMeta{Title: "chaos ticket", FileName: filepath.Base(path)}, st.Size())
	if err != nil {
		return chaosOutcome{}, err
	}
	refresh := func(ctx context.Context) (*UploadTicket, error) { return env.u.RefreshVideoUpload(ctx, ticket.MediaID) }
	res, err := env.u.UploadWithTicket(ctx, FileSource(path), ticket, refresh)
	if err != nil {
		return chaosOutcome{}, err
	}
	return outcome(*res, path), nil
}

func uploadImageFile(ctx context.Context, env *chaosEnv, path string) (chaosOutcome, error) {
	res, err := env.u.UploadImage(ctx, FileSource(path), ImageMeta{Title: "chaos image", ImageType: "cover"})
	if err != nil {
		return chaosOutcome{}, err
	}
	return outcome(res.Result, path), nil
}

func uploadAttachedFile(ctx context.Context, env *chaosEnv, path string) (chaosOutcome, error) {
	res, err := env.u.UploadAttachedMedia(ctx, FileSource(path), AttachedMediaMeta{BusinessType: "material", Title: "chaos material"})
	if err != nil {
		return chaosOutcome{}, err
	}
	return outcome(res.Result, path), nil
}

// uploadURL streams the file from env.files into the upload.
func uploadURL(ctx context.Context, env *chaosEnv, path string) (chaosOutcome, error) {
	res, err := env.u.UploadVideo(ctx, URLSource(env.fileURL(path)), VideoMeta{Title: "chaos url"})
	if err != nil {
		return chaosOutcome{}, err
	}
	return outcome(res.Result, path), nil
}

// uploadM3U8 cuts the file into up to four segments next to an index and
// uploads them; every segment and the index must be stored as written.
func uploadM3U8(ctx context.Context, env *chaosEnv, path string) (chaosOutcome, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return chaosOutcome{}, err
	}
	dir := strings.TrimSuffix(path, ".ts") + "-hls"
	if err := os.Mkdir(dir, 0o700); err != nil {
		return chaosOutcome{}, err
	}
	index := "#EXTM3U\n#EXT-X-TARGETDURATION:4\n"
	var segments []string
	for i, step := 0, max(len(data)/4, 1); i*step < len(data); i++ {
		name := fmt.Sprintf("segment-%03d.ts", i)
		chunk := data[i*step : min((i+1)*step, len(data))]
		if i == 3 {
			chunk = data[i*step:]
		}
		if err := os.WriteFile(filepath.Join(dir, name), chunk, 0o600); err != nil {
			return chaosOutcome{}, err
		}
		index += "#EXTINF:4,\n" + name + "\n"
		segments = append(segments, name)
		if i == 3 {
			break
		}
	}
	indexPath := filepath.Join(dir, "index.m3u8")
	if err := os.WriteFile(indexPath, []byte(index+"#EXT-X-ENDLIST\n"), 0o600); err != nil {
		return chaosOutcome{}, err
	}
	res, err := env.u.UploadM3U8(ctx, M3U8{Index: indexPath}, VideoMeta{Title: "chaos hls"})
	if err != nil {
		return chaosOutcome{}, err
	}
	out := outcome(res.Result, indexPath)
	prefix := res.ObjectKey[:strings.LastIndexByte(res.ObjectKey, '/')+1]
	for _, name := range segments {
		out.objects = append(out.objects, storedObject{res.Bucket, prefix + name, filepath.Join(dir, name)})
	}
	return out, nil
}

// chaosJob is one planned upload.
type chaosJob struct {
	kind chaosKind
	size int64
	seed uint64
}

// planChaos draws plan.uploads jobs cycling through the kinds, sizes
// log-uniform in each kind's range; the first job of a kind that reaches
// the extremes takes them, so every run covers 100 B and plan.maxSize.
func planChaos(plan chaosPlan, kinds []chaosKind, rng *rand.Rand) []chaosJob {
	jobs := make([]chaosJob, plan.uploads)
	for i := range jobs {
		k := kinds[i%len(kinds)]
		lo, hi := k.min, k.max
		if hi == 0 || hi > plan.maxSize {
			hi = plan.maxSize
		}
		size := int64(math.Exp(math.Log(float64(lo)) + rng.Float64()*(math.Log(float64(hi))-math.Log(float64(lo)))))
		switch i {
		case 0:
			size = lo
		case 1:
			size = hi
		}
		jobs[i] = chaosJob{kind: k, size: min(max(size, lo), hi), seed: rng.Uint64()}
	}
	return jobs
}

// chaosRecord is the result of one job, for the summary.
type chaosRecord struct {
	job       chaosJob
	out       chaosOutcome
	err       error
	took      time.Duration
	bytesLost int64
}

func TestChaosEveryUploadCompletesByteEqual(t *testing.T) {
	t.Parallel()
	plan := chaosPlanFor(*chaosLong)
	srv := newEmulator(t, emulator.Options{STSTTL: chaosSTSTTL, Faults: chaosFaults(1, plan.bandwidth)})
	env := newChaosEnv(t, srv, WithPartSize(plan.partSize), WithMultipartThreshold(plan.threshold), WithConcurrency(4))
	jobs := planChaos(plan, chaosKinds(plan), rand.New(rand.NewPCG(1, 2)))
	ctx, cancel := context.WithTimeout(t.Context(), plan.timeout)
	defer cancel()

	expiries := expireEvery(t, srv, plan.expireEvery)
	start := time.Now()
	records := runChaos(ctx, t, env, jobs, plan.parallel)
	wall := time.Since(start)

	sum := summarize(records, srv.Counters(), expiries.Load(), wall)
	t.Log("\n" + sum.table(records))
	for _, r := range records {
		assert.NoError(t, r.err, "%s of %d bytes", r.job.kind.name, r.job.size)
	}
	assert.Zero(t, sum.bytesLost, "bytes lost")
	assert.Positive(t, sum.faults["error"]+sum.faults["throttle"], "faults were injected")
	assert.Positive(t, sum.retries, "transient faults were retried")
	assert.Positive(t, expiries.Load(), "credentials were expired during the run")
	assert.Positive(t, sum.refreshes, "expired credentials were renewed")
	if *chaosLong {
		t.Log("\n" + sum.markdown())
	}
}

// newChaosEnv starts the file server and the shared Uploader.
func newChaosEnv(t *testing.T, srv *emulator.Server, opts ...Option) *chaosEnv {
	t.Helper()
	dir := t.TempDir()
	files := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(files.Close)
	return &chaosEnv{srv: srv, u: newUploader(t, srv, opts...), dir: dir, files: files, ckpt: filepath.Join(t.TempDir(), "ckpt")}
}

// minCredentialAge is the least a credential lives before the ticker
// revokes it. Without it a loaded machine (the race detector, other test
// binaries on two cores) could take longer than one tick from renewing a
// credential to using it, every time, until the renewal budget ran out:
// a failure of the fault model, not of the engine.
const minCredentialAge = time.Second

// expireEvery expires every video credential at least minCredentialAge old
// each period, until the test ends, and counts how often it did.
func expireEvery(t *testing.T, srv *emulator.Server, period time.Duration) *atomic.Int64 {
	var n atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				srv.ExpireVideoCredentialsOlderThan(minCredentialAge)
				n.Add(1)
			}
		}
	})
	t.Cleanup(func() { close(done); wg.Wait() })
	return &n
}

// runChaos runs the jobs, parallel at a time, checking each upload's
// objects as soon as it finishes so memory holds few of them at once.
func runChaos(ctx context.Context, t *testing.T, env *chaosEnv, jobs []chaosJob, parallel int) []chaosRecord {
	records := make([]chaosRecord, len(jobs))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, job := range jobs {
		path := filepath.Join(env.dir, fmt.Sprintf("chaos-%02d.%s", i, job.kind.ext))
		writeRandomFile(t, path, job.size, job.seed)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			out, err := job.kind.upload(ctx, env, path)
			r := chaosRecord{job: job, out: out, err: err, took: time.Since(start), bytesLost: job.size}
			if err == nil {
				r.bytesLost = lostBytes(t, env.srv, out)
			}
			records[i] = r
		})
	}
	wg.Wait()
	return records
}

// lostBytes compares every object of an upload with its source file, by
// CRC64 and byte for byte, and returns how many source bytes are not
// stored as they should be.
func lostBytes(t *testing.T, srv *emulator.Server, out chaosOutcome) int64 {
	var lost int64
	for _, o := range out.objects {
		want, err := os.ReadFile(o.path)
		if !assert.NoError(t, err) {
			continue
		}
		got, err := srv.Object(o.bucket, o.key)
		_, crc, ierr := srv.ObjectInfo(o.bucket, o.key)
		ok := assert.NoError(t, err) && assert.NoError(t, ierr) &&
			assert.Equal(t, crc64.Checksum(want), crc, "CRC64 of %s", o.key) &&
			assert.True(t, bytes.Equal(want, got), "bytes of %s differ from %s", o.key, o.path)
		if len(out.objects) == 1 {
			ok = assert.Equal(t, crc64.Checksum(want), out.res.CRC64, "the CRC64 the upload reported") && ok
		}
		if !ok {
			lost += int64(len(want))
		}
	}
	return lost
}
