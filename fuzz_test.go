package vodupload

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// Hostile input and hostile answers: metadata fuzzed through the public
// API, answers that arrive broken, and services that say no for good.

// parameterCodes are VOD's answers to metadata it refuses.
var parameterCodes = map[string]bool{
	"LengthExceededMax": true, "TagsExceededMax": true, "InvalidFileName.Extension": true,
	"MissingParameter": true, "InvalidParameter": true, "IllegalCharacters": true,
}

// knownDivergence says whether VOD (as the emulator reads it) may refuse
// metadata the client accepts: the emulator reads a FileName containing
// "://" as a URL, dropping its query.
func knownDivergence(code, fileName string) bool {
	return code == "InvalidFileName.Extension" && strings.Contains(fileName, "://")
}

// FuzzMetadataValidation registers media with fuzzed metadata. The
// client either refuses it with a *ValidationError before any request,
// or VOD (the emulator) accepts it: the client never lets through what
// VOD refuses, and never panics.
func FuzzMetadataValidation(f *testing.F) {
	f.Add(uint8(0), "My video", "movie.mp4", "", "a\x1fb", int64(0))
	f.Add(uint8(0), strings.Repeat("视", 42), "MOVIE.MP4", strings.Repeat("d", 1024), strings.Repeat("t\x1f", 15)+"t", int64(7))
	f.Add(uint8(0), "", "movie.mp4", "", "", int64(0))
	f.Add(uint8(0), "t", "movie.exe", "", "", int64(-1))
	f.Add(uint8(0), "t", "movie.mp4", "", "a,b", int64(0))
	f.Add(uint8(0), "t", "dir/movie.mkv", "line\nbreak", " spaced ", int64(1))
	f.Add(uint8(1), "cover", "png", "", "", int64(0))
	f.Add(uint8(1), "", "JPEG", "", "", int64(0))
	f.Add(uint8(1), "t", "bmp", "", "", int64(0))
	f.Add(uint8(2), "sub", "a.vtt", "", "", int64(0))
	f.Add(uint8(3), "mark", "a.mov", "", "x", int64(0))
	f.Add(uint8(4), "zip", "a.exe", "", "", int64(0))
	srv, err := emulator.New(emulator.Options{})
	require.NoError(f, err)
	f.Cleanup(srv.Close)
	u, err := New(WithEndpoint(srv.URL), WithCredentials(StaticCredentials(srv.AccessKeyID, srv.AccessKeySecret)))
	require.NoError(f, err)
	f.Cleanup(u.vod.(*vodapi.Client).Close)

	f.Fuzz(func(t *testing.T, kind uint8, title, name, description, tags string, cateID int64) {
		var tagList []string
		if tags != "" {
			tagList = strings.Split(tags, "\x1f")
		}
		before := totalRequests(srv)
		err := register(t.Context(), u, kind, title, name, description, tagList, cateID)
		var ve *ValidationError
		var ae *APIError
		switch {
		case errors.As(err, &ve):
			if after := totalRequests(srv); after != before {
				t.Fatalf("a request reached VOD despite %v", err)
			}
			if ve.Field == "" || ve.Rule == "" {
				t.Fatalf("validation error without field or rule: %#v", ve)
			}
		case errors.As(err, &ae) && ae.Service == ServiceVOD && parameterCodes[ae.Code] && !knownDivergence(ae.Code, name):
			t.Fatalf("the client let through metadata VOD refuses: %v", err)
		}
	})
}

// register creates a video, image or attached media upload from the
// fuzzed fields.
func register(ctx context.Context, u *Uploader, kind uint8, title, name, description string, tags []string, cateID int64) error {
	var err error
	switch kind % 5 {
	case 0:
		_, err = u.CreateVideoUpload(ctx, VideoMeta{Title: title, FileName: name, Description: description,
			Tags: tags, CateID: cateID, UserData: &UserData{Extend: map[string]string{"k": title}}}, 1000)
	case 1:
		_, err = u.CreateImageUpload(ctx, ImageMeta{Title: title, ImageExt: name, Description: description, Tags: tags, CateID: cateID})
	default:
		business := []string{"subtitle", "watermark", "material"}[kind%5-2]
		_, err = u.CreateAttachedMediaUpload(ctx, AttachedMediaMeta{BusinessType: business, Title: title, FileName: name,
			Description: description, Tags: tags, CateIDs: []int64{cateID}}, 1000)
	}
	return err
}

func totalRequests(srv *emulator.Server) int64 {
	var n int64
	for _, v := range srv.Counters().Requests {
		n += v
	}
	return n
}

func TestMalformedAnswersNeverPassForSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind emulator.Malformation
		op   string // "" for every operation
		// wantOK: the answer was garbled after the operation ran, and the
		// client proved the object intact another way (HeadObject).
		wantOK bool
	}{
		{emulator.MalformedTruncatedError, "PutObject", false},
		{emulator.MalformedTruncatedError, "UploadPart", false},
		{emulator.MalformedTruncatedError, "CompleteMultipartUpload", false},
		{emulator.MalformedWrongCRC, "PutObject", false},
		{emulator.MalformedWrongCRC, "UploadPart", false},
		{emulator.MalformedWrongCRC, "CompleteMultipartUpload", true},
		{emulator.MalformedWrongCRC, "", false},
		{emulator.MalformedErrorBody200, "PutObject", false},
		{emulator.MalformedErrorBody200, "InitiateMultipartUpload", false},
		{emulator.MalformedErrorBody200, "UploadPart", false},
		{emulator.MalformedErrorBody200, "CompleteMultipartUpload", false},
		// 11 MiB of header per answer is slow to write and read: one write
		// and the Complete stand for the rest.
		{emulator.MalformedHugeHeader, "PutObject", false},
		{emulator.MalformedHugeHeader, "CompleteMultipartUpload", true},
	}
	for _, tt := range tests {
		srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{Malformed: 1, MalformedKind: tt.kind, MalformedOp: tt.op}})
		u := newUploader(t, srv, WithPartSize(128<<10), WithMultipartThreshold(128<<10), WithConcurrency(2),
			WithRetry(2, time.Millisecond, 2*time.Millisecond))
		size := 300 << 10 // three parts
		if tt.op == "PutObject" {
			size = 100 << 10
		}
		path, data := writeFile(t, "malformed.mp4", size)
		name := tt.kind.String() + " on " + tt.op

		res, err := u.UploadVideo(t.Context(), FileSource(path), VideoMeta{Title: "malformed"})

		assert.Positive(t, srv.Counters().Faults["malformed"], name)
		if tt.wantOK {
			if assert.NoError(t, err, name) {
				requireStored(t, srv, &res.Result, data)
			}
			continue
		}
		var ue *UploadError
		if assert.ErrorAs(t, err, &ue, "%s must fail", name) {
			assert.NotEmpty(t, ue.MediaID, name)
		}
	}
}

func TestPermanentFaultsFailFastWithTypedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		service Service
		code    string
		// spoil turns a good ticket into one the services refuse for good.
		spoil func(t *testing.T, srv *emulator.Server, ticket *UploadTicket)
	}{
		{"credential does not cover the key", ServiceOSS, "AccessDenied", func(t *testing.T, _ *emulator.Server, tk *UploadTicket) {
			tk.UploadAddress = retargetAddress(t, tk.UploadAddress, "", "sv/elsewhere/x.mp4")
		}},
		{"bucket does not exist", ServiceOSS, "NoSuchBucket", func(t *testing.T, _ *emulator.Server, tk *UploadTicket) {
			tk.UploadAddress = retargetAddress(t, tk.UploadAddress, "outin-gone", "")
		}},
		{"video deleted, credential expired", ServiceVOD, "InvalidVideo.NotFound", func(_ *testing.T, srv *emulator.Server, tk *UploadTicket) {
			srv.DeleteMedia(tk.MediaID)
			srv.ExpireCredentials()
		}},
	}
	for _, tt := range tests {
		for _, size := range []int{100 << 10, mib} {
			srv := newEmulator(t, emulator.Options{})
			u := newUploader(t, srv, WithPartSize(256<<10), WithMultipartThreshold(256<<10))
			path, _ := writeFile(t, "permanent.mp4", size)
			ticket, err := u.CreateVideoUpload(t.Context(), VideoMeta{Title: "doomed", FileName: "p.mp4"}, int64(size))
			require.NoError(t, err)
			tt.spoil(t, srv, ticket)
			refresh := func(ctx context.Context) (*UploadTicket, error) { return u.RefreshVideoUpload(ctx, ticket.MediaID) }

			start := time.Now()
			_, err = u.UploadWithTicket(t.Context(), FileSource(path), ticket, refresh)
			took := time.Since(start)

			name := tt.name
			c := srv.Counters()
			assert.Less(t, took, time.Second, "%s: fails fast", name)
			assert.True(t, hasAPIError(err, tt.service, tt.code), "%s: want %s %s in %v", name, tt.service, tt.code, err)
			var ue *UploadError
			assert.ErrorAs(t, err, &ue, name)
			assert.LessOrEqual(t, c.Requests["PutObject"]+c.Requests["InitiateMultipartUpload"], int64(1), "%s: never retried", name)
			assert.Zero(t, c.Requests["UploadPart"], "%s: no part sent", name)
			assert.LessOrEqual(t, c.Requests["RefreshUploadVideo"], int64(1), "%s: refresh not retried", name)
		}
	}
}

// hasAPIError reports whether any error in err's tree is an *APIError of
// service with code. errors.As stops at the first one, which for a
// failed refresh is OSS's SecurityTokenExpired, not VOD's reason.
func hasAPIError(err error, service Service, code string) bool {
	if ae, ok := err.(*APIError); ok && ae.Service == service && ae.Code == code {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return hasAPIError(u.Unwrap(), service, code)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if hasAPIError(e, service, code) {
				return true
			}
		}
	}
	return false
}
