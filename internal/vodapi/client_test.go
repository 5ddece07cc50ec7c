package vodapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/retry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newEmulator(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	srv, err := emulator.New(opts)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv
}

// newClient returns a Client for endpoint with fast retries (3 attempts).
func newClient(t *testing.T, endpoint string, creds credentials.CredentialsProvider, timeout time.Duration) *Client {
	t.Helper()
	c, err := New(Config{Endpoint: endpoint, Credentials: creds, Timeout: timeout})
	require.NoError(t, err)
	c.policy = retry.Policy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
	t.Cleanup(c.Close)
	return c
}

func emulatorClient(t *testing.T, srv *emulator.Server) *Client {
	t.Helper()
	return newClient(t, srv.URL, credentials.NewStaticAKCredentialsProvider(srv.AccessKeyID, srv.AccessKeySecret), 5*time.Second)
}

// countingTransport counts round trips and can fail them all.
type countingTransport struct {
	n    atomic.Int32
	base http.RoundTripper
	host atomic.Value // last request's scheme://host
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	c.host.Store(r.URL.Scheme + "://" + r.URL.Host)
	if c.base == nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return c.base.RoundTrip(r)
}

func assertUpload(t *testing.T, srv *emulator.Server, u *Upload) {
	t.Helper()
	assert.Len(t, u.MediaID, 32)
	assert.NotEmpty(t, u.RequestID)
	assert.Equal(t, srv.URL, u.Address.Endpoint)
	assert.True(t, strings.HasPrefix(u.Address.Bucket, "outin-"), u.Address.Bucket)
	assert.NotEmpty(t, u.Address.FileName)
	assert.True(t, strings.HasPrefix(u.Auth.AccessKeyID, "STS."))
	assert.NotEmpty(t, u.Auth.AccessKeySecret.Reveal())
	assert.NotEmpty(t, u.Auth.SecurityToken.Reveal())
	assert.Equal(t, emulator.DefaultSTSTTL, u.Auth.Lifetime)
	assert.WithinDuration(t, time.Now().Add(emulator.DefaultSTSTTL), u.Auth.Expires, time.Minute)
	assert.Equal(t, "cn-shanghai", u.Auth.Region)
	addr, err := DecodeAddress(u.RawAddress)
	require.NoError(t, err)
	assert.Equal(t, u.Address, addr)
}

func TestVideoRoundTrip(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	c := emulatorClient(t, srv)
	ctx := context.Background()

	created, err := c.CreateUploadVideo(ctx, CreateVideoRequest{
		Title: "holiday", FileName: "index.m3u8", FileSize: 1234, Description: "sea",
		CateID: 9, Tags: []string{"sea", "sun"}, TemplateGroupID: "VOD_NO_TRANSCODE",
		UserData: `{"Extend":{"k":"v"}}`,
	})
	require.NoError(t, err)
	assertUpload(t, srv, created)
	assert.NotEmpty(t, created.Address.ObjectPrefix)
	assert.Equal(t, created.Address.ObjectPrefix, created.Address.Dir())

	refreshed, err := c.RefreshUploadVideo(ctx, created.MediaID)
	require.NoError(t, err)
	assertUpload(t, srv, refreshed)
	assert.Equal(t, created.MediaID, refreshed.MediaID)
	assert.Equal(t, created.Address, refreshed.Address)
	assert.NotEqual(t, created.Auth.AccessKeyID, refreshed.Auth.AccessKeyID)

	info, err := c.GetVideoInfo(ctx, created.MediaID)
	require.NoError(t, err)
	assert.Equal(t, created.MediaID, info.VideoID)
	assert.Equal(t, "holiday", info.Title)
	assert.Equal(t, "Uploading", info.Status)
	assert.Equal(t, []string{"sea", "sun"}, info.Tags)
	assert.EqualValues(t, 9, info.CateID)
	assert.WithinDuration(t, time.Now(), info.Created, time.Minute)

	counters := srv.Counters()
	assert.EqualValues(t, 1, counters.Refreshes)
	assert.EqualValues(t, 2, counters.Credentials)
}

