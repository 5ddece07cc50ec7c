package vodupload

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// webFiles serves files by path ("/a.mp4") and 404 for anything else.
func webFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(web.Close)
	return web.URL
}

// collect runs a batch and returns its results by key, failing on a key
// reported twice.
func collect(t *testing.T, results func(func(BatchResult) bool)) map[string]BatchResult {
	t.Helper()
	out := map[string]BatchResult{}
	for r := range results {
		_, dup := out[r.Key]
		require.False(t, dup, "item %q reported twice", r.Key)
		out[r.Key] = r
	}
	return out
}

// startedLog records WithBatchStarted calls.
type startedLog struct {
	mu   sync.Mutex
	list []BatchStarted
}

func (l *startedLog) add(s BatchStarted) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, s)
}

func (l *startedLog) byKey() map[string][]BatchStarted {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string][]BatchStarted{}
	for _, s := range l.list {
		out[s.Key] = append(out[s.Key], s)
	}
	return out
}

func TestUploadBatchUploadsEveryKindAndReportsEachItem(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv, WithMultipartThreshold(256<<10), WithPartSize(MinPartSize))
	videoPath, video := writeFile(t, "clip.mp4", 10<<10)
	longPath, long := writeFile(t, "long.mov", 700<<10)
	pngPath, png := writeFile(t, "logo.png", 3<<10)
	srtPath, srt := writeFile(t, "subs.srt", 200)
	_, remote := writeFile(t, "remote.mp4", 40<<10)
	_, pulled := writeFile(t, "pulled.mp4", 30<<10)
	web := webFiles(t, map[string][]byte{"/remote.mp4": remote, "/pulled.mp4": pulled})

	items := []BatchItem{
		{Key: "video", Source: FileSource(videoPath), Video: VideoMeta{Title: "clip", Tags: []string{"a"}}},
		{Key: "long", Kind: KindVideo, Source: FileSource(longPath), Video: VideoMeta{Title: "long"}},
		{Key: "image", Kind: KindImage, Source: FileSource(pngPath), Image: ImageMeta{Title: "logo", ImageType: "cover"}},
		{Key: "subtitle", Kind: KindAttachedMedia, Source: FileSource(srtPath), Attached: AttachedMediaMeta{BusinessType: "subtitle"}},
		{Key: "streamed", URL: web + "/remote.mp4?token=secret", Video: VideoMeta{Title: "streamed"}},
		{Key: "pulled", URL: web + "/pulled.mp4", Pull: true, Video: VideoMeta{Title: "pulled"}},
		{Key: "missing", Source: FileSource(filepath.Join(t.TempDir(), "gone.mp4")), Video: VideoMeta{Title: "gone"}},
		{Key: "untitled", Source: FileSource(videoPath)},
		{Key: "404", URL: web + "/404.mp4", Video: VideoMeta{Title: "nothing there"}},
		{Key: "404 pulled", URL: web + "/404.mp4", Pull: true, Video: VideoMeta{Title: "nothing there"}},
	}
	var started startedLog
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	got := collect(t, u.UploadBatch(ctx, slices.Values(items), WithBatchStarted(started.add)))
	require.Len(t, got, len(items), "one result per item")

	stored := map[string][]byte{"video": video, "long": long, "image": png, "subtitle": srt, "streamed": remote}
	for key, want := range stored {
		r := got[key]
		require.NoError(t, r.Err, key)
		requireStored(t, srv, &r.Result, want)
		assert.True(t, srv.HasMedia(r.MediaID), key)
		assert.Equal(t, []BatchStarted{{Key: key, Index: r.Index, Kind: r.Kind, MediaID: r.MediaID}}, started.byKey()[key],
			"%s: reported as started once, with the media it ended in", key)
	}
	assert.Equal(t, 7, got["long"].Parts, "700 KiB in parts of 100 KiB")
	assert.Equal(t, KindImage, got["image"].Kind)
	assert.NotEmpty(t, got["image"].MediaURL)
	assert.Equal(t, KindVideo, got["video"].Kind, "an empty Kind is a video")

	p := got["pulled"]
	require.NoError(t, p.Err)
	require.NotNil(t, p.Pull)
	assert.True(t, srv.HasMedia(p.MediaID))
	assert.EqualValues(t, len(pulled), p.Bytes)
	assert.Equal(t, []BatchStarted{{Key: "pulled", Index: 5, Kind: KindVideo, PullJobID: p.Pull.JobID}}, started.byKey()["pulled"])

	assert.ErrorIs(t, got["missing"].Err, fs.ErrNotExist, "a missing file fails before VOD is called")
	var ve *ValidationError
	require.ErrorAs(t, got["untitled"].Err, &ve)
	assert.Equal(t, "Title", ve.Field)
	assert.True(t, strings.HasPrefix(got["untitled"].Err.Error(), "UploadBatch: "), got["untitled"].Err.Error())
	assert.ErrorContains(t, got["404"].Err, "404")
	for key, r := range got {
		if r.Err != nil {
			assert.Equal(t, 1, strings.Count(r.Err.Error(), "UploadBatch: "), "%s: the operation named once: %v", key, r.Err)
		}
	}
	var pe *PullError
	require.ErrorAs(t, got["404 pulled"].Err, &pe)
	assert.NotEmpty(t, got["404 pulled"].MediaID, "VOD registered the video of the failed pull")
	for _, key := range []string{"missing", "untitled", "404"} {
		assert.Empty(t, got[key].MediaID, key)
		assert.Empty(t, started.byKey()[key], "%s: nothing registered", key)
	}
	c := srv.Counters()
	assert.EqualValues(t, 3, c.Requests["CreateUploadVideo"], "video, long, streamed, and no other")
	assert.EqualValues(t, 1, c.Requests["UploadMediaByURL"], "the two pulls shared a call")
	for _, r := range got {
		assert.NotContains(t, fmt.Sprint(r.Err), "secret")
	}
}

