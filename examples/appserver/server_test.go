package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload"
	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/vodapi"
)

const goodVideo = `{"title":"holiday","file_name":"holiday.mp4","file_size":1048576}`

func TestAuthentication(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{}, Options{})
	tests := []struct {
		name      string
		auth      string // "" sends no Authorization header
		status    int
		challenge string
	}{
		{"missing header", "", http.StatusUnauthorized, `Bearer realm="appserver"`},
		{"wrong token", "Bearer not-the-token-0123456789", http.StatusUnauthorized, `Bearer realm="appserver", error="invalid_token"`},
		{"token prefix", "Bearer " + testToken[:len(testToken)-1], http.StatusUnauthorized, `Bearer realm="appserver", error="invalid_token"`},
		{"wrong scheme", "Basic " + testToken, http.StatusUnauthorized, `Bearer realm="appserver", error="invalid_request"`},
		{"scheme without token", "Bearer", http.StatusUnauthorized, `Bearer realm="appserver", error="invalid_request"`},
		{"scheme is case-insensitive", "bearer " + testToken, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{"Content-Type": "application/json"}
			if tt.auth != "" {
				headers["Authorization"] = tt.auth
			}
			r := call(t, h.app.URL, http.MethodPost, "/v1/videos", headers, goodVideo)
			require.Equal(t, tt.status, r.status, string(r.body))
			if tt.status != http.StatusUnauthorized {
				assert.NotEmpty(t, r.ticket(t).MediaID)
				return
			}
			assert.Equal(t, tt.challenge, r.header.Get("WWW-Authenticate"))
			assert.Equal(t, "Unauthorized", r.errorDetail(t).Code)
		})
	}
	assert.Equal(t, int64(1), h.emu.Counters().Requests["CreateUploadVideo"],
		"only the authenticated request may create a video")
}

func TestRejectsBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{}, Options{})
	jsonAuth := map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "application/json"}
	tests := []struct {
		name        string
		path        string
		headers     map[string]string
		body        string
		status      int
		code, field string
		message     string // substring
	}{
		{"malformed JSON", "/v1/videos", jsonAuth, `{"title":`, 400, "MalformedRequest", "", "body ends early"},
		{"syntax error", "/v1/videos", jsonAuth, `{"title" "x"}`, 400, "MalformedRequest", "", "malformed JSON at byte"},
		{"unknown field", "/v1/videos", jsonAuth, `{"titel":"x","file_name":"a.mp4"}`, 400, "MalformedRequest", "", `unknown field "titel"`},
		{"two objects", "/v1/videos", jsonAuth, goodVideo + goodVideo, 400, "MalformedRequest", "", "single JSON object"},
		{"empty body", "/v1/videos", jsonAuth, ``, 400, "MalformedRequest", "", "empty"},
		{"array", "/v1/videos", jsonAuth, `[]`, 400, "MalformedRequest", "", "must be a JSON object"},
		{"wrong type", "/v1/videos", jsonAuth, `{"title":"x","file_name":"a.mp4","file_size":"big"}`, 400, "MalformedRequest", "", `"file_size" must be a number`},
		{"size overflows", "/v1/videos", jsonAuth, `{"title":"x","file_name":"a.mp4","file_size":1e30}`, 400, "MalformedRequest", "", "whole number"},
		{"oversized body", "/v1/videos", jsonAuth, `{"title":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "RequestEntityTooLarge", "", "65536 bytes"},
		{"text/plain", "/v1/videos", map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "text/plain"}, goodVideo, 415, "UnsupportedMediaType", "", "application/json"},
		{"no content type", "/v1/videos", map[string]string{"Authorization": "Bearer " + testToken}, goodVideo, 415, "UnsupportedMediaType", "", "application/json"},
		{"title of 129 bytes", "/v1/videos", jsonAuth, `{"title":"` + strings.Repeat("t", 129) + `","file_name":"a.mp4"}`, 400, "InvalidParameter", "title", "invalid title: at most 128 bytes"},
		{"title missing", "/v1/videos", jsonAuth, `{"file_name":"a.mp4"}`, 400, "InvalidParameter", "title", "invalid title"},
		{"unsupported extension", "/v1/videos", jsonAuth, `{"title":"x","file_name":"a.exe"}`, 400, "InvalidParameter", "file_name", "invalid file_name"},
		{"negative size", "/v1/videos", jsonAuth, `{"title":"x","file_name":"a.mp4","file_size":-1}`, 400, "InvalidParameter", "file_size", "invalid file_size"},
		{"17 tags", "/v1/videos", jsonAuth, `{"title":"x","file_name":"a.mp4","tags":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}`, 400, "InvalidParameter", "tags", "invalid tags"},
		{"malformed video id", "/v1/videos/a.b/refresh", jsonAuth, `{"refresh_token":"x"}`, 400, "InvalidParameter", "id", "invalid id"},
		{"image ext", "/v1/images", jsonAuth, `{"image_ext":"bmp"}`, 400, "InvalidParameter", "image_ext", "invalid image_ext"},
		{"subtitle as png", "/v1/attached-media", jsonAuth, `{"business_type":"subtitle","media_ext":"png","file_name":"a.png"}`, 400, "InvalidParameter", "media_ext", "invalid media_ext"},
		{"long fourth tag", "/v1/videos", jsonAuth, `{"title":"x","file_name":"a.mp4","tags":["a","b","c","` + strings.Repeat("t", 33) + `"]}`, 400, "InvalidParameter", "tags[3]", "invalid tags[3]"},
		{"negative category", "/v1/attached-media", jsonAuth, `{"business_type":"material","file_name":"a.zip","cate_ids":[1,-2]}`, 400, "InvalidParameter", "cate_ids[1]", "invalid cate_ids[1]: not negative"},
		{"no refresh token", "/v1/videos/0123456789abcdef0123456789abcdef/refresh", jsonAuth, `{}`, 400, "InvalidParameter", "refresh_token", "required"},
		{"refresh without body", "/v1/videos/0123456789abcdef0123456789abcdef/refresh", jsonAuth, ``, 400, "MalformedRequest", "", "empty"},
		{"six categories", "/v1/attached-media", jsonAuth, `{"business_type":"material","file_name":"a.zip","cate_ids":[1,2,3,4,5,6]}`, 400, "InvalidParameter", "cate_ids", "invalid cate_ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, h.app.URL, http.MethodPost, tt.path, tt.headers, tt.body)
			require.Equal(t, tt.status, r.status, string(r.body))
			d := r.errorDetail(t)
			assert.Equal(t, tt.code, d.Code)
			assert.Equal(t, tt.field, d.Field)
			assert.Contains(t, d.Message, tt.message)
			assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
		})
	}
	c := h.emu.Counters()
	assert.Zero(t, c.Requests["CreateUploadVideo"]+c.Requests["CreateUploadImage"]+c.Requests["CreateUploadAttachedMedia"],
		"invalid requests must not create media")
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	const burst = 3
	h := newHarness(t, emulator.Options{}, Options{Clients: clients(testToken, otherToken), Rate: 0.01, Burst: burst})
	for i := range burst {
		require.Equal(t, http.StatusCreated, h.post(t, "/v1/videos", goodVideo).status, "request %d", i+1)
	}
	r := h.post(t, "/v1/videos", goodVideo)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "Throttling", r.errorDetail(t).Code)
	assert.Equal(t, "100", r.header.Get("Retry-After"), "one token per 100 s")

	other := map[string]string{"Authorization": "Bearer " + otherToken, "Content-Type": "application/json"}
	assert.Equal(t, http.StatusCreated, call(t, h.app.URL, http.MethodPost, "/v1/videos", other, goodVideo).status,
		"another client keeps its own budget")

	// Guessing tokens spends the guesser's (IP-keyed) budget.
	guess := map[string]string{"Authorization": "Bearer guess-0123456789abcdef", "Content-Type": "application/json"}
	statuses := make([]int, 0, burst+1)
	for range burst + 1 {
		statuses = append(statuses, call(t, h.app.URL, http.MethodPost, "/v1/videos", guess, goodVideo).status)
	}
	assert.Equal(t, []int{401, 401, 401, 429}, statuses)
	assert.Equal(t, http.StatusOK, call(t, h.app.URL, http.MethodGet, "/healthz", map[string]string{}, "").status,
		"health checks are not limited")
	assert.Equal(t, int64(burst+1), h.emu.Counters().Requests["CreateUploadVideo"])
}

func TestIssueImageAndAttachedMedia(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{}, Options{})
	tests := []struct {
		name, path, body string
		kind             vodupload.MediaKind
		ext              string
	}{
		{"cover image", "/v1/images", `{"image_type":"cover","image_ext":"jpg","title":"poster","tags":["a"]}`,
			vodupload.KindImage, ".jpg"},
		{"subtitle", "/v1/attached-media", `{"business_type":"subtitle","file_name":"en.vtt","file_size":42,"title":"English","cate_ids":[7]}`,
			vodupload.KindAttachedMedia, ".vtt"},
		{"watermark", "/v1/attached-media", `{"business_type":"watermark","media_ext":"png","file_name":"logo.png"}`,
			vodupload.KindAttachedMedia, ".png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := h.post(t, tt.path, tt.body)
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
			tr := r.ticket(t)
			assert.Equal(t, tt.kind, tr.Kind)
			assert.NotEmpty(t, tr.MediaID)
			assert.NotEmpty(t, tr.MediaURL)
			assert.Empty(t, tr.RefreshToken, "no refresh API for this kind")
			addr, err := vodapi.DecodeAddress(tr.UploadAddress)
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(addr.FileName, tt.ext), addr.FileName)
			_, err = vodapi.DecodeAuth(string(tr.UploadAuth), time.Now())
			require.NoError(t, err, "the client gets a usable credential")
			uploadSmall(t, h, tr)
		})
	}
}

// uploadSmall proves a ticket works: a client uploads with it alone.
func uploadSmall(t *testing.T, h *harness, tr issued) {
	t.Helper()
	data := []byte(fmt.Sprintf("payload for %s", tr.MediaID))
	res := uploadWithTicket(t, tr.uploadTicket(), data, nil)
	got, err := h.emu.Object(res.Bucket, res.ObjectKey)
	require.NoError(t, err)
	assert.Equal(t, data, got)
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{}, Options{})
	r := call(t, h.app.URL, http.MethodGet, "/healthz", map[string]string{}, "")
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"status":"ok"}`, string(r.body))
}

// TestEveryFailureIsJSON: paths and methods the API does not have answer
// in the API's error shape, not net/http's plain text.
func TestEveryFailureIsJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{}, Options{})
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{http.MethodGet, "/v1/videos", 405, "MethodNotAllowed", "POST, OPTIONS"},
		{http.MethodDelete, "/v1/videos/0123456789abcdef0123456789abcdef/refresh", 405, "MethodNotAllowed", "POST, OPTIONS"},
		{http.MethodPost, "/healthz", 405, "MethodNotAllowed", "GET, OPTIONS"},
		{http.MethodGet, "/", 404, "NotFound", ""},
		{http.MethodPost, "/v1/video", 404, "NotFound", ""},
		{http.MethodGet, "/v1/videos/x/y", 404, "NotFound", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := call(t, h.app.URL, tt.method, tt.path, nil, "")
			require.Equal(t, tt.status, r.status, string(r.body))
			assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
			assert.Equal(t, tt.code, r.errorDetail(t).Code)
			assert.Equal(t, tt.allow, r.header.Get("Allow"))
		})
	}
}