func TestImageAndAttachedRoundTrip(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	c := emulatorClient(t, srv)
	ctx := context.Background()

	img, err := c.CreateUploadImage(ctx, CreateImageRequest{ImageType: "cover", ImageExt: "jpg", Title: "cover", Tags: []string{"a"}})
	require.NoError(t, err)
	assertUpload(t, srv, img)
	assert.True(t, strings.HasSuffix(img.Address.FileName, ".jpg"), img.Address.FileName)
	assert.Equal(t, srv.URL+"/"+img.Address.Bucket+"/"+img.Address.FileName, img.MediaURL)
	assert.Equal(t, img.MediaURL, img.FileURL)

	att, err := c.CreateUploadAttachedMedia(ctx, CreateAttachedMediaRequest{
		BusinessType: "subtitle", FileName: "en.vtt", FileSize: 10, CateIDs: []int64{1, 2},
	})
	require.NoError(t, err)
	assertUpload(t, srv, att)
	assert.True(t, strings.HasSuffix(att.Address.FileName, ".vtt"), att.Address.FileName)
	assert.NotEmpty(t, att.MediaURL)

	require.NoError(t, c.DeleteImage(ctx, img.MediaID))
	require.NoError(t, c.DeleteAttachedMedia(ctx, att.MediaID))
	assert.False(t, srv.HasMedia(img.MediaID))
	assert.False(t, srv.HasMedia(att.MediaID))
	require.NoError(t, c.DeleteAttachedMedia(ctx, att.MediaID), "deleting again is not an error")
	// VOD answers NoSuchResource (404) for an image it no longer has.
	require.NoError(t, c.DeleteImage(ctx, img.MediaID), "deleting again is not an error")
	assert.EqualValues(t, 1, srv.Counters().Errors["NoSuchResource"])
}

func TestUploadMediaByURLRoundTrip(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	c := emulatorClient(t, srv)
	ctx := context.Background()
	source := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/clip.mp4" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, "twelve bytes")
	}))
	t.Cleanup(source.Close)

	good := source.URL + "/clip.mp4?a=1&b=2,3"
	jobs, err := c.UploadMediaByURL(ctx, UploadByURLRequest{
		Items: []URLItem{{URL: good, Title: "clip"}, {URL: source.URL + "/gone.mp4"}},
	})
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	assert.Equal(t, good, jobs[0].SourceURL, "commas and ampersands survive the encoding")

	ids := []string{jobs[0].JobID, jobs[1].JobID}
	for range 10 { // 10 unknown IDs push the request past one batch
		ids = append(ids, strings.Repeat("0", 32))
	}
	var infos *URLUploadInfos
	require.Eventually(t, func() bool {
		infos, err = c.GetURLUploadInfos(ctx, ids)
		require.NoError(t, err)
		return len(infos.Jobs) == 2 && infos.Jobs[0].Done() && infos.Jobs[1].Done()
	}, 5*time.Second, 10*time.Millisecond)
	assert.Len(t, infos.NonExistent, 10)

	ok, failed := infos.Jobs[0], infos.Jobs[1]
	assert.True(t, ok.Succeeded(), ok.Status)
	assert.EqualValues(t, 12, ok.FileSize)
	assert.Equal(t, good, ok.SourceURL)
	assert.False(t, ok.Completed.IsZero())
	video, err := c.GetVideoInfo(ctx, ok.MediaID)
	require.NoError(t, err)
	assert.Equal(t, "clip", video.Title)
	assert.Equal(t, "UploadSucc", video.Status)

	assert.False(t, failed.Succeeded())
	assert.NotEmpty(t, failed.ErrorCode)
	assert.Contains(t, failed.ErrorMessage, "404")
}

func TestServerErrors(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	const token = "CAIStoken-that-must-not-leak-0123456789"
	tests := []struct {
		name   string
		creds  credentials.CredentialsProvider
		status int
		code   string
		secret string
	}{
		{"wrong secret", credentials.NewStaticAKCredentialsProvider(srv.AccessKeyID, "wrong-secret-0123456789"),
			400, "SignatureDoesNotMatch", "wrong-secret-0123456789"},
		{"wrong secret with token", credentials.NewStaticSTSCredentialsProvider(srv.AccessKeyID, "wrong-secret-0123456789", token),
			400, "SignatureDoesNotMatch", token},
		{"unknown key", credentials.NewStaticAKCredentialsProvider("LTAInobody", srv.AccessKeySecret),
			404, "InvalidAccessKeyId.NotFound", srv.AccessKeySecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, srv.URL, tt.creds, 5*time.Second)
			_, err := c.CreateUploadVideo(context.Background(), CreateVideoRequest{Title: "t", FileName: "a.mp4"})
			var ae *apierr.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, apierr.VOD, ae.Service)
			assert.Equal(t, "CreateUploadVideo", ae.Op)
			assert.Equal(t, tt.status, ae.StatusCode)
			assert.Equal(t, tt.code, ae.Code)
			assert.NotEmpty(t, ae.RequestID)
			assert.NotEmpty(t, ae.HostID)
			assert.NotContains(t, err.Error(), tt.secret)
			assert.NotContains(t, err.Error(), "string to sign")
		})
	}
	c := emulatorClient(t, srv)
	_, err := c.GetVideoInfo(context.Background(), "0123456789abcdef0123456789abcdef")
	var ae *apierr.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "InvalidVideo.NotFound", ae.Code)
	assert.Equal(t, http.StatusNotFound, ae.StatusCode)
}

