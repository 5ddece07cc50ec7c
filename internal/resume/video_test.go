package resume

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/checkpoint"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// fakeVOD answers Create with a new video and Refresh per its fields.
type fakeVOD struct {
	created, refreshed int
	refreshErr         error
	refreshKey         string
}

func (f *fakeVOD) CreateUploadVideo(context.Context, vodapi.CreateVideoRequest) (*vodapi.Upload, error) {
	f.created++
	return &vodapi.Upload{MediaID: "new", Address: vodapi.UploadAddress{Endpoint: "http://oss", Bucket: "b", FileName: "k/new.mp4"}}, nil
}

func (f *fakeVOD) RefreshUploadVideo(_ context.Context, id string) (*vodapi.Upload, error) {
	f.refreshed++
	if f.refreshErr != nil {
		return nil, f.refreshErr
	}
	key := f.refreshKey
	if key == "" {
		key = "k/old.mp4"
	}
	return &vodapi.Upload{MediaID: id, Address: vodapi.UploadAddress{Endpoint: "http://oss", Bucket: "b", FileName: key}}, nil
}

func setup(t *testing.T) (checkpoint.Store, string, vodapi.CreateVideoRequest) {
	t.Helper()
	dir := t.TempDir()
	store, err := checkpoint.NewDirStore(filepath.Join(dir, "ckpt"))
	require.NoError(t, err)
	file := filepath.Join(dir, "a.mp4")
	require.NoError(t, os.WriteFile(file, bytes.Repeat([]byte("x"), 1<<20), 0o600))
	return store, file, vodapi.CreateVideoRequest{Title: "t", FileName: "a.mp4"}
}

// interrupt leaves a checkpoint of video "old" with one finished part.
func interrupt(t *testing.T, store checkpoint.Store, file string, req vodapi.CreateVideoRequest) {
	t.Helper()
	v, err := Open(context.Background(), store, file, req, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer v.Release()
	_, err = v.Media(context.Background(), &fakeVOD{}, req)
	require.NoError(t, err)
	v.rec.MediaID, v.rec.ObjectKey = "old", "k/old.mp4"
	require.NoError(t, v.Initiated(context.Background(), "U1", 256<<10))
	v.PartDone(ossclient.Part{Number: 1, ETag: `"E1"`, Size: 256 << 10, CRC64: 7})
	require.NoError(t, v.Finish(context.Background(), false))
}

func TestResumeContinuesTheCheckpointedVideo(t *testing.T) {
	t.Parallel()
	store, file, req := setup(t)
	interrupt(t, store, file, req)

	v, err := Open(context.Background(), store, file, req, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer v.Release()
	vod := &fakeVOD{}
	up, err := v.Media(context.Background(), vod, req)
	require.NoError(t, err)
	assert.Equal(t, "old", up.MediaID)
	assert.Equal(t, 0, vod.created, "resuming creates no video")
	assert.Equal(t, "U1", v.UploadID())
	assert.EqualValues(t, 256<<10, v.PartSize())
	assert.Equal(t, []ossclient.Part{{Number: 1, ETag: `"E1"`, Size: 256 << 10, CRC64: 7, HasCRC: true}}, v.Parts())

	require.NoError(t, v.Finish(context.Background(), true))
	_, err = store.Load(context.Background(), v.key)
	assert.ErrorIs(t, err, os.ErrNotExist, "a finished upload leaves no checkpoint")
}

func TestResumeStartsFreshAndSaysWhy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vod     *fakeVOD
		change  func(t *testing.T, file string, req *vodapi.CreateVideoRequest)
		wantLog string
	}{
		{"video deleted", &fakeVOD{refreshErr: &apierr.Error{Service: apierr.VOD, Code: "InvalidVideo.NotFound"}}, nil, "no longer exists"},
		{"address moved", &fakeVOD{refreshKey: "k/elsewhere.mp4"}, nil, "another upload address"},
		{"file changed", &fakeVOD{}, func(t *testing.T, file string, _ *vodapi.CreateVideoRequest) {
			require.NoError(t, os.WriteFile(file, bytes.Repeat([]byte("y"), 1<<20), 0o600))
			require.NoError(t, os.Chtimes(file, time.Now(), time.Now().Add(time.Hour)))
		}, "the file changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, file, req := setup(t)
			interrupt(t, store, file, req)
			if tt.change != nil {
				tt.change(t, file, &req)
			}
			var logs bytes.Buffer
			v, err := Open(context.Background(), store, file, req, slog.New(slog.NewTextHandler(&logs, nil)))
			require.NoError(t, err)
			defer v.Release()
			up, err := v.Media(context.Background(), tt.vod, req)
			require.NoError(t, err)
			assert.Equal(t, "new", up.MediaID)
			assert.Equal(t, 1, tt.vod.created)
			assert.Empty(t, v.UploadID(), "a fresh upload initiates its own multipart upload")
			assert.Contains(t, logs.String(), tt.wantLog)
			require.NoError(t, v.Finish(context.Background(), true))
		})
	}
}

func TestResumeRefusesASecondProcessAndStoreErrors(t *testing.T) {
	t.Parallel()
	store, file, req := setup(t)
	first, err := Open(context.Background(), store, file, req, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	_, err = Open(context.Background(), store, file, req, slog.New(slog.DiscardHandler))
	assert.ErrorIs(t, err, checkpoint.ErrLocked)
	first.Release()

	// A refresh that fails for another reason keeps the checkpoint and
	// reports the error rather than duplicating the video.
	interrupt(t, store, file, req)
	v, err := Open(context.Background(), store, file, req, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer v.Release()
	boom := errors.New("vod unavailable")
	_, err = v.Media(context.Background(), &fakeVOD{refreshErr: boom}, req)
	assert.ErrorIs(t, err, boom)
	_, err = store.Load(context.Background(), v.key)
	assert.NoError(t, err, "the checkpoint is still there")
}
