package main

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// clock is a settable Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
}

func refreshBody(token string) string { return `{"refresh_token":"` + string(token) + `"}` }

// TestRefreshIsBoundToItsCreator: only the client that created a video
// renews it, only with the refresh token of its ticket, only while the
// upload is not complete; every other refusal is the same answer as for
// a video that does not exist.
func TestRefreshIsBoundToItsCreator(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Now()}
	h := newHarness(t, emulator.Options{}, Options{Clients: clients(testToken, otherToken), Now: clk.Now, RefreshTTL: time.Hour})
	a, b := bearer(testToken), bearer(otherToken)
	created := call(t, h.app.URL, http.MethodPost, "/v1/videos", a, goodVideo)
	require.Equal(t, http.StatusCreated, created.status, string(created.body))
	ticketA := created.ticket(t)
	require.NotEmpty(t, ticketA.RefreshToken)
	createdB := call(t, h.app.URL, http.MethodPost, "/v1/videos", b, goodVideo)
	require.Equal(t, http.StatusCreated, createdB.status)
	ticketB := createdB.ticket(t)
	pathA := "/v1/videos/" + ticketA.MediaID + "/refresh"

	// The creator renews: same object, new credential, new refresh token.
	r := call(t, h.app.URL, http.MethodPost, pathA, a, refreshBody(ticketA.RefreshToken))
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	fresh := r.ticket(t)
	assert.Equal(t, ticketA.MediaID, fresh.MediaID)
	assert.Equal(t, ticketA.UploadAddress, fresh.UploadAddress, "a refresh keeps the object")
	assert.NotEqual(t, ticketA.UploadAuth, fresh.UploadAuth, "a refresh issues a new credential")
	assert.NotEmpty(t, fresh.RefreshToken)
	assert.WithinDuration(t, time.Now().Add(emulator.DefaultSTSTTL), fresh.Expires, time.Minute)

	vodCalls := func() int64 {
		c := h.emu.Counters()
		return c.Requests["GetVideoInfo"] + c.Requests["RefreshUploadVideo"]
	}
	before := vodCalls()
	tampered := []byte(ticketA.RefreshToken)
	tampered[len(tampered)-2] ^= 1
	unknownID := "0123456789abcdef0123456789abcdef"
	refusals := []struct {
		name, path string
		headers    map[string]string
		token      string
	}{
		{"B presents A's refresh token", pathA, b, ticketA.RefreshToken},
		{"B presents its own token for A's video", pathA, b, ticketB.RefreshToken},
		{"A presents B's video's token", pathA, a, ticketB.RefreshToken},
		{"forged MAC", pathA, a, string(tampered)},
		{"forged expiry", pathA, a, "r1.99999999999." + strings.SplitN(ticketA.RefreshToken, ".", 3)[2]},
		{"not a token", pathA, a, "hello"},
		{"no such video", "/v1/videos/" + unknownID + "/refresh", a, ticketA.RefreshToken},
	}
	var bodies []string
	for _, tt := range refusals {
		r := call(t, h.app.URL, http.MethodPost, tt.path, tt.headers, refreshBody(tt.token))
		assert.Equal(t, http.StatusNotFound, r.status, tt.name)
		assert.Equal(t, "InvalidVideo.NotFound", r.errorDetail(t).Code, tt.name)
		bodies = append(bodies, string(r.body))
	}
	clk.advance(time.Hour + time.Second)
	expired := call(t, h.app.URL, http.MethodPost, pathA, a, refreshBody(fresh.RefreshToken))
	assert.Equal(t, http.StatusNotFound, expired.status, "expired refresh token")
	bodies = append(bodies, string(expired.body))
	for i, body := range bodies {
		assert.Equal(t, bodies[0], body, "refusal %d differs from the first: the answer must not tell why", i)
	}
	assert.NotContains(t, bodies[0], "request_id", "no VOD RequestId: VOD was not asked")
	assert.Equal(t, before, vodCalls(), "refused refreshes never reach VOD")

	// A video VOD no longer has answers the same, even to its creator.
	h.emu.DeleteMedia(ticketB.MediaID)
	gone := call(t, h.app.URL, http.MethodPost, "/v1/videos/"+ticketB.MediaID+"/refresh", b, refreshBody(ticketB.RefreshToken))
	assert.Equal(t, http.StatusNotFound, gone.status)
	assert.Equal(t, bodies[0], string(gone.body), "a deleted video looks like any refusal")
}

// TestRefreshRefusedOnceUploaded: after the upload completes, not even the
// creator renews the credential (it could overwrite the published file).
func TestRefreshRefusedOnceUploaded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{}, Options{Clients: clients(testToken, otherToken)})
	c := appClient{base: h.app.URL, token: testToken}
	tr, err := c.ticket(t.Context(), "/v1/videos", map[string]any{"title": "done", "file_name": "done.mp4"})
	require.NoError(t, err)
	data := []byte("a whole, small video")
	res := uploadWithTicket(t, tr.uploadTicket(), data, nil)
	got, err := h.emu.Object(res.Bucket, res.ObjectKey)
	require.NoError(t, err)
	require.Equal(t, data, got)

	refreshesBefore := h.emu.Counters().Refreshes
	r := h.post(t, "/v1/videos/"+tr.MediaID+"/refresh", refreshBody(tr.RefreshToken))
	require.Equal(t, http.StatusConflict, r.status, string(r.body))
	assert.Equal(t, "UploadComplete", r.errorDetail(t).Code)
	assert.Equal(t, refreshesBefore, h.emu.Counters().Refreshes, "no credential issued")

	// Only the creator learns that the upload is complete: to anyone else
	// the video does not exist.
	other := call(t, h.app.URL, http.MethodPost, "/v1/videos/"+tr.MediaID+"/refresh", bearer(otherToken), refreshBody(tr.RefreshToken))
	assert.Equal(t, http.StatusNotFound, other.status)
	assert.Equal(t, "InvalidVideo.NotFound", other.errorDetail(t).Code)
}

