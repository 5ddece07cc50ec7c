package vodupload

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vodupload/vodupload/internal/emulator"
)

func TestUploadVideoSmallFileSinglePut(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	path, data := writeFile(t, "small.mp4", 300<<10)

	res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "small", Tags: []string{"a", "b"}})
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)
	assert.Equal(t, 1, res.Parts)
	assert.NotEmpty(t, res.VideoID)
	assert.EqualValues(t, 1, srv.Counters().Requests["PutObject"])
	assert.Zero(t, srv.Counters().Requests["InitiateMultipartUpload"])

	info, err := u.vod.GetVideoInfo(context.Background(), res.VideoID)
	require.NoError(t, err)
	assert.Equal(t, "UploadSucc", info.Status)
}

func TestUploadVideoMultipartFourWorkers(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	var mu sync.Mutex
	var reports []Progress
	u := newUploader(t, srv, WithPartSize(mib), WithConcurrency(4), WithProgressInterval(10*time.Millisecond),
		WithProgress(func(p Progress) { mu.Lock(); reports = append(reports, p); mu.Unlock() }))
	path, data := writeFile(t, "big.mp4", 40*mib)

	res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "forty"})
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)
	assert.Equal(t, 40, res.Parts)
	c := srv.Counters()
	assert.EqualValues(t, 40, c.Requests["UploadPart"])
	assert.EqualValues(t, 1, c.Requests["CompleteMultipartUpload"])

	info, err := u.vod.GetVideoInfo(context.Background(), res.VideoID)
	require.NoError(t, err)
	assert.Equal(t, "UploadSucc", info.Status)

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, reports)
	last := reports[len(reports)-1]
	assert.True(t, last.Final)
	assert.EqualValues(t, len(data), last.Done)
	assert.EqualValues(t, len(data), last.Total)
}

func TestUploadSurvivesCredentialExpiryDuringSlowUpload(t *testing.T) {
	t.Parallel()
	// Credentials live 2 s; four connections capped at 512 KiB/s move
	// 20 MiB in about 10 s, so the upload outlives several credentials.
	srv := newEmulator(t, emulator.Options{
		STSTTL: 2 * time.Second,
		Faults: emulator.Faults{BandwidthBPS: 512 << 10},
	})
	u := newUploader(t, srv, WithPartSize(mib), WithConcurrency(4))
	path, data := writeFile(t, "slow.mp4", 20*mib)

	start := time.Now()
	res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "slow"})
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)
	assert.Greater(t, time.Since(start), 8*time.Second, "the bandwidth cap held")
	assert.GreaterOrEqual(t, srv.Counters().Refreshes, int64(3))
	assert.GreaterOrEqual(t, res.Refreshes, 3)
	assert.Equal(t, 20, res.Parts)
}

func TestUploadSurvivesServerErrorsAndResets(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{
		Seed: 7, ErrorRate: 0.1, ResetRate: 0.1, ResetAfter: 32 << 10, ThrottleRate: 0.02,
	}})
	u := newUploader(t, srv, WithPartSize(256<<10), WithConcurrency(4))
	path, data := writeFile(t, "flaky.mp4", 12*mib)

	res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "flaky"})
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)
	assert.Positive(t, res.Retries, "faults were injected and retried")
	assert.Positive(t, srv.Counters().Faults["error"]+srv.Counters().Faults["reset"])
}

func TestCancelStopsWorkersAbortsAndLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := emulator.New(emulator.Options{Faults: emulator.Faults{BandwidthBPS: 256 << 10}})
	require.NoError(t, err)
	defer srv.Close()
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer hc.CloseIdleConnections()
	u := newUploader(t, srv, WithPartSize(mib), WithConcurrency(4), WithHTTPClient(hc))
	path, _ := writeFile(t, "cancel.mp4", 32*mib)

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for srv.Counters().BytesReceived < 512<<10 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	cancelledAt := make(chan time.Time, 1)
	go func() { <-ctx.Done(); cancelledAt <- time.Now() }()
	_, err = u.UploadVideo(ctx, FileSource(path), VideoMeta{Title: "cancel"})
	returned := time.Now()
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, returned.Sub(<-cancelledAt), time.Second, "workers stop within a second")

	var ue *UploadError
	require.ErrorAs(t, err, &ue)
	assert.NotEmpty(t, ue.UploadID)
	assert.True(t, ue.Aborted)
	assert.Empty(t, srv.MultipartUploads(), "the multipart upload was aborted")
	assert.EqualValues(t, 1, srv.Counters().Requests["AbortMultipartUpload"])
}

func TestWrongSecretIsAPIErrorWithoutSecret(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	const secret = "definitely-not-the-secret-value"
	u, err := New(WithEndpoint(srv.URL), WithCredentials(StaticCredentials(srv.AccessKeyID, secret)))
	require.NoError(t, err)
	path, _ := writeFile(t, "a.mp4", 1000)

	_, err = u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "x"})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, ServiceVOD, ae.Service)
	assert.Equal(t, "SignatureDoesNotMatch", ae.Code)
	assert.NotEmpty(t, ae.RequestID)
	assert.NotContains(t, err.Error(), secret)
	assert.NotContains(t, fmt.Sprintf("%+v", err), secret)
}