func TestUploadBatchCancelledMidwayResumesUnderTheSameVideoIDs(t *testing.T) {
	t.Parallel()
	// 2 connections per video at 512 KiB/s each: ~1 s per 1 MiB video, so
	// the cancellation finds all three half done.
	srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{BandwidthBPS: 512 << 10}})
	dir := filepath.Join(t.TempDir(), "checkpoints")
	opts := []Option{WithPartSize(128 << 10), WithMultipartThreshold(128 << 10), WithConcurrency(2), WithCheckpointDir(dir)}
	u := newUploader(t, srv, opts...)
	var items []BatchItem
	data := map[string][]byte{}
	for i := range 3 {
		key := fmt.Sprintf("video-%d", i)
		path, d := writeFile(t, key+".mp4", mib)
		data[key] = d
		items = append(items, BatchItem{Key: key, Source: FileSource(path), Video: VideoMeta{Title: key}})
	}

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		defer cancel()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			if srv.Counters().Requests["UploadPart"] >= 9 {
				return
			}
		}
	}()
	var started startedLog
	first := collect(t, u.UploadBatch(ctx, slices.Values(items), WithBatchStarted(started.add)))
	require.Len(t, first, 3)
	ids := map[string]string{}
	for key, r := range first {
		require.ErrorIs(t, r.Err, context.Canceled, key)
		var ue *UploadError
		require.ErrorAs(t, r.Err, &ue, key)
		assert.True(t, ue.Resumable, "%s: the checkpoint was kept", key)
		require.Len(t, started.byKey()[key], 1)
		ids[key] = started.byKey()[key][0].MediaID
		assert.Equal(t, ids[key], r.MediaID)
	}

	second := collect(t, u.UploadBatch(t.Context(), slices.Values(items)))
	resumed := 0
	for key, r := range second {
		require.NoError(t, r.Err, key)
		assert.Equal(t, ids[key], r.MediaID, "%s: same VideoId after the rerun", key)
		requireStored(t, srv, &r.Result, data[key])
		resumed += r.ResumedParts
	}
	assert.Positive(t, resumed, "parts acknowledged before the cancellation were not sent again")
	assert.EqualValues(t, 3, srv.Counters().Requests["CreateUploadVideo"], "three videos, not six")
}