// TestRetryRules: reads are retried on 503, creates are not, because a
// repeated create duplicates the video.
func TestRetryRules(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{VODErrorRate: 1}})
	c := emulatorClient(t, srv)
	ctx := context.Background()

	_, err := c.GetVideoInfo(ctx, "0123456789abcdef0123456789abcdef")
	var ae *apierr.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "ServiceUnavailable", ae.Code)
	assert.True(t, ae.Temporary())
	_, err = c.CreateUploadVideo(ctx, CreateVideoRequest{Title: "t", FileName: "a.mp4"})
	require.ErrorAs(t, err, &ae)

	requests := srv.Counters().Requests
	assert.EqualValues(t, 3, requests["GetVideoInfo"], "retried up to MaxAttempts")
	assert.EqualValues(t, 1, requests["CreateUploadVideo"], "never retried after reaching VOD")
}

func TestCreateRetriedWhenRefused(t *testing.T) {
	t.Parallel()
	c := newClient(t, "http://127.0.0.1:9", credentials.NewStaticSTSCredentialsProvider("LTAIx", "s3cr3t-value", "CAIS-token-value"), time.Second)
	rt := &countingTransport{}
	c.rt = rt
	_, err := c.CreateUploadVideo(context.Background(), CreateVideoRequest{Title: "t", FileName: "a.mp4"})
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.ECONNREFUSED), err.Error())
	assert.EqualValues(t, 3, rt.n.Load(), "a refused connection never reached VOD")
	assert.NotContains(t, err.Error(), "CAIS-token-value")
	assert.NotContains(t, err.Error(), "Signature=")
	assert.Contains(t, err.Error(), "vod CreateUploadVideo")
}

func TestDefaultEndpointResolution(t *testing.T) {
	t.Parallel()
	c := newClient(t, "", credentials.NewStaticAKCredentialsProvider("LTAIx", "secret"), time.Second)
	rt := &countingTransport{}
	c.rt = rt
	_, err := c.GetVideoInfo(context.Background(), "v")
	require.Error(t, err)
	assert.Equal(t, "https://vod.cn-shanghai.aliyuncs.com", rt.host.Load())
}

// hangingServer accepts requests and never answers; it counts them.
func hangingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestContextHonoured(t *testing.T) {
	t.Parallel()
	creds := credentials.NewStaticAKCredentialsProvider("LTAIx", "secret")
	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		hang, _ := hangingServer(t)
		c := newClient(t, hang.URL, creds, time.Minute)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.CreateUploadVideo(ctx, CreateVideoRequest{Title: "t", FileName: "a.mp4"})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), time.Second)
	})
	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		hang, _ := hangingServer(t)
		c := newClient(t, hang.URL, creds, time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.GetVideoInfo(ctx, "v")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		var te *TimeoutError
		assert.False(t, errors.As(err, &te), "the caller's deadline is not an attempt timeout")
	})
	t.Run("attempt timeout retried for reads only", func(t *testing.T) {
		t.Parallel()
		hang, n := hangingServer(t)
		c := newClient(t, hang.URL, creds, 50*time.Millisecond)
		_, err := c.GetVideoInfo(context.Background(), "v")
		var te *TimeoutError
		require.ErrorAs(t, err, &te)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.EqualValues(t, 3, n.Load())

		n.Store(0)
		_, err = c.CreateUploadVideo(context.Background(), CreateVideoRequest{Title: "t", FileName: "a.mp4"})
		require.ErrorAs(t, err, &te)
		assert.EqualValues(t, 1, n.Load(), "a create that may have arrived is not repeated")
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	creds := credentials.NewStaticAKCredentialsProvider("LTAIx", "secret")
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no credentials", Config{}},
		{"ftp endpoint", Config{Credentials: creds, Endpoint: "ftp://vod.example"}},
		{"endpoint with path", Config{Credentials: creds, Endpoint: "http://127.0.0.1:1/api"}},
		{"endpoint with query", Config{Credentials: creds, Endpoint: "http://127.0.0.1:1/?x=1"}},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		assert.Error(t, err, tt.name)
	}
	for _, ok := range []string{"", "vod.cn-beijing.aliyuncs.com", "https://vod.cn-shanghai.aliyuncs.com", "http://127.0.0.1:1234/"} {
		c, err := New(Config{Credentials: creds, Endpoint: ok})
		require.NoError(t, err, ok)
		c.Close()
	}
}