func TestBadInputFailsBeforeAnyNetworkCall(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	dir := t.TempDir()
	good, _ := writeFile(t, "ok.mp4", 10)
	empty := filepath.Join(dir, "empty.mp4")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	exe, _ := writeFile(t, "virus.exe", 10)

	tests := []struct {
		name string
		src  Source
		meta VideoMeta
		want error
	}{
		{"missing file", FileSource(filepath.Join(dir, "nope.mp4")), VideoMeta{Title: "t"}, os.ErrNotExist},
		{"directory", FileSource(dir), VideoMeta{Title: "t"}, ErrNotRegularFile},
		{"empty file", FileSource(empty), VideoMeta{Title: "t"}, ErrEmptySource},
		{"unsupported extension", FileSource(exe), VideoMeta{Title: "t"}, ErrValidation},
		{"no title", FileSource(good), VideoMeta{}, ErrValidation},
		{"long title", FileSource(good), VideoMeta{Title: strings.Repeat("x", 129)}, ErrValidation},
		{"too many tags", FileSource(good), VideoMeta{Title: "t", Tags: strings.Split("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", ",")}, ErrValidation},
		{"long description", FileSource(good), VideoMeta{Title: "t", Description: strings.Repeat("d", 1025)}, ErrValidation},
		{"stream without a name", ReaderSource(strings.NewReader("abc"), 3, ""), VideoMeta{Title: "t"}, ErrValidation},
		{"unknown callback type", FileSource(good), VideoMeta{Title: "t", UserData: &UserData{
			MessageCallback: &MessageCallback{CallbackURL: "https://example.com/cb", CallbackType: "smtp"}}}, ErrValidation},
	}
	for _, tt := range tests {
		_, err := u.UploadVideo(context.Background(), tt.src, tt.meta)
		assert.ErrorIs(t, err, tt.want, tt.name)
		var ve *ValidationError
		if errors.Is(tt.want, ErrValidation) && assert.ErrorAs(t, err, &ve, tt.name) {
			assert.NotEmpty(t, ve.Field, tt.name)
		}
	}
	assert.Empty(t, srv.Counters().Requests, "no request reached VOD or OSS")
}

func TestPerCallOptionsDoNotChangeTheUploader(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv, WithPartSize(2*mib))
	path, data := writeFile(t, "percall.mp4", 3*mib)

	res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "p"},
		WithPartSize(mib), WithMultipartThreshold(mib))
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)
	assert.Equal(t, 3, res.Parts)
	assert.EqualValues(t, 2*mib, u.opts.Upload.PartSize, "the shared Uploader kept its own options")
}

// TestClientOptionsOnlyAtNew: what is fixed at New (region, endpoint,
// credentials, HTTP client, caps) cannot be passed to an upload; the
// compiler refuses it, since an Upload… method takes only UploadOptions.
// Every option still configures New.
func TestClientOptionsOnlyAtNew(t *testing.T) {
	t.Parallel()
	perCall := reflect.TypeFor[UploadOption]()
	for name, opt := range map[string]ClientOption{
		"WithRegion": WithRegion("cn-beijing"), "WithEndpoint": WithEndpoint("http://127.0.0.1:1"),
		"WithCredentials": WithCredentials(StaticCredentials("id", "secret")), "WithHTTPClient": WithHTTPClient(http.DefaultClient),
		"WithMaxInFlightParts": WithMaxInFlightParts(2), "WithBandwidthLimit": WithBandwidthLimit(1 << 20),
		"WithCallTimeout": WithCallTimeout(time.Second),
	} {
		assert.False(t, reflect.TypeOf(opt).AssignableTo(perCall), "%s must not be usable per call", name)
		var o Options
		opt.apply(&o)
		assert.NotEqual(t, Options{}, o, "%s configures New", name)
	}
	var o Options
	WithPartSize(mib).apply(&o)
	assert.EqualValues(t, mib, o.Upload.PartSize, "an UploadOption given to New sets the default of every upload")
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	for _, opt := range []Option{
		WithPartSize(1), WithPartSize(6 << 30), WithConcurrency(-1), WithMultipartThreshold(6 << 30),
		WithRefreshAt(1.5), WithRetry(-1, time.Second, time.Second), WithRetry(3, time.Second, time.Millisecond), WithMaxInFlightParts(-2),
	} {
		_, err := New(opt, WithCredentials(StaticCredentials("id", "secret")))
		assert.ErrorIs(t, err, ErrValidation)
	}
}

func TestConcurrentUploadsThroughOneUploader(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv, WithPartSize(128<<10), WithMultipartThreshold(256<<10), WithMaxInFlightParts(6))
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			path, data := writeFile(t, fmt.Sprintf("c%d.mp4", i), (i%4+1)*200<<10)
			res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: fmt.Sprint("c", i)})
			if assert.NoError(t, err) {
				got, err := srv.Object(res.Bucket, res.ObjectKey)
				assert.NoError(t, err)
				assert.True(t, bytes.Equal(data, got))
			}
		})
	}
	wg.Wait()
}