func TestUploadBatchContinuesWhatAnEarlierRunStarted(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	videoPath, video := writeFile(t, "v.mp4", 20<<10)
	pngPath, png := writeFile(t, "i.png", 2<<10)
	_, pulled := writeFile(t, "p.mp4", 20<<10)
	web := webFiles(t, map[string][]byte{"/p.mp4": pulled, "/q.mp4": pulled})

	// What a run killed after registering (and, for one, after uploading)
	// left in VOD.
	registered, err := u.CreateVideoUpload(ctx, VideoMeta{Title: "v", FileName: "v.mp4"}, int64(len(video)))
	require.NoError(t, err)
	complete, err := u.UploadVideo(ctx, FileSource(videoPath), VideoMeta{Title: "done"})
	require.NoError(t, err)
	image, err := u.CreateImageUpload(ctx, ImageMeta{Title: "i", ImageExt: "png"})
	require.NoError(t, err)
	jobs, err := u.SubmitPull(ctx, []PullItem{{URL: web + "/p.mp4", Meta: VideoMeta{Title: "p"}}})
	require.NoError(t, err)
	before := srv.Counters()

	items := []BatchItem{
		{Key: "registered", Source: FileSource(videoPath), Video: VideoMeta{Title: "v"},
			Resume: &BatchStarted{MediaID: registered.MediaID}},
		{Key: "complete", Source: FileSource(videoPath), Video: VideoMeta{Title: "done"},
			Resume: &BatchStarted{MediaID: complete.VideoID}},
		{Key: "image", Kind: KindImage, Source: FileSource(pngPath), Image: ImageMeta{Title: "i"},
			Resume: &BatchStarted{MediaID: image.MediaID}},
		{Key: "pull", URL: web + "/p.mp4", Pull: true, Video: VideoMeta{Title: "p"},
			Resume: &BatchStarted{PullJobID: jobs[0].JobID}},
		{Key: "forgotten pull", URL: web + "/q.mp4", Pull: true, Video: VideoMeta{Title: "q"},
			Resume: &BatchStarted{PullJobID: "no-such-job"}},
		{Key: "deleted video", Source: FileSource(videoPath), Video: VideoMeta{Title: "w"},
			Resume: &BatchStarted{MediaID: "0123456789abcdef0123456789abcdef"}},
	}
	got := collect(t, u.UploadBatch(ctx, slices.Values(items)))
	for key, r := range got {
		require.NoError(t, r.Err, key)
	}
	after := srv.Counters()
	created := func(action string) int64 { return after.Requests[action] - before.Requests[action] }

	assert.Equal(t, registered.MediaID, got["registered"].MediaID, "uploaded under the VideoId registered before")
	reg := got["registered"]
	requireStored(t, srv, &reg.Result, video)
	assert.Equal(t, complete.VideoID, got["complete"].MediaID)
	assert.EqualValues(t, len(video), got["complete"].Bytes, "the size VOD has")
	assert.EqualValues(t, 3, created("PutObject"), "the registered video, the image and the deleted video; the complete video is not sent again")
	assert.EqualValues(t, 1, created("CreateUploadVideo"), "only for the video that VOD no longer had")
	assert.NotEqual(t, items[5].Resume.MediaID, got["deleted video"].MediaID)

	assert.NotEqual(t, image.MediaID, got["image"].MediaID, "images cannot be renewed: registered again")
	assert.False(t, srv.HasMedia(image.MediaID), "and the earlier registration deleted")
	img := got["image"]
	requireStored(t, srv, &img.Result, png)

	assert.Equal(t, jobs[0].JobID, got["pull"].Pull.JobID, "the pull was waited for, not submitted again")
	assert.NotEqual(t, "no-such-job", got["forgotten pull"].Pull.JobID, "a job VOD does not know is submitted again")
	assert.EqualValues(t, 1, created("UploadMediaByURL"))
}

