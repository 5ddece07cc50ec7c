package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

const pageOrigin = "http://localhost:3000"

func preflightHeaders(origin, method string) map[string]string {
	return map[string]string{"Origin": origin, "Access-Control-Request-Method": method,
		"Access-Control-Request-Headers": "authorization,content-type"}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{}, Options{CORSOrigins: []string{pageOrigin, "https://APP.example.com/"}})
	tests := []struct {
		name, method, path string
		headers            map[string]string
		status             int
		allowOrigin        string
		allowMethods       string
	}{
		{"preflight for videos", http.MethodOptions, "/v1/videos", preflightHeaders(pageOrigin, "POST"), 204, pageOrigin, "POST, OPTIONS"},
		{"preflight for refresh", http.MethodOptions, "/v1/videos/0123456789abcdef0123456789abcdef/refresh",
			preflightHeaders(pageOrigin, "POST"), 204, pageOrigin, "POST, OPTIONS"},
		{"origin listed in another case", http.MethodOptions, "/v1/images", preflightHeaders("https://app.example.com", "POST"),
			204, "https://app.example.com", "POST, OPTIONS"},
		{"preflight for healthz", http.MethodOptions, "/healthz", preflightHeaders(pageOrigin, "GET"), 204, pageOrigin, "GET, OPTIONS"},
		{"origin not listed", http.MethodOptions, "/v1/videos", preflightHeaders("https://evil.example", "POST"), 403, "", ""},
		{"other port, other origin", http.MethodOptions, "/v1/videos", preflightHeaders("http://localhost:3001", "POST"), 403, "", ""},
		{"preflight for no endpoint", http.MethodOptions, "/v1/nothing", preflightHeaders(pageOrigin, "POST"), 404, pageOrigin, ""},
		{"plain OPTIONS", http.MethodOptions, "/v1/videos", map[string]string{}, 204, "", ""},
		{"request without token still 401", http.MethodPost, "/v1/videos",
			map[string]string{"Origin": pageOrigin, "Content-Type": "application/json"}, 401, pageOrigin, ""},
		{"request of an unlisted origin is served, unreadable to its page", http.MethodPost, "/v1/videos",
			map[string]string{"Origin": "https://evil.example", "Authorization": "Bearer " + testToken, "Content-Type": "application/json"}, 201, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.method == http.MethodPost {
				body = goodVideo
			}
			r := call(t, h.app.URL, tt.method, tt.path, tt.headers, body)
			require.Equal(t, tt.status, r.status, string(r.body))
			assert.Equal(t, tt.allowOrigin, r.header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, tt.allowMethods, r.header.Get("Access-Control-Allow-Methods"))
			assert.Contains(t, r.header.Values("Vary"), "Origin")
			assert.Empty(t, r.header.Get("Access-Control-Allow-Credentials"), "no cookies: bearer tokens only")
			if tt.allowMethods != "" {
				assert.Equal(t, "Authorization, Content-Type", r.header.Get("Access-Control-Allow-Headers"))
				assert.Equal(t, "600", r.header.Get("Access-Control-Max-Age"))
			}
			if tt.status >= 400 {
				assert.NotEmpty(t, r.errorDetail(t).Code, "failures are JSON")
			}
			if tt.allowOrigin != "" && tt.status != 204 {
				assert.Equal(t, "Retry-After, WWW-Authenticate", r.header.Get("Access-Control-Expose-Headers"))
			}
		})
	}
	assert.Equal(t, int64(1), h.emu.Counters().Requests["CreateUploadVideo"], "preflights create nothing")
}

func TestNoCORSByDefault(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{}, Options{})
	r := call(t, h.app.URL, http.MethodOptions, "/v1/videos", preflightHeaders(pageOrigin, "POST"), "")
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"))
	r = call(t, h.app.URL, http.MethodPost, "/v1/videos", map[string]string{"Origin": pageOrigin,
		"Authorization": "Bearer " + testToken, "Content-Type": "application/json"}, goodVideo)
	assert.Equal(t, http.StatusCreated, r.status)
	assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"))
}
