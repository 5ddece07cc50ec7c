package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload"
	"github.com/vodupload/vodupload/internal/emulator"
)

const (
	testToken      = "test-token-0123456789abcdef"
	otherToken     = "other-token-fedcba9876543210"
	testRefreshKey = "test-refresh-key-0123456789abcdef0123456789"
)

// clients makes unnamed clients of tokens.
func clients(tokens ...string) []Client {
	out := make([]Client, len(tokens))
	for i, t := range tokens {
		out[i] = Client{Token: t}
	}
	return out
}

// syncBuffer collects log output written from server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines decodes the JSON log lines.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		out = append(out, m)
	}
	return out
}

// harness is an AppServer over HTTP in front of an in-process emulator.
type harness struct {
	emu    *emulator.Server
	server *Server
	app    *httptest.Server
	logs   *syncBuffer
}

func newHarness(t *testing.T, emuOpts emulator.Options, opts Options) *harness {
	t.Helper()
	emu, err := emulator.New(emuOpts)
	require.NoError(t, err)
	t.Cleanup(emu.Close)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	up, err := vodupload.New(
		vodupload.WithEndpoint(emu.URL),
		vodupload.WithCredentials(vodupload.StaticCredentials(emu.AccessKeyID, emu.AccessKeySecret)),
		vodupload.WithLogger(log),
	)
	require.NoError(t, err)
	if opts.Clients == nil {
		opts.Clients = clients(testToken)
	}
	if opts.RefreshKeys == nil {
		opts.RefreshKeys = [][]byte{[]byte(testRefreshKey)}
	}
	if opts.Rate == 0 { // tests other than the rate limit's make many quick calls
		opts.Rate, opts.Burst = 1000, 1000
	}
	opts.Logger = log
	srv, err := NewServer(up, opts)
	require.NoError(t, err)
	app := httptest.NewServer(srv)
	t.Cleanup(app.Close)
	return &harness{emu: emu, server: srv, app: app, logs: logs}
}

// reply is an HTTP answer, read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) errorDetail(t *testing.T) errorDetail {
	t.Helper()
	var b errorBody
	require.NoError(t, json.Unmarshal(r.body, &b), string(r.body))
	return b.Error
}

func (r reply) ticket(t *testing.T) issued {
	t.Helper()
	tr, err := decodeIssued(r.body)
	require.NoError(t, err, string(r.body))
	return tr
}

// issued is a ticket as a client decodes the AppServer's answer: into
// vodupload.UploadTicket with encoding/json, and the AppServer's own
// RefreshToken beside it.
type issued struct {
	vodupload.UploadTicket
	RefreshToken string
}

func decodeIssued(b []byte) (issued, error) {
	var tr issued
	if err := json.Unmarshal(b, &tr.UploadTicket); err != nil {
		return issued{}, err
	}
	var extra struct{ RefreshToken string }
	err := json.Unmarshal(b, &extra)
	tr.RefreshToken = extra.RefreshToken
	return tr, err
}

// uploadTicket is the ticket to upload with.
func (tr issued) uploadTicket() *vodupload.UploadTicket {
	t := tr.UploadTicket
	return &t
}

// call sends a request with the given headers; a nil headers map means
// a JSON body with the test token.
func call(t *testing.T, base, method, path string, headers map[string]string, body string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
	require.NoError(t, err)
	if headers == nil {
		headers = map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "application/json"}
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (h *harness) post(t *testing.T, path, body string) reply {
	t.Helper()
	return call(t, h.app.URL, http.MethodPost, path, nil, body)
}

// appClient is what a device or worker without an AccessKey runs: it asks
// the AppServer for tickets over HTTP.
type appClient struct {
	base, token string
}

func (c appClient) ticket(ctx context.Context, path string, body any) (issued, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return issued{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return issued{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return issued{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var eb errorBody
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		return issued{}, fmt.Errorf("%s %s: HTTP %d %s: %s", req.Method, path, resp.StatusCode, eb.Error.Code, eb.Error.Message)
	}
	b, err = io.ReadAll(resp.Body)
	if err != nil {
		return issued{}, err
	}
	return decodeIssued(b)
}

// refresher renews a video's ticket through the AppServer, presenting the
// latest refresh token (each refresh returns a new one); seen, when set,
// gets every fresh ticket.
func (c appClient) refresher(first issued, seen func(issued)) vodupload.TicketRefresher {
	var mu sync.Mutex
	refreshToken := first.RefreshToken
	return func(ctx context.Context) (*vodupload.UploadTicket, error) {
		mu.Lock()
		defer mu.Unlock()
		fresh, err := c.ticket(ctx, "/v1/videos/"+first.MediaID+"/refresh", refreshRequest{RefreshToken: refreshToken})
		if err != nil {
			return nil, err
		}
		refreshToken = fresh.RefreshToken
		if seen != nil {
			seen(fresh)
		}
		return fresh.uploadTicket(), nil
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// slogJSON logs JSON lines to w.
func slogJSON(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
