package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vod"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFirstLineIsJSONAndServerShutsDown(t *testing.T) {
	t.Parallel()
	hello := startEmulator(t, "-addr", "127.0.0.1:0", "-storage", "discard")
	for _, k := range []string{"vod_endpoint", "oss_endpoint", "region", "access_key_id", "access_key_secret"} {
		assert.NotEmpty(t, hello[k], k)
	}
	resp, err := http.Get(hello["oss_endpoint"] + "/nobucket/key")
	require.NoError(t, err)
	resp.Body.Close()
	assert.GreaterOrEqual(t, resp.StatusCode, 400, "unsigned request is refused")
}

func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), "-addr")
}

func TestBadFlagsExitTwo(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 2, run(context.Background(), []string{"-storage", "tape"}, io.Discard, io.Discard))
	assert.Equal(t, 2, run(context.Background(), []string{"-nope"}, io.Discard, io.Discard))
}

// startEmulator runs the command with args until the test ends, returns
// its banner, and at the end cancels it and asserts it shut down cleanly
// (exit 0).
func startEmulator(t *testing.T, args ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		assert.Equal(t, 0, <-exit)
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr)
	var hello map[string]string
	require.NoError(t, json.Unmarshal([]byte(line), &hello))
	return hello
}

func TestTLSBannerAndSSLCertFile(t *testing.T) {
	t.Parallel()
	certFile := filepath.Join(t.TempDir(), "emulator.pem")
	hello := startEmulator(t, "-tls", "-cert-file", certFile, "-storage", "memory")
	assert.Equal(t, certFile, hello["cert_file"])
	for _, k := range []string{"vod_endpoint", "oss_endpoint"} {
		assert.True(t, strings.HasPrefix(hello[k], "https://127.0.0.1:"), hello[k])
	}

	pemBytes, err := os.ReadFile(certFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemBytes))
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(hello["oss_endpoint"] + "/nobucket/key")
	require.NoError(t, err, "the certificate file verifies the listener")
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	t.Run("the upload CLI trusts it through SSL_CERT_FILE", func(t *testing.T) {
		goTool, err := exec.LookPath("go")
		if err != nil || testing.Short() {
			t.Skip("needs the go tool to build examples/upload; not run with -short")
		}
		bin := filepath.Join(t.TempDir(), "upload")
		out, err := exec.Command(goTool, "build", "-o", bin, "../upload").CombinedOutput()
		require.NoError(t, err, "build examples/upload: %s", out)
		file := filepath.Join(t.TempDir(), "tls.mp4")
		require.NoError(t, os.WriteFile(file, bytes.Repeat([]byte("tls!"), 100<<10), 0o600))
		upload := func(env ...string) ([]byte, error) {
			cmd := exec.Command(bin, "-endpoint", hello["vod_endpoint"], "-file", file, "-title", "tls",
				"-json", "-progress", "none")
			cmd.Env = append(os.Environ(), append(env,
				"ALIBABA_CLOUD_ACCESS_KEY_ID="+hello["access_key_id"],
				"ALIBABA_CLOUD_ACCESS_KEY_SECRET="+hello["access_key_secret"], "ALIBABA_CLOUD_SECURITY_TOKEN=")...)
			return cmd.CombinedOutput()
		}
		out, err = upload("SSL_CERT_FILE=" + certFile)
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), `"ok":true`)
		assert.Contains(t, string(out), `"bytes":409600`)

		out, err = upload()
		require.Error(t, err, "without SSL_CERT_FILE the certificate is unknown")
		assert.Contains(t, string(out), "certificate")
	})
}

func TestCORSOriginsFlag(t *testing.T) {
	t.Parallel()
	hello := startEmulator(t, "-cors-origins", "https://a.example, http://*.b.example", "-cors-max-age", "60")
	// A VOD call creates the bucket the preflights are about.
	vc := new(vod.Client)
	require.NoError(t, vc.InitWithAccessKey(hello["region"], hello["access_key_id"], hello["access_key_secret"]))
	req := vod.CreateCreateUploadVideoRequest()
	req.SetDomain(strings.TrimPrefix(hello["vod_endpoint"], "http://"))
	req.SetScheme("http")
	req.Title, req.FileName = "cors", "cors.mp4"
	res, err := vc.CreateUploadVideo(req)
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(res.UploadAddress)
	require.NoError(t, err)
	var addr struct{ Bucket, FileName string }
	require.NoError(t, json.Unmarshal(raw, &addr))

	for origin, allowed := range map[string]bool{"https://a.example": true, "http://x.b.example": true, "https://c.example": false} {
		pre, err := http.NewRequest(http.MethodOptions, hello["oss_endpoint"]+"/"+addr.Bucket+"/"+addr.FileName, nil)
		require.NoError(t, err)
		pre.Header.Set("Origin", origin)
		pre.Header.Set("Access-Control-Request-Method", "PUT")
		resp, err := http.DefaultClient.Do(pre)
		require.NoError(t, err)
		resp.Body.Close()
		if !allowed {
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, origin)
			continue
		}
		assert.Equal(t, http.StatusOK, resp.StatusCode, origin)
		assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "60", resp.Header.Get("Access-Control-Max-Age"))
	}
}
