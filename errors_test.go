package vodupload

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/uploadauth"
)

// TestEveryServiceFailureIsAnAPIError: whatever public method a VOD or OSS
// failure comes out of, and at whatever step (VOD create, VOD refresh, OSS
// put, part or complete, a ticket upload), the caller finds it with
// errors.As as an *APIError naming the service and the action, and the
// error's text starts with the method's name.
func TestEveryServiceFailureIsAnAPIError(t *testing.T) {
	t.Parallel()
	const partSize = 128 << 10
	ctx := t.Context()
	type env struct {
		srv  *emulator.Server
		u    *Uploader // AccessKey right
		file string    // 3 parts
	}
	wrongKey := func(t *testing.T, e env) *Uploader {
		u, err := New(WithEndpoint(e.srv.URL), WithCredentials(StaticCredentials(e.srv.AccessKeyID, "wrong")))
		require.NoError(t, err)
		return u
	}
	garbled := func(op string) emulator.Faults {
		return emulator.Faults{Malformed: 1, MalformedKind: emulator.MalformedTruncatedError, MalformedOp: op}
	}
	tests := []struct {
		method, service, action string
		faults                  emulator.Faults
		run                     func(t *testing.T, e env) error
	}{
		{"UploadVideo", "VOD", "CreateUploadVideo", emulator.Faults{}, func(t *testing.T, e env) error {
			_, err := wrongKey(t, e).UploadVideo(ctx, FileSource(e.file), VideoMeta{Title: "x"})
			return err
		}},
		{"UploadImage", "VOD", "CreateUploadImage", emulator.Faults{}, func(t *testing.T, e env) error {
			_, err := wrongKey(t, e).UploadImage(ctx, ReaderSource(strings.NewReader("png"), 3, "a.png"), ImageMeta{})
			return err
		}},
		{"UploadAttachedMedia", "VOD", "CreateUploadAttachedMedia", emulator.Faults{}, func(t *testing.T, e env) error {
			_, err := wrongKey(t, e).UploadAttachedMedia(ctx, ReaderSource(strings.NewReader("vtt"), 3, "a.vtt"),
				AttachedMediaMeta{BusinessType: "subtitle"})
			return err
		}},
		{"UploadM3U8", "VOD", "CreateUploadVideo", emulator.Faults{}, func(t *testing.T, e env) error {
			_, err := wrongKey(t, e).UploadM3U8(ctx, M3U8{Index: "testdata/hls/index.m3u8"}, VideoMeta{Title: "x"})
			return err
		}},
		{"CreateVideoUpload", "VOD", "CreateUploadVideo", emulator.Faults{}, func(t *testing.T, e env) error {
			_, err := wrongKey(t, e).CreateVideoUpload(ctx, VideoMeta{Title: "x", FileName: "x.mp4"}, 1)
			return err
		}},
		{"CreateImageUpload", "VOD", "CreateUploadImage", emulator.Faults{}, func(t *testing.T, e env) error {
			_, err := wrongKey(t, e).CreateImageUpload(ctx, ImageMeta{ImageExt: "png"})
			return err
		}},
		{"CreateAttachedMediaUpload", "VOD", "CreateUploadAttachedMedia", emulator.Faults{}, func(t *testing.T, e env) error {
			_, err := wrongKey(t, e).CreateAttachedMediaUpload(ctx, AttachedMediaMeta{BusinessType: "subtitle", FileName: "a.vtt"}, 1)
			return err
		}},
		{"RefreshVideoUpload", "VOD", "GetVideoInfo", emulator.Faults{}, func(t *testing.T, e env) error {
			_, err := e.u.RefreshVideoUpload(ctx, "0123456789abcdef0123456789abcdef")
			return err
		}},
		{"SubmitPull", "VOD", "UploadMediaByURL", emulator.Faults{}, func(t *testing.T, e env) error {
			_, err := wrongKey(t, e).SubmitPull(ctx, []PullItem{{URL: "https://example.invalid/a.mp4"}})
			return err
		}},
		{"WaitPull", "VOD", "GetURLUploadInfos", emulator.Faults{}, func(t *testing.T, e env) error {
			_, err := wrongKey(t, e).WaitPull(ctx, "job")
			return err
		}},
		{"UploadVideo", "VOD", "RefreshUploadVideo", emulator.Faults{}, func(t *testing.T, e env) error {
			// Mid-upload, every credential dies and VOD stops answering.
			data, err := os.ReadFile(e.file)
			require.NoError(t, err)
			var once sync.Once
			down := func() {
				once.Do(func() { e.srv.SetFaults(emulator.Faults{VODErrorRate: 1}); e.srv.ExpireCredentials() })
			}
			src := ReaderSource(&revokingReader{bytes.NewReader(data), partSize, down}, int64(len(data)), "a.mp4")
			_, err = e.u.UploadVideo(ctx, src, VideoMeta{Title: "x"}, WithConcurrency(1))
			return err
		}},
		{"UploadVideo", "OSS", "PutObject", garbled("PutObject"), func(t *testing.T, e env) error {
			_, err := e.u.UploadVideo(ctx, ReaderSource(strings.NewReader("small"), 5, "a.mp4"), VideoMeta{Title: "x"})
			return err
		}},
		{"UploadVideo", "OSS", "UploadPart", garbled("UploadPart"), func(t *testing.T, e env) error {
			_, err := e.u.UploadVideo(ctx, FileSource(e.file), VideoMeta{Title: "x"})
			return err
		}},
		{"UploadVideo", "OSS", "CompleteMultipartUpload", garbled("CompleteMultipartUpload"), func(t *testing.T, e env) error {
			_, err := e.u.UploadVideo(ctx, FileSource(e.file), VideoMeta{Title: "x"})
			return err
		}},
		{"UploadWithTicket", "OSS", "PutObject", emulator.Faults{}, func(t *testing.T, e env) error {
			ticket, err := e.u.CreateVideoUpload(ctx, VideoMeta{Title: "x", FileName: "x.mp4"}, 5)
			require.NoError(t, err)
			ticket.UploadAddress = retargetAddress(t, ticket.UploadAddress, "", "sv/elsewhere/x.mp4")
			_, err = e.u.UploadWithTicket(ctx, ReaderSource(strings.NewReader("small"), 5, "x.mp4"), ticket, nil)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.method+"/"+tt.service+" "+tt.action, func(t *testing.T) {
			t.Parallel()
			srv := newEmulator(t, emulator.Options{Faults: tt.faults})
			u := newUploader(t, srv, WithPartSize(partSize), WithMultipartThreshold(partSize),
				WithRetry(2, time.Millisecond, 2*time.Millisecond))
			file, _ := writeFile(t, "three-parts.mp4", 3*partSize)

			err := tt.run(t, env{srv: srv, u: u, file: file})

			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.EqualValues(t, tt.service, apiErr.Service)
			assert.Equal(t, tt.action, apiErr.Op)
			assert.NotEmpty(t, apiErr.Code)
			assert.True(t, strings.HasPrefix(err.Error(), tt.method), "%q starts with %s", err, tt.method)
		})
	}
}

// TestValidationErrorKeepsWholeCharacters: a value shortened for the
// message is cut between characters, never inside one, so a long Chinese
// title prints as text instead of a broken byte.
func TestValidationErrorKeepsWholeCharacters(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	title := strings.Repeat("视频标题", 13)[:150] // 50 characters of 3 bytes
	require.True(t, utf8.ValidString(title))

	_, err := u.UploadVideo(t.Context(), ReaderSource(strings.NewReader("abc"), 3, "a.mp4"), VideoMeta{Title: title})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Title", ve.Field)
	assert.True(t, utf8.ValidString(ve.Value), "shortened value %q", ve.Value)
	assert.True(t, strings.HasPrefix(title, strings.TrimSuffix(ve.Value, "...")), "a prefix of the title: %q", ve.Value)
	assert.NotContains(t, err.Error(), `\x`, "no escaped half-character in %s", err)
	assert.Empty(t, srv.Counters().Requests)
}

// TestReturnedErrorsAreSafeToInspectConcurrently: an error the library
// returns is often shared (a batch consumer, a logger, a retry decision);
// errors.Is and errors.As on it from several goroutines at once agree and
// are race-free. The cause here holds two service answers and a sentinel,
// as a failed credential refresh does.
func TestReturnedErrorsAreSafeToInspectConcurrently(t *testing.T) {
	t.Parallel()
	vodErr := &apierr.Error{Service: apierr.VOD, Op: "RefreshUploadVideo", StatusCode: 404, Code: "InvalidVideo.NotFound"}
	ossErr := &apierr.Error{Service: apierr.OSS, Op: "UploadPart", StatusCode: 403, Code: "SecurityTokenExpired"}
	cause := fmt.Errorf("UploadPart k: refreshing the credential failed: %w (after: %w)",
		errors.Join(vodErr, uploadauth.ErrNoRefresh), ossErr)
	err := opError("UploadVideo", cause)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var ae *APIError
			if assert.ErrorAs(t, err, &ae) {
				assert.Equal(t, "InvalidVideo.NotFound", ae.Code, "VOD's reason comes first")
			}
			assert.ErrorIs(t, err, ErrCredentialExpired)
			assert.ErrorIs(t, err, ossErr, "the internal chain is kept")
			assert.NotErrorIs(t, err, ErrTooLarge)
		})
	}
	wg.Wait()
}
