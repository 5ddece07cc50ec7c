package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
		return p
	}
	multi := write("multi", "# clients\n"+testToken+"\n\n  "+otherToken+"  \n", 0o600)
	commented := write("commented", "\t# all clients\n"+testToken+" # laptop\n\nalice "+otherToken+"\t# rotated in May\nbob hash#in-token-0123456789\n", 0o600)
	threeWords := write("three", "alice "+testToken+" extra\n", 0o600)
	shortLine := write("short", testToken+"\nshort # too short\n", 0o600)
	keys := write("keys", "# new key first\n"+strings.Repeat("k", 32)+" # since May\n"+strings.Repeat("o", 40)+"\n", 0o600)
	shortKey := write("shortkey", "0123456789\n", 0o600)
	loose := write("loose", testToken+"\n", 0o644)
	empty := write("empty", "# nothing\n\n", 0o600)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == tokenEnv {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name     string
		args     []string
		env      string
		clients  []Client
		warnings int
		err      string
	}{
		{"token from env", nil, testToken, clients(testToken), 0, ""},
		{"file wins over env", []string{"-token-file", multi}, "ignored-0123456789", clients(testToken, otherToken), 0, ""},
		{"comments, blank lines and names", []string{"-token-file", commented}, "",
			[]Client{{Token: testToken}, {Name: "alice", Token: otherToken}, {Name: "bob", Token: "hash#in-token-0123456789"}}, 0, ""},
		{"three words", []string{"-token-file", threeWords}, "", nil, 0, "line 1: want TOKEN or NAME TOKEN, found 3 words"},
		{"short token", []string{"-token-file", shortLine}, "", nil, 0, "token 2 is shorter than 16 bytes"},
		{"loose permissions warn", []string{"-token-file", loose}, "", clients(testToken), 1, ""},
		{"no token", nil, "", nil, 0, "no bearer token"},
		{"empty file", []string{"-token-file", empty}, "", nil, 0, "no token in it"},
		{"missing file", []string{"-token-file", filepath.Join(dir, "absent")}, "", nil, 0, "no such file"},
		{"bad rate", []string{"-rate", "0"}, testToken, nil, 0, "must be positive"},
		{"stray argument", []string{"serve"}, testToken, nil, 0, "unexpected argument"},
		{"no token flag", []string{"-token", testToken}, "", nil, 0, "flag provided but not defined"},
		{"short refresh key", []string{"-refresh-key-file", shortKey}, testToken, nil, 0, "refresh key 1 is shorter than 32 bytes"},
		{"CORS origin with a path", []string{"-cors-origin", "https://a.example/app"}, testToken, nil, 0, "must be scheme://host[:port]"},
		{"key file and CORS origins", []string{"-refresh-key-file", keys, "-cors-origin", "https://a.example,http://localhost:3000", "-cors-origin", "https://b.example"},
			testToken, clients(testToken), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parseConfig(tt.args, env(tt.env), io.Discard)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				assert.NotContains(t, err.Error(), testToken, "errors never quote a token")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.clients, cfg.clients)
			assert.Len(t, cfg.warnings, tt.warnings)
			if tt.name == "key file and CORS origins" {
				assert.Equal(t, [][]byte{[]byte(strings.Repeat("k", 32)), []byte(strings.Repeat("o", 40))}, cfg.refreshKeys)
				assert.Equal(t, listFlag{"https://a.example", "http://localhost:3000", "https://b.example"}, cfg.corsOrigins)
			}
		})
	}
}

func TestRunRefusesToStartWithoutToken(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	code := run(t.Context(), []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, &stderr, nil)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr.String(), "no bearer token")
	assert.Equal(t, 0, run(t.Context(), []string{"-h"}, func(string) string { return "" }, io.Discard, nil))
}

// TestGracefulShutdown: a request in flight when the signal arrives is
// answered; new connections are refused.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		w.WriteHeader(http.StatusCreated)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, newHTTPServer("", h, time.Second, discardLogger()), ln, 5*time.Second) }()

	url := "http://" + ln.Addr().String()
	status := make(chan int, 1)
	go func() {
		resp, err := http.Post(url, "application/json", nil)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	<-started
	stop() // SIGINT
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 2*time.Second, 10*time.Millisecond, "listener still accepting after shutdown began")
	select {
	case err := <-served:
		t.Fatalf("serve returned before the in-flight request finished: %v", err)
	default:
	}
	close(release)
	assert.Equal(t, http.StatusCreated, <-status)
	assert.NoError(t, <-served)
}

func TestShutdownTimeout(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		close(started)
		<-release
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, newHTTPServer("", h, time.Second, discardLogger()), ln, 100*time.Millisecond)
	}()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String()); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	stop()
	err = <-served
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a stuck request cannot hold shutdown forever")
}
