package vodupload

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// Regression tests for what the library sent VOD against its API
// reference: each would fail against real VOD (the emulator answers as it
// does) or turned away media VOD accepts.

// VOD's CreateUploadImage requires ImageType; a zero ImageMeta used to send
// none and fail with MissingImageType on real VOD.
func TestImageWithoutTypeIsSentAsDefault(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)

	path, data := writeFile(t, "photo.jpg", 4000)
	img, err := u.UploadImage(context.Background(), FileSource(path), ImageMeta{})
	require.NoError(t, err)
	requireStored(t, srv, &img.Result, data)
	assert.True(t, strings.HasPrefix(img.ObjectKey, "image/default/"), img.ObjectKey)

	ticket, err := u.CreateImageUpload(context.Background(), ImageMeta{ImageExt: "png"})
	require.NoError(t, err)
	addr, err := vodapi.DecodeAddress(ticket.UploadAddress)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(addr.FileName, "image/default/"), addr.FileName)
}

// Media and metadata VOD's reference accepts that the library refused.
func TestReferenceAcceptedMetadata(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	ctx := context.Background()

	// CreateUploadImage's ImageExt lists heic and webp (zh-CN API
	// reference, 2026-01).
	for _, name := range []string{"photo.heic", "photo.WEBP"} {
		path, data := writeFile(t, name, 2000)
		img, err := u.UploadImage(ctx, FileSource(path), ImageMeta{ImageType: "cover"})
		require.NoError(t, err, name)
		requireStored(t, srv, &img.Result, data)
		assert.True(t, strings.HasSuffix(img.ObjectKey, "."+strings.ToLower(strings.TrimPrefix(name, "photo."))), img.ObjectKey)
	}

	// Material attached media may be an apk.
	path, data := writeFile(t, "app.apk", 2000)
	att, err := u.UploadAttachedMedia(ctx, FileSource(path), AttachedMediaMeta{BusinessType: "material"})
	require.NoError(t, err)
	requireStored(t, srv, &att.Result, data)

	// Tags count characters: 20 Chinese characters are 60 bytes. Line
	// breaks, CRLF included, are legal in a description. VOD sets no
	// length for CoverURL, nor for UserData as a whole.
	path, data = writeFile(t, "clip.mp4", 2000)
	video, err := u.UploadVideo(ctx, FileSource(path), VideoMeta{
		Title: "clip", Tags: []string{strings.Repeat("标", 20)}, Description: "line one\r\nline two",
		CoverURL: "https://img.example.com/" + strings.Repeat("c", 1100) + ".jpg",
		UserData: &UserData{MessageCallback: &MessageCallback{CallbackURL: "https://cb.example.com/" + strings.Repeat("p", 1100)}},
	})
	require.NoError(t, err)
	requireStored(t, srv, &video.Result, data)

	// ImageExt and MediaExt are optional for VOD: a ticket without them is
	// registered (png is VOD's default for images).
	ticket, err := u.CreateImageUpload(ctx, ImageMeta{})
	require.NoError(t, err)
	addr, err := vodapi.DecodeAddress(ticket.UploadAddress)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(addr.FileName, ".png"), addr.FileName)
	_, err = u.CreateAttachedMediaUpload(ctx, AttachedMediaMeta{BusinessType: "subtitle", MediaExt: "vtt"}, 100)
	require.NoError(t, err, "FileName is optional when MediaExt is set")
}

// Metadata VOD refuses is refused before any request, with the field named.
func TestReferenceRefusedMetadata(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	ctx := context.Background()
	path, _ := writeFile(t, "a.png", 100)
	tests := []struct {
		name, field string
		run         func() error
	}{
		{"watermark is no image type", "ImageType", func() error {
			_, err := u.UploadImage(ctx, FileSource(path), ImageMeta{ImageType: "watermark"})
			return err
		}},
		{"emoji in a title", "Title", func() error {
			_, err := u.CreateVideoUpload(ctx, VideoMeta{Title: "party \U0001F389", FileName: "a.mp4"}, 0)
			return err
		}},
		{"emoji in a tag", "Tags[0]", func() error {
			_, err := u.CreateImageUpload(ctx, ImageMeta{Tags: []string{"\U0001F600"}})
			return err
		}},
		{"tag of 33 characters", "Tags[0]", func() error {
			_, err := u.CreateVideoUpload(ctx, VideoMeta{Title: "t", FileName: "a.mp4", Tags: []string{strings.Repeat("标", 33)}}, 0)
			return err
		}},
		{"Extend over 512 bytes", "UserData.Extend", func() error {
			_, err := u.CreateVideoUpload(ctx, VideoMeta{Title: "t", FileName: "a.mp4",
				UserData: &UserData{Extend: map[string]string{"k": strings.Repeat("v", 600)}}}, 0)
			return err
		}},
		{"pull URL without extension", "items[0].FileName", func() error {
			_, err := u.SubmitPull(ctx, []PullItem{{URL: "https://example.invalid/stream?id=7", Meta: VideoMeta{Title: "t"}}})
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

// An UploadMetadata entry needs a Title (UploadMediaByURL reference); the
// library sends an entry for the extension of a URL without one, and used
// to send it without a Title.
func TestPullWithoutTitleOrURLExtension(t *testing.T) {
	t.Parallel()
	_, data := writeFile(t, "remote.mp4", 4000)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(data)
	}))
	t.Cleanup(web.Close)
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	jobs, err := u.PullFromURL(ctx, PullItem{URL: web.URL + "/stream?id=7", Meta: VideoMeta{FileName: "clip.mp4", CateID: 7}})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.True(t, jobs[0].Succeeded)
	info, err := u.vod.GetVideoInfo(ctx, jobs[0].VideoID)
	require.NoError(t, err)
	assert.Equal(t, "stream", info.Title, "the URL's file name stands in for the title")
	assert.EqualValues(t, 7, info.CateID)
	assert.EqualValues(t, len(data), jobs[0].FileSize)
}