// TestRefreshSurvivesRotation: refresh tokens outlive a restart with the
// same key, and a key rotation (new key first, old one kept) keeps
// in-flight uploads working; each refresh moves them to the new key, so
// the old key can go once its tokens have expired.
func TestRefreshSurvivesRotation(t *testing.T) {
	t.Parallel()
	oldKey := []byte(strings.Repeat("o", MinRefreshKeyBytes))
	newKey := []byte(strings.Repeat("n", MinRefreshKeyBytes))
	h := newHarness(t, emulator.Options{}, Options{RefreshKeys: [][]byte{oldKey}})
	created := h.post(t, "/v1/videos", goodVideo)
	require.Equal(t, http.StatusCreated, created.status)
	tr := created.ticket(t)
	path := "/v1/videos/" + tr.MediaID + "/refresh"
	srv := h.server

	require.NoError(t, srv.SetRefreshKeys([][]byte{newKey, oldKey}))
	r := h.post(t, path, refreshBody(tr.RefreshToken))
	require.Equal(t, http.StatusOK, r.status, "a token signed with the old key still works during rotation")
	migrated := r.ticket(t).RefreshToken

	require.NoError(t, srv.SetRefreshKeys([][]byte{newKey}))
	assert.Equal(t, http.StatusOK, h.post(t, path, refreshBody(migrated)).status, "the refreshed token is signed with the new key")
	assert.Equal(t, http.StatusNotFound, h.post(t, path, refreshBody(tr.RefreshToken)).status, "the old key is gone")
}

// TestNamedClientsKeepTheirVideosAcrossTokenRotation: a client named in
// the token file owns its videos by name, so replacing its token does
// not orphan its uploads; an unnamed client's videos belong to its token.
func TestNamedClientsKeepTheirVideosAcrossTokenRotation(t *testing.T) {
	t.Parallel()
	const newToken = "alice-new-token-0123456789"
	h := newHarness(t, emulator.Options{}, Options{Clients: []Client{{Name: "alice", Token: testToken}, {Token: otherToken}}})
	created := h.post(t, "/v1/videos", goodVideo)
	require.Equal(t, http.StatusCreated, created.status)
	tr := created.ticket(t)
	path := "/v1/videos/" + tr.MediaID + "/refresh"

	require.NoError(t, h.server.SetClients([]Client{{Name: "alice", Token: newToken}, {Token: otherToken}}))
	assert.Equal(t, http.StatusUnauthorized, h.post(t, path, refreshBody(tr.RefreshToken)).status, "the old token is gone")
	r := call(t, h.app.URL, http.MethodPost, path, bearer(newToken), refreshBody(tr.RefreshToken))
	assert.Equal(t, http.StatusOK, r.status, "alice's new token renews alice's video")
	r = call(t, h.app.URL, http.MethodPost, path, bearer(otherToken), refreshBody(tr.RefreshToken))
	assert.Equal(t, http.StatusNotFound, r.status, "the unnamed client is not alice")

	h.app.Close()
	assert.Contains(t, h.logs.String(), `"client":"client:alice"`, "named clients appear by name in the access log")
}

func TestRefreshTokenFormat(t *testing.T) {
	t.Parallel()
	k, err := newRefreshKeys([][]byte{[]byte(testRefreshKey)})
	require.NoError(t, err)
	now := time.Unix(1_700_000_000, 0)
	tok := k.issue("name:alice", "v1", now.Add(time.Minute))
	assert.Regexp(t, `^r1\.1700000060\.[A-Za-z0-9_-]{43}$`, tok)
	assert.True(t, k.valid(tok, "name:alice", "v1", now))
	assert.False(t, k.valid(tok, "name:alice", "v1", now.Add(time.Minute)), "expired at its expiry")
	assert.False(t, k.valid(tok, "name:bob", "v1", now))
	assert.False(t, k.valid(tok, "name:alice", "v2", now))
	for _, bad := range []string{"", "r1", "r1..", "r2" + tok[2:], strings.Replace(tok, ".17", ".017", 1), tok + "A", tok[:len(tok)-1]} {
		assert.False(t, k.valid(bad, "name:alice", "v1", now), bad)
	}
	_, err = newRefreshKeys([][]byte{[]byte("short")})
	assert.Error(t, err)
	eph, err := newRefreshKeys(nil)
	require.NoError(t, err)
	assert.True(t, eph.ephemeral)
	assert.False(t, eph.valid(tok, "name:alice", "v1", now), "another key")
}
