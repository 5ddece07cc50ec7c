package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// These tests run the binary's run function with the process
// environment (the SDK's default credential chain reads it), so they
// cannot be parallel.

// noAmbientCredentials empties every source of the SDK's default chain.
func noAmbientCredentials(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_URI", "")
	t.Setenv("ALIBABA_CLOUD_ROLE_ARN", "")
	t.Setenv("HOME", t.TempDir())
}

func tokenEnvOnly(k string) string {
	if k == tokenEnv {
		return testToken
	}
	return ""
}

func TestRunRefusesToStartWithoutWorkingCredentials(t *testing.T) {
	emu, err := emulator.New(emulator.Options{})
	require.NoError(t, err)
	t.Cleanup(emu.Close)
	tests := []struct {
		name, id, secret string
		message          string
	}{
		{"no credential anywhere", "", "", "appserver: no VOD credential from the default provider: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"},
		{"unknown AccessKey", "LTAI-unknown-key", "some-secret-value", "appserver: VOD refused the AccessKey from the default/env provider (InvalidAccessKeyId.NotFound): set ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{"wrong secret", emu.AccessKeyID, "some-secret-value", "appserver: VOD refused the AccessKey from the default/env provider (SignatureDoesNotMatch)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noAmbientCredentials(t)
			t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", tt.id)
			t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", tt.secret)
			var stderr syncBuffer
			code := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-endpoint", emu.URL}, tokenEnvOnly, &stderr, nil)
			assert.Equal(t, 1, code)
			out := stderr.String()
			assert.True(t, strings.HasPrefix(out, tt.message), out)
			assert.Equal(t, 1, strings.Count(out, "\n"), "one line: %s", out)
			assert.NotContains(t, out, "some-secret-value")
			assert.NotContains(t, out, "unable to get credentials", "no provider-chain dump")
			assert.NotContains(t, out, "serving")
		})
	}

	t.Run("skip the check for offline development", func(t *testing.T) {
		noAmbientCredentials(t)
		app := startRun(t, []string{"-endpoint", emu.URL, "-skip-credential-check"}, tokenEnvOnly)
		assert.Equal(t, http.StatusOK, call(t, app.base, http.MethodGet, "/healthz", map[string]string{}, "").status)
	})
}

// runningApp is run() serving in the background.
type runningApp struct {
	base   string
	logs   *syncBuffer
	reload chan os.Signal
}

// startRun starts run with args (plus -addr 127.0.0.1:0) and waits until
// it serves; the test's end stops it and checks it exited cleanly.
func startRun(t *testing.T, args []string, getenv func(string) string) *runningApp {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	app := &runningApp{logs: &syncBuffer{}, reload: make(chan os.Signal, 1)}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), getenv, app.logs, app.reload)
	}()
	t.Cleanup(func() {
		stop()
		assert.Equal(t, 0, <-done, app.logs.String())
	})
	require.Eventually(t, func() bool {
		for _, l := range strings.Split(app.logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "serving" {
				app.base = "http://" + m["addr"].(string)
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "run did not start: %s", app.logs)
	return app
}

// TestSIGHUPReloadsTheTokenFile: tokens rotate without a restart; a file
// that does not load keeps the tokens in use and the log says why.
func TestSIGHUPReloadsTheTokenFile(t *testing.T) {
	emu, err := emulator.New(emulator.Options{})
	require.NoError(t, err)
	t.Cleanup(emu.Close)
	noAmbientCredentials(t)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", emu.AccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", emu.AccessKeySecret)
	file := filepath.Join(t.TempDir(), "tokens")
	write := func(content string) { require.NoError(t, os.WriteFile(file, []byte(content), 0o600)) }
	write(testToken + " # the first client\n")
	app := startRun(t, []string{"-endpoint", emu.URL, "-token-file", file}, func(string) string { return "" })

	status := func(token string) int {
		return call(t, app.base, http.MethodPost, "/v1/videos", bearer(token), goodVideo).status
	}
	require.Equal(t, http.StatusCreated, status(testToken), "the token before its comment is the token")
	require.Equal(t, http.StatusUnauthorized, status(otherToken))

	write("# rotated\n" + otherToken + "\n")
	app.reload <- nil
	require.Eventually(t, func() bool { return status(otherToken) == http.StatusCreated }, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, http.StatusUnauthorized, status(testToken), "the old token is gone")

	write("too-short\n")
	app.reload <- nil
	require.Eventually(t, func() bool { return strings.Contains(app.logs.String(), "reload token file: keeping the one in use") },
		5*time.Second, 20*time.Millisecond)
	assert.Equal(t, http.StatusCreated, status(otherToken), "a bad file keeps the tokens in use")
	assert.Contains(t, app.logs.String(), "token 1 is shorter than 16 bytes")
	assert.NotContains(t, app.logs.String(), "too-short", "the log never quotes a token")
}

func TestRunSaysWhenVODCannotBeAsked(t *testing.T) {
	noAmbientCredentials(t)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-some-key")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "some-secret-value")
	vod := httptest.NewServer(http.NotFoundHandler())
	vod.Close() // nothing listens there any more
	var stderr syncBuffer
	code := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-endpoint", vod.URL, "-call-timeout", "5s"}, tokenEnvOnly, &stderr, nil)
	assert.Equal(t, 1, code)
	assert.Regexp(t, `^appserver: cannot check the VOD credential \(-skip-credential-check starts anyway\): .*connection refused\n$`, stderr.String())
}
