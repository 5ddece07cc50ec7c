package vodupload

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

func TestUploadImageAndAttachedMedia(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)

	png, pngData := writeFile(t, "cover.png", 20<<10)
	img, err := u.UploadImage(context.Background(), FileSource(png), ImageMeta{ImageType: "cover", Title: "cover"})
	require.NoError(t, err)
	assert.NotEmpty(t, img.ImageID)
	assert.NotEmpty(t, img.ImageURL)
	stored, err := srv.Object(img.Bucket, img.ObjectKey)
	require.NoError(t, err)
	assert.Equal(t, pngData, stored)

	for _, tc := range []struct{ business, file string }{
		{"watermark", "logo.png"}, {"subtitle", "movie.en.vtt"}, {"material", "pack.zip"},
	} {
		path, data := writeFile(t, tc.file, 3000)
		res, err := u.UploadAttachedMedia(context.Background(), FileSource(path), AttachedMediaMeta{BusinessType: tc.business, Title: tc.file})
		require.NoError(t, err, tc.business)
		assert.NotEmpty(t, res.MediaID)
		stored, err := srv.Object(res.Bucket, res.ObjectKey)
		require.NoError(t, err)
		assert.Equal(t, data, stored, tc.business)
	}
}

func TestImageAndAttachedValidation(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	dir := t.TempDir()
	file := func(name string) Source {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o600))
		return FileSource(p)
	}
	tests := []struct {
		name  string
		field string
		run   func() error
	}{
		{"image bad ext", "ImageExt", func() error {
			_, err := u.UploadImage(context.Background(), file("a.bmp"), ImageMeta{})
			return err
		}},
		{"image bad type", "ImageType", func() error {
			_, err := u.UploadImage(context.Background(), file("a.png"), ImageMeta{ImageType: "poster"})
			return err
		}},
		{"attached unknown business", "BusinessType", func() error {
			_, err := u.UploadAttachedMedia(context.Background(), file("a.png"), AttachedMediaMeta{BusinessType: "poster"})
			return err
		}},
		{"subtitle as png", "MediaExt", func() error {
			_, err := u.UploadAttachedMedia(context.Background(), file("b.png"), AttachedMediaMeta{BusinessType: "subtitle"})
			return err
		}},
		{"too many categories", "CateIDs", func() error {
			_, err := u.UploadAttachedMedia(context.Background(), file("c.srt"), AttachedMediaMeta{BusinessType: "subtitle", CateIDs: []int64{1, 2, 3, 4, 5, 6}})
			return err
		}},
	}
	for _, tt := range tests {
		var ve *ValidationError
		require.ErrorAs(t, tt.run(), &ve, tt.name)
		assert.Equal(t, tt.field, ve.Field, tt.name)
	}
	assert.Empty(t, srv.Counters().Requests, "nothing reached VOD")
}

func TestBandwidthLimitHolds(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv, WithBandwidthLimit(5<<20), WithPartSize(mib))
	path, data := writeFile(t, "limited.mp4", 20*mib)
	start := time.Now()
	res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "limited"})
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)
	// 20 MiB at 5 MiB/s, minus the initial burst: at least 3.5 s. No upper
	// bound: the machine may be slower, never faster.
	assert.GreaterOrEqual(t, time.Since(start), 3500*time.Millisecond)
}

func TestAccelerateSetsUserDataAndKeepsEmulatorEndpoint(t *testing.T) {
	t.Parallel()
	o := UploadOptions{Accelerate: true}
	d := o.accelerated(&UserData{Extend: map[string]string{"k": "v"}})
	require.NotNil(t, d.AccelerateConfig)
	assert.Equal(t, "oss", d.AccelerateConfig.Type)
	assert.Equal(t, "v", d.Extend["k"], "other fields kept")
	custom := &UserData{AccelerateConfig: &AccelerateConfig{Type: "oss", Domain: "https://example.invalid"}}
	assert.Same(t, custom, o.accelerated(custom), "an explicit config wins")
	assert.Nil(t, UploadOptions{}.accelerated(nil))

	// Against the emulator (not an aliyuncs.com endpoint) uploads still work.
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv, WithAccelerate(), WithECSRegion("cn-shanghai"))
	path, data := writeFile(t, "fast.mp4", 1000)
	res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "fast"})
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)
}

