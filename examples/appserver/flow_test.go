package main

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload"
	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// uploadWithTicket uploads data as a client holding no AccessKey would.
func uploadWithTicket(t *testing.T, tk *vodupload.UploadTicket, data []byte, refresh vodupload.TicketRefresher,
	opts ...vodupload.Option) *vodupload.Result {
	t.Helper()
	client, err := vodupload.New(opts...)
	require.NoError(t, err)
	src := vodupload.ReaderSource(bytes.NewReader(data), int64(len(data)), "")
	res, err := client.UploadWithTicket(t.Context(), src, tk, refresh)
	require.NoError(t, err)
	return res
}

// TestClientFlow is the whole client-upload flow over HTTP: the client
// gets a ticket from the AppServer, uploads to OSS with it, and renews it
// through the AppServer when it nears expiry (credentials last 1.5 s
// here; the upload takes about 2 s at 1 MiB/s per connection).
func TestClientFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{STSTTL: 1500 * time.Millisecond, Faults: emulator.Faults{BandwidthBPS: 1 << 20}},
		Options{})
	data := make([]byte, 4<<20)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(data)

	c := appClient{base: h.app.URL, token: testToken}
	first, err := c.ticket(t.Context(), "/v1/videos", map[string]any{
		"title": "client flow", "file_name": "flow.mp4", "file_size": len(data), "tags": []string{"e2e"},
		"user_data": map[string]any{"extend": map[string]string{"user": "42"}},
	})
	require.NoError(t, err)
	require.NotEmpty(t, first.MediaID)
	tk := first.uploadTicket()

	var (
		mu      sync.Mutex
		tickets = []*vodupload.UploadTicket{tk}
	)
	refresh := c.refresher(first, func(fresh issued) {
		mu.Lock()
		tickets = append(tickets, fresh.uploadTicket())
		mu.Unlock()
	})
	res := uploadWithTicket(t, tk, data, refresh,
		vodupload.WithPartSize(256<<10), vodupload.WithMultipartThreshold(256<<10), vodupload.WithConcurrency(2))

	assert.Equal(t, tk.MediaID, res.MediaID, "the VideoId survives refreshes")
	assert.Equal(t, int64(len(data)), res.Bytes)
	assert.Equal(t, 16, res.Parts)
	got, err := h.emu.Object(res.Bucket, res.ObjectKey)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "uploaded bytes differ")
	mu.Lock()
	refreshes := len(tickets) - 1
	mu.Unlock()
	assert.GreaterOrEqual(t, refreshes, 1, "the refresh path must run")
	assert.Equal(t, refreshes, res.Refreshes)
	assert.Equal(t, int64(refreshes), h.emu.Counters().Refreshes)
	t.Logf("4 MiB in %s, %d parts, %d refreshes through the AppServer", res.Duration.Round(time.Millisecond), res.Parts, refreshes)

	h.app.Close() // waits for handlers, so every access log line is written
	assertLogsClean(t, h, tickets)
	assertAccessLogged(t, h.logs.lines(t), "POST /v1/videos/{id}/refresh", http.StatusOK, tk.MediaID)
}

// assertLogsClean checks that no bearer token and no part of any issued
// credential reached the logs, the AppServer's or the SDK's.
func assertLogsClean(t *testing.T, h *harness, tickets []*vodupload.UploadTicket) {
	t.Helper()
	logs := h.logs.String()
	require.NotEmpty(t, logs)
	secrets := map[string]string{"bearer token": testToken, "other token": otherToken, "root secret": h.emu.AccessKeySecret}
	for _, tk := range tickets {
		auth, err := vodapi.DecodeAuth(tk.UploadAuth, time.Now())
		require.NoError(t, err)
		secrets["UploadAuth of "+tk.MediaID] = tk.UploadAuth
		secrets["AccessKeySecret"] = auth.AccessKeySecret.Reveal()
		secrets["SecurityToken"] = auth.SecurityToken.Reveal()
	}
	for what, s := range secrets {
		require.NotEmpty(t, s, what)
		assert.False(t, strings.Contains(logs, s), "logs contain the %s", what)
	}
}

func assertAccessLogged(t *testing.T, lines []map[string]any, pattern string, status int, videoID string) {
	t.Helper()
	for _, l := range lines {
		if l["msg"] == "request" && l["pattern"] == pattern && l["status"] == float64(status) {
			assert.Equal(t, videoID, l["video_id"])
			assert.Equal(t, http.MethodPost, l["method"])
			assert.Regexp(t, `^token:[0-9a-f]{12}$`, l["client"])
			assert.Contains(t, l, "duration_ms")
			return
		}
	}
	t.Errorf("no access log line for %s %d in %v", pattern, status, lines)
}

// TestLogsHoldNoSecrets drives every endpoint, successes and failures,
// and checks the logs for tokens and credentials.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{}, Options{})
	var tickets []*vodupload.UploadTicket
	var refreshToken string
	for _, req := range []struct{ path, body string }{
		{"/v1/videos", goodVideo},
		{"/v1/images", `{"image_ext":"png","title":"a"}`},
		{"/v1/attached-media", `{"business_type":"material","file_name":"m.zip"}`},
	} {
		r := h.post(t, req.path, req.body)
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		tickets = append(tickets, r.ticket(t).uploadTicket())
		if refreshToken == "" {
			refreshToken = r.ticket(t).RefreshToken
		}
	}
	r := h.post(t, "/v1/videos/"+tickets[0].MediaID+"/refresh", `{"refresh_token":"`+refreshToken+`"}`)
	require.Equal(t, http.StatusOK, r.status)
	tickets = append(tickets, r.ticket(t).uploadTicket())
	refreshToken = r.ticket(t).RefreshToken
	call(t, h.app.URL, http.MethodPost, "/v1/videos",
		map[string]string{"Authorization": "Bearer " + otherToken, "Content-Type": "application/json"}, goodVideo)
	h.post(t, "/v1/videos/ffffffffffffffffffffffffffffffff/refresh", `{"refresh_token":"r1.1.forged"}`)
	h.emu.DeleteMedia(tickets[0].MediaID) // the owner's refresh now reaches VOD, which answers NotFound
	gone := h.post(t, "/v1/videos/"+tickets[0].MediaID+"/refresh", `{"refresh_token":"`+refreshToken+`"}`)
	require.Equal(t, http.StatusNotFound, gone.status, string(gone.body))

	h.app.Close()
	assertLogsClean(t, h, tickets)
	assert.NotContains(t, h.logs.String(), refreshToken, "logs contain a refresh token")
	lines := h.logs.lines(t)
	assertAccessLogged(t, lines, "POST /v1/videos", http.StatusCreated, tickets[0].MediaID)
	var sawUnauthorized, sawNotFound bool
	for _, l := range lines {
		sawUnauthorized = sawUnauthorized || (l["status"] == float64(401) && strings.HasPrefix(l["client"].(string), "ip:"))
		sawNotFound = sawNotFound || (l["status"] == float64(404) && l["error_code"] == "InvalidVideo.NotFound" && l["vod_request_id"] != nil)
	}
	assert.True(t, sawUnauthorized, "a refused token is logged by IP, not by a hash of the guess")
	assert.True(t, sawNotFound, "VOD's error code and RequestId reach the log")
}
