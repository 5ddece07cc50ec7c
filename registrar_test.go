package vodupload

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// failedUpload is one kind of upload that fails for good after VOD
// registered its media: every OSS request answers 500 and is tried once.
type failedUpload struct {
	name, deleteAction string
	run                func(t *testing.T, u *Uploader, opts ...UploadOption) error
}

func failedUploads() []failedUpload {
	return []failedUpload{
		{"video, one PUT", "DeleteVideo", func(t *testing.T, u *Uploader, opts ...UploadOption) error {
			path, _ := writeFile(t, "small.mp4", 10<<10)
			_, err := u.UploadVideo(t.Context(), FileSource(path), VideoMeta{Title: "doomed"}, opts...)
			return err
		}},
		{"video, multipart", "DeleteVideo", func(t *testing.T, u *Uploader, opts ...UploadOption) error {
			path, _ := writeFile(t, "large.mp4", 300<<10)
			opts = append([]UploadOption{WithPartSize(100 << 10), WithMultipartThreshold(100 << 10)}, opts...)
			_, err := u.UploadVideo(t.Context(), FileSource(path), VideoMeta{Title: "doomed"}, opts...)
			return err
		}},
		{"HLS", "DeleteVideo", func(t *testing.T, u *Uploader, opts ...UploadOption) error {
			_, err := u.UploadM3U8(t.Context(), M3U8{Index: "testdata/hls/index.m3u8"}, VideoMeta{Title: "doomed"}, opts...)
			return err
		}},
		{"image", "DeleteImage", func(t *testing.T, u *Uploader, opts ...UploadOption) error {
			path, _ := writeFile(t, "cover.png", 10<<10)
			_, err := u.UploadImage(t.Context(), FileSource(path), ImageMeta{ImageType: "cover"}, opts...)
			return err
		}},
		{"attached media", "DeleteAttachedMedia", func(t *testing.T, u *Uploader, opts ...UploadOption) error {
			path, _ := writeFile(t, "subs.vtt", 10<<10)
			_, err := u.UploadAttachedMedia(t.Context(), FileSource(path), AttachedMediaMeta{BusinessType: "subtitle"}, opts...)
			return err
		}},
	}
}

// TestFailedUploadDeletesTheRecordItCreated: an upload that fails and
// cannot be resumed leaves no empty record in the media library: the
// video, image or attached media it registered is deleted and the error
// says so. WithKeepFailedMedia keeps it.
func TestFailedUploadDeletesTheRecordItCreated(t *testing.T) {
	t.Parallel()
	for _, tt := range failedUploads() {
		for _, keep := range []bool{false, true} {
			name := tt.name
			if keep {
				name += ", kept"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{ErrorRate: 1}})
				u := newUploader(t, srv, WithRetry(1, time.Millisecond, time.Millisecond))
				var opts []UploadOption
				if keep {
					opts = append(opts, WithKeepFailedMedia())
				}
				err := tt.run(t, u, opts...)

				var ue *UploadError
				require.ErrorAs(t, err, &ue)
				require.NotEmpty(t, ue.MediaID)
				assert.False(t, ue.Resumable)
				assert.NoError(t, ue.DeleteErr)
				if keep {
					assert.False(t, ue.Deleted)
					assert.True(t, srv.HasMedia(ue.MediaID), "WithKeepFailedMedia keeps the record")
					assert.Zero(t, srv.Counters().Requests[tt.deleteAction])
					return
				}
				assert.True(t, ue.Deleted)
				assert.False(t, srv.HasMedia(ue.MediaID), "no empty record is left behind")
				assert.EqualValues(t, 1, srv.Counters().Requests[tt.deleteAction])
				assert.ErrorContains(t, err, "media record deleted")
			})
		}
	}
}

// TestCancelledUploadDeletesTheRecordToo: Ctrl-C without checkpoints is a
// failure that cannot be resumed; the cleanup runs although the caller's
// context is done.
func TestCancelledUploadDeletesTheRecordToo(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{BandwidthBPS: 256 << 10}})
	u := newUploader(t, srv, WithPartSize(100<<10), WithMultipartThreshold(100<<10))
	path, _ := writeFile(t, "cancelled.mp4", 2*mib)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for srv.Counters().Requests["UploadPart"] == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := u.UploadVideo(ctx, FileSource(path), VideoMeta{Title: "cancelled"})
	require.ErrorIs(t, err, context.Canceled)
	var ue *UploadError
	require.ErrorAs(t, err, &ue)
	assert.True(t, ue.Deleted)
	assert.False(t, srv.HasMedia(ue.MediaID))
}

// TestResumableFailureKeepsTheRecord: with checkpoints, a failed upload
// keeps its video, which the next run continues.
func TestResumableFailureKeepsTheRecord(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	path, _ := writeFile(t, "resumable.mp4", 4*mib)
	interrupted(t, srv, path, filepath.Join(t.TempDir(), "ckpt"))
	assert.Zero(t, srv.Counters().Requests["DeleteVideo"])
	assert.Len(t, srv.MultipartUploads(), 1)
}

// TestTicketUploadNeverDeletes: the media of a ticket belongs to the
// AppServer that issued it; a client cannot delete it (it holds no
// AccessKey) and does not try.
func TestTicketUploadNeverDeletes(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	appServer := newUploader(t, srv)
	ticket, err := appServer.CreateVideoUpload(t.Context(), VideoMeta{Title: "t", FileName: "t.mp4"}, 0)
	require.NoError(t, err)
	srv.SetFaults(emulator.Faults{ErrorRate: 1})
	path, _ := writeFile(t, "t.mp4", 10<<10)
	_, err = appServer.UploadWithTicket(t.Context(), FileSource(path), ticket, nil, WithRetry(1, time.Millisecond, time.Millisecond))
	var ue *UploadError
	require.ErrorAs(t, err, &ue)
	assert.False(t, ue.Deleted)
	assert.True(t, srv.HasMedia(ticket.MediaID))
	assert.Zero(t, srv.Counters().Requests["DeleteVideo"])
}

// TestFailedDeleteIsReported: when the cleanup itself fails (here VOD
// refuses DeleteVideo for the RAM policy), the error says the record
// stays and carries VOD's answer.
func TestFailedDeleteIsReported(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{ErrorRate: 1}})
	vod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Action") == "DeleteVideo" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"RequestId":"5B7E0E4A-0000-0000-0000-000000000000","HostId":"vod.cn-shanghai.aliyuncs.com",` +
				`"Code":"Forbidden.RAM","Message":"User not authorized to operate on the specified resource."}`))
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(vod.Close)
	u, err := New(WithEndpoint(vod.URL), WithCredentials(StaticCredentials(srv.AccessKeyID, srv.AccessKeySecret)),
		WithRetry(1, time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	path, _ := writeFile(t, "small.mp4", 10<<10)
	_, err = u.UploadVideo(t.Context(), FileSource(path), VideoMeta{Title: "undeletable"})

	var ue *UploadError
	require.ErrorAs(t, err, &ue)
	assert.False(t, ue.Deleted)
	require.Error(t, ue.DeleteErr)
	var ae *APIError
	require.ErrorAs(t, ue.DeleteErr, &ae)
	assert.Equal(t, "Forbidden.RAM", ae.Code)
	assert.True(t, errors.Is(err, ue.DeleteErr), "the error unwraps to the failed delete")
	assert.ErrorContains(t, err, "deleting the media record also failed")
	assert.True(t, srv.HasMedia(ue.MediaID))
}