func TestUploadBatchGroupsPullsUpToTwentyPerCall(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	files := map[string][]byte{}
	for i := range 45 {
		files[fmt.Sprintf("/v%02d.mp4", i)] = []byte{byte(i)}
	}
	web := webFiles(t, files)
	var items []BatchItem
	for i := range 45 {
		p := fmt.Sprintf("/v%02d.mp4", i)
		items = append(items, BatchItem{Key: p, URL: web + p, Pull: true, Video: VideoMeta{Title: p}})
		if i == 0 {
			// The same URL again, in the same group: VOD answers jobs by
			// URL, so it goes in a call of its own.
			items = append(items, BatchItem{Key: "again", URL: web + p, Pull: true, Video: VideoMeta{Title: "again"}})
		}
	}
	for i := range 3 { // settings of their own: a call of their own
		items = append(items, BatchItem{Key: fmt.Sprintf("app %d", i), URL: web + "/v00.mp4", Pull: true,
			Video: VideoMeta{Title: "a", AppID: "app-2"}})
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	got := collect(t, u.UploadBatch(ctx, slices.Values(items), WithBatchConcurrency(2)))
	require.Len(t, got, len(items))
	videos := map[string]bool{}
	for key, r := range got {
		require.NoError(t, r.Err, key)
		videos[r.MediaID] = true
	}
	assert.Len(t, videos, len(items), "one video per item")
	// 46 of the default settings in groups of 20, 20 and 6, the first
	// split in two calls for its repeated URL; and app-2's 3 URLs, which
	// repeat one URL each: three calls.
	assert.EqualValues(t, 4+3, srv.Counters().Requests["UploadMediaByURL"])
}

// refusingVOD refuses any UploadMediaByURL call that names a URL
// containing "bad", as VOD refuses a call with one bad entry.
type refusingVOD struct {
	vodAPI
	calls atomic.Int64
}

func (r *refusingVOD) UploadMediaByURL(ctx context.Context, req vodapi.UploadByURLRequest) ([]vodapi.URLJob, error) {
	r.calls.Add(1)
	for _, it := range req.Items {
		if strings.Contains(it.URL, "bad") {
			return nil, &apierr.Error{Service: apierr.VOD, Op: "UploadMediaByURL", StatusCode: 400,
				Code: "InvalidParameter", Message: "The specified parameter UploadMetadatas is not valid."}
		}
	}
	return r.vodAPI.UploadMediaByURL(ctx, req)
}

func TestUploadBatchSplitsACallVODRefusedSoOnlyTheBadURLFails(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	refusing := &refusingVOD{vodAPI: u.vod}
	u.vod = refusing
	web := webFiles(t, map[string][]byte{"/a.mp4": []byte("a"), "/b.mp4": []byte("b")})
	items := []BatchItem{
		{Key: "a", URL: web + "/a.mp4", Pull: true, Video: VideoMeta{Title: "a"}},
		{Key: "bad", URL: web + "/bad.mp4", Pull: true, Video: VideoMeta{Title: "bad"}},
		{Key: "b", URL: web + "/b.mp4", Pull: true, Video: VideoMeta{Title: "b"}},
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	got := collect(t, u.UploadBatch(ctx, slices.Values(items)))
	require.NoError(t, got["a"].Err)
	require.NoError(t, got["b"].Err)
	var ae *APIError
	require.ErrorAs(t, got["bad"].Err, &ae)
	assert.Equal(t, "InvalidParameter", ae.Code)
	assert.EqualValues(t, 4, refusing.calls.Load(), "the refused call, then one per URL")
}

func TestUploadBatchKeepsAtMostConcurrencyItemsInFlight(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{Latency: 20 * time.Millisecond}})
	u := newUploader(t, srv)
	var items []BatchItem
	for i := range 8 {
		path, _ := writeFile(t, fmt.Sprintf("%d.mp4", i), 1<<10)
		items = append(items, BatchItem{Key: path, Source: FileSource(path), Video: VideoMeta{Title: "t"}})
	}
	var inFlight, peak atomic.Int64
	started := func(BatchStarted) {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
	}
	n := 0
	for r := range u.UploadBatch(t.Context(), slices.Values(items), WithBatchConcurrency(2), WithBatchStarted(started)) {
		require.NoError(t, r.Err)
		inFlight.Add(-1)
		n++
	}
	assert.Equal(t, 8, n)
	assert.EqualValues(t, 2, peak.Load(), "two items between registration and report, never more")
}

func TestUploadBatchBrokenOffLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := emulator.New(emulator.Options{Faults: emulator.Faults{BandwidthBPS: 256 << 10}})
	require.NoError(t, err)
	defer srv.Close()
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer hc.CloseIdleConnections()
	u := newUploader(t, srv, WithHTTPClient(hc), WithPartSize(MinPartSize), WithMultipartThreshold(MinPartSize))
	small, _ := writeFile(t, "small.mp4", 1<<10)
	big, _ := writeFile(t, "big.mp4", 4*mib)
	// VOD's fetch of the pull never ends: the source stalls.
	stall := make(chan struct{})
	web := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	defer web.Close()
	defer close(stall)
	// The first item to finish is the small one; the big ones and the pull
	// are still running when the loop breaks.
	items := []BatchItem{
		{Key: "big 1", Source: FileSource(big), Video: VideoMeta{Title: "b1"}},
		{Key: "big 2", Source: FileSource(big), Video: VideoMeta{Title: "b2"}},
		{Key: "pull", URL: web.URL + "/p.mp4", Pull: true, Video: VideoMeta{Title: "p"}},
		{Key: "small", Source: FileSource(small), Video: VideoMeta{Title: "s"}},
	}
	for r := range u.UploadBatch(context.Background(), slices.Values(items)) {
		require.Equal(t, "small", r.Key, "%v", r.Err)
		break
	}
	assert.Less(t, srv.Counters().BytesReceived, int64(8*mib), "the big uploads stopped")
}