func TestStreamOfUnknownSize(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv, WithPartSize(256<<10), WithMultipartThreshold(256<<10))
	for _, n := range []int{1, 100 << 10, 256 << 10, 256<<10 + 1, 3*mib + 5} {
		data := make([]byte, n)
		_, _ = rand.Read(data)
		// strings.Reader is read zero-copy (ReaderAt); a bare bytes.Buffer only in order.
		src := ReaderSource(strings.NewReader(string(data)), -1, "stream.mp4")
		if n%2 == 1 {
			src = ReaderSource(struct{ *bytes.Buffer }{bytes.NewBuffer(data)}, -1, "stream.mp4")
		}
		res, err := u.UploadVideo(context.Background(), src, VideoMeta{Title: "s"})
		require.NoError(t, err, "size %d", n)
		requireStored(t, srv, &res.Result, data)
	}
}

// TestMissingFileNamesThePathOnce: the error of a missing file reads like
// the shell's, with the path the caller gave, once.
func TestMissingFileNamesThePathOnce(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	_, err := u.UploadVideo(t.Context(), FileSource("no-such-movie.mp4"), VideoMeta{Title: "t"})
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.EqualError(t, err, "UploadVideo: open no-such-movie.mp4: no such file or directory")
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "no-such-movie.mp4", pe.Path)
}

// TestRegionSyntaxIsCheckedAtNew: a region that cannot be one (a typo, a
// made-up name) is a ValidationError from New, not a DNS failure at the
// first upload.
func TestRegionSyntaxIsCheckedAtNew(t *testing.T) {
	t.Parallel()
	creds := WithCredentials(StaticCredentials("id", "secret"))
	for _, region := range []string{"cn-shanghai", "ap-southeast-1", "cn-shanghai-finance-1", "eu-central-1", "rus-west-1-pop"} {
		_, err := New(creds, WithRegion(region))
		require.NoError(t, err, region)
		_, err = New(creds, WithECSRegion(region))
		require.NoError(t, err, "ECS region %s", region)
	}
	for _, region := range []string{"mars-1", "CN-SHANGHAI", "cn_shanghai", "shanghai", "cn-", "cn--shanghai", "cn-shanghai ", "oss-cn-shanghai.aliyuncs.com"} {
		_, err := New(creds, WithRegion(region))
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, region)
		assert.Equal(t, "Region", ve.Field)
		_, err = New(creds, WithECSRegion(region))
		require.ErrorAs(t, err, &ve, "ECS region %s", region)
		assert.Equal(t, "ECSRegion", ve.Field)
	}
}

// TestCallTimeoutBoundsAVODCall: WithCallTimeout bounds each VOD call
// that hangs, where the default would wait 30 s.
func TestCallTimeoutBoundsAVODCall(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(func() { close(release); hung.Close() })
	u, err := New(WithEndpoint(hung.URL), WithCredentials(StaticCredentials("id", "secret")),
		WithCallTimeout(200*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, 200*time.Millisecond, u.opts.CallTimeout)
	start := time.Now()
	_, err = u.UploadVideo(t.Context(), ReaderSource(strings.NewReader("abc"), 3, "a.mp4"), VideoMeta{Title: "t"})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "the call gave up at its timeout: %v", err)

	d, err := New(WithCredentials(StaticCredentials("id", "secret")))
	require.NoError(t, err)
	assert.Equal(t, DefaultCallTimeout, d.opts.CallTimeout)
	_, err = New(WithCredentials(StaticCredentials("id", "secret")), WithCallTimeout(-time.Second))
	assert.ErrorIs(t, err, ErrValidation)
}

// TestNegativeCategoryIsRefusedBeforeVOD: a category ID below 0 names no
// category; every kind refuses it with the field named, before any request.
func TestNegativeCategoryIsRefusedBeforeVOD(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	ctx := t.Context()
	tests := []struct {
		kind, field string
		run         func() error
	}{
		{"video", "CateID", func() error {
			_, err := u.CreateVideoUpload(ctx, VideoMeta{Title: "t", FileName: "a.mp4", CateID: -1}, 0)
			return err
		}},
		{"image", "CateID", func() error {
			_, err := u.CreateImageUpload(ctx, ImageMeta{ImageExt: "png", CateID: -7})
			return err
		}},
		{"attached media", "CateIDs[1]", func() error {
			_, err := u.CreateAttachedMediaUpload(ctx, AttachedMediaMeta{BusinessType: "subtitle", MediaExt: "vtt",
				CateIDs: []int64{3, -2}}, 0)
			return err
		}},
	}
	for _, tt := range tests {
		var ve *ValidationError
		require.ErrorAs(t, tt.run(), &ve, tt.kind)
		assert.Equal(t, tt.field, ve.Field, tt.kind)
		assert.Equal(t, "not negative", ve.Rule, tt.kind)
	}
	assert.Empty(t, srv.Counters().Requests, "refused before VOD")
}