// revokingReader is a random-access source that calls revoke whenever the
// engine reads at or past offset. The request carrying those bytes was
// authorized when it arrived, so what revoke does hits the requests after it.
type revokingReader struct {
	*bytes.Reader
	offset int64
	revoke func()
}

func (r *revokingReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.offset {
		r.revoke()
	}
	return r.Reader.ReadAt(p, off)
}

// TestExpiredImageOrAttachedMediaIsRegisteredAgain: VOD cannot renew an
// image or attached media credential, so an upload whose credential dies
// early registers the file again, deletes the abandoned registration and
// starts over, a bounded number of times; one that outlived a whole
// credential lifetime gives up at once.
func TestExpiredImageOrAttachedMediaIsRegisteredAgain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		image         bool
		ttl           time.Duration
		bandwidth     int64
		sabotage      int64 // registrations whose credential is revoked during the second part
		registrations int64
		wantErr       string
	}{
		{name: "revoked once", ttl: time.Minute, sabotage: 1, registrations: 2},
		{name: "image revoked once", image: true, ttl: time.Minute, sabotage: 1, registrations: 2},
		{name: "revoked every time", ttl: time.Minute, sabotage: 100, registrations: maxRegistrations,
			wantErr: "no refresh function"},
		{name: "outlived its lifetime", ttl: time.Second, bandwidth: 1 << 20, registrations: 1,
			wantErr: "longer than the credential's lifetime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newEmulator(t, emulator.Options{STSTTL: tt.ttl, Faults: emulator.Faults{BandwidthBPS: tt.bandwidth}})
			create, del := "CreateUploadAttachedMedia", "DeleteAttachedMedia"
			if tt.image {
				create, del = "CreateUploadImage", "DeleteImage"
			}
			registrations := func() int64 { return srv.Counters().Requests[create] }
			var mu sync.Mutex
			var sabotaged int64
			revokeOncePerRegistration := func() {
				mu.Lock()
				defer mu.Unlock()
				if n := registrations(); n > sabotaged && n <= tt.sabotage {
					sabotaged = n
					srv.ExpireCredentials()
				}
			}
			const partSize = 256 << 10
			data := make([]byte, 6*partSize)
			_, _ = rand.Read(data)
			src := ReaderSource(&revokingReader{bytes.NewReader(data), partSize, revokeOncePerRegistration}, int64(len(data)), "pack.zip")
			u := newUploader(t, srv, WithPartSize(partSize), WithMultipartThreshold(partSize), WithConcurrency(1))
			upload := func() (string, *Result, error) {
				if tt.image {
					res, err := u.UploadImage(t.Context(), src, ImageMeta{ImageExt: "png", Title: "poster"})
					if err != nil {
						return "", nil, err
					}
					return res.ImageID, &res.Result, nil
				}
				res, err := u.UploadAttachedMedia(t.Context(), src, AttachedMediaMeta{BusinessType: "material", Title: "pack"})
				if err != nil {
					return "", nil, err
				}
				return res.MediaID, &res.Result, nil
			}

			id, res, err := upload()

			assert.Equal(t, tt.registrations, registrations())
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrCredentialExpired)
				assert.ErrorContains(t, err, tt.wantErr)
				var ue *UploadError
				require.ErrorAs(t, err, &ue)
				assert.True(t, ue.Deleted)
				assert.False(t, srv.HasMedia(ue.MediaID), "the last registration failed for good: deleted too")
				assert.Equal(t, tt.registrations, srv.Counters().Requests[del], "every registration is deleted")
				return
			}
			assert.Equal(t, tt.registrations-1, srv.Counters().Requests[del],
				"every abandoned registration is deleted")
			require.NoError(t, err)
			requireStored(t, srv, res, data)
			assert.True(t, srv.HasMedia(id))
		})
	}
}