// TestUploadBatchChecksItemOptionsOverTheUploadersDefaults: an item's
// options apply over the Uploader's defaults, so one that is only valid
// over those (a RetryMaxDelay below the library's default base delay, with
// the Uploader's base below it) uploads; over the library's defaults it was
// refused.
func TestUploadBatchChecksItemOptionsOverTheUploadersDefaults(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv, WithRetry(3, 10*time.Millisecond, time.Second))
	path, _ := writeFile(t, "a.mp4", 1<<10)
	lowerMax := UploadOption(func(o *UploadOptions) { o.RetryMaxDelay = 100 * time.Millisecond })
	item := BatchItem{Key: "a", Source: FileSource(path), Video: VideoMeta{Title: "t"}, Options: []UploadOption{lowerMax}}
	n := 0
	for r := range u.UploadBatch(t.Context(), slices.Values([]BatchItem{item})) {
		require.NoError(t, r.Err)
		assert.NotEmpty(t, r.MediaID)
		n++
	}
	assert.Equal(t, 1, n)

	tooLow := UploadOption(func(o *UploadOptions) { o.RetryMaxDelay = time.Millisecond })
	item.Options = []UploadOption{tooLow}
	for r := range u.UploadBatch(t.Context(), slices.Values([]BatchItem{item})) {
		var ve *ValidationError
		require.ErrorAs(t, r.Err, &ve, "below the Uploader's base delay it is still refused")
		assert.Equal(t, "RetryBaseDelay", ve.Field)
	}
}

func TestBatchItemValidate(t *testing.T) {
	t.Parallel()
	file := FileSource("movie.mp4")
	tests := []struct {
		name  string
		item  BatchItem
		field string // "" when valid
	}{
		{"video file", BatchItem{Source: file, Video: VideoMeta{Title: "t"}}, ""},
		{"URL without extension", BatchItem{URL: "https://example.com/watch?v=1", Video: VideoMeta{Title: "t"}}, ""},
		{"image URL without extension", BatchItem{Kind: KindImage, URL: "https://example.com/img"}, ""},
		{"subtitle URL without extension", BatchItem{Kind: KindAttachedMedia, URL: "https://example.com/s",
			Attached: AttachedMediaMeta{BusinessType: "subtitle"}}, ""},
		{"pull", BatchItem{URL: "https://example.com/a.mp4", Pull: true, Video: VideoMeta{Title: "t"}}, ""},
		{"nothing to upload", BatchItem{Video: VideoMeta{Title: "t"}}, "Source"},
		{"source and URL", BatchItem{Source: file, URL: "https://example.com/a.mp4"}, "URL"},
		{"unknown kind", BatchItem{Kind: "podcast", Source: file}, "Kind"},
		{"pull of a file", BatchItem{Source: file, Pull: true}, "Pull"},
		{"pull of an image", BatchItem{Kind: KindImage, URL: "https://example.com/a.png", Pull: true}, "Pull"},
		{"ftp URL", BatchItem{URL: "ftp://example.com/a.mp4", Video: VideoMeta{Title: "t"}}, "URL"},
		{"no title", BatchItem{Source: file}, "Title"},
		{"text file as video", BatchItem{Source: FileSource("notes.txt"), Video: VideoMeta{Title: "t"}}, "FileName"},
		{"image as exe", BatchItem{Kind: KindImage, Source: FileSource("a.exe")}, "ImageExt"},
		{"subtitle as png", BatchItem{Kind: KindAttachedMedia, Source: FileSource("a.png"),
			Attached: AttachedMediaMeta{BusinessType: "subtitle"}}, "MediaExt"},
		{"no business type", BatchItem{Kind: KindAttachedMedia, URL: "https://example.com/s"}, "BusinessType"},
		{"pull with 17 tags", BatchItem{URL: "https://example.com/a.mp4", Pull: true,
			Video: VideoMeta{Title: "t", Tags: make([]string, 17)}}, "Tags"},
		{"part size too small", BatchItem{Source: file, Video: VideoMeta{Title: "t"},
			Options: []UploadOption{WithPartSize(1)}}, "PartSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.item.Validate()
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
		})
	}
}
