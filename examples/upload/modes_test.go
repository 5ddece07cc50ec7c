package main

import (
	"bytes"
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

	"github.com/vodupload/vodupload"
	"github.com/vodupload/vodupload/internal/emulator"
)

// TestTicketUploadNeedsNoAccessKey: -ticket uploads with the JSON an
// AppServer handed out, on a machine without an AccessKey.
func TestTicketUploadNeedsNoAccessKey(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	appServer, err := vodupload.New(vodupload.WithEndpoint(srv.URL),
		vodupload.WithCredentials(vodupload.StaticCredentials(srv.AccessKeyID, srv.AccessKeySecret)))
	require.NoError(t, err)
	ticket, err := appServer.CreateVideoUpload(t.Context(), vodupload.VideoMeta{Title: "from a device", FileName: "clip.mp4"}, 0)
	require.NoError(t, err)
	body, err := json.Marshal(ticket)
	require.NoError(t, err)
	ticketFile := writeTemp(t, "ticket.json", body)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")

	res := runCLI(t.Context(), nil, "-json", "-file", samplePath, "-ticket", ticketFile)
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	got := decodeOne(t, res.stdout)
	assert.Equal(t, ticket.MediaID, got.MediaID)
	assert.Equal(t, "video", got.Kind)
	sample, err := os.ReadFile(samplePath)
	require.NoError(t, err)
	stored, err := srv.Object(got.Bucket, got.ObjectKey)
	require.NoError(t, err)
	assert.Equal(t, sample, stored)
}

// TestPullLetsVODFetchTheURL: -pull submits the URL to VOD and waits for
// the job.
func TestPullLetsVODFetchTheURL(t *testing.T) {
	sample, err := os.ReadFile(samplePath)
	require.NoError(t, err)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "clip.mp4", time.Time{}, bytes.NewReader(sample))
	}))
	t.Cleanup(web.Close)
	srv := startEmulator(t, emulator.Options{})

	res := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-json", "-pull", "-url", web.URL+"/clip.mp4", "-title", "pulled")
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	got := decodeOne(t, res.stdout)
	assert.NotEmpty(t, got.JobID)
	assert.Equal(t, "SUCCESS", got.Status)
	assert.True(t, srv.HasMedia(got.MediaID))
	assert.EqualValues(t, len(sample), got.Bytes)
	assert.Empty(t, got.CRC64, "VOD fetched it: no CRC64 of ours")

	res = runCLI(t.Context(), nil, "-endpoint", srv.URL, "-pull", "-url", web.URL+"/clip.mp4", "-title", "pulled")
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	assert.Regexp(t, `(?m)^JobId: +\S+$`, res.stdout)
	assert.Regexp(t, `(?m)^status: +SUCCESS$`, res.stdout)
}

// TestCheckpointsListAndPrune: a checkpoint left behind is listed with its
// file and video, survives a prune that is not old enough, and goes with
// one that is, with the unfinished video.
func TestCheckpointsListAndPrune(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	file := writeTemp(t, "left.mp4", bytes.Repeat([]byte("0123456789abcdef"), 3<<16))
	args := checkpointedArgs(t, srv, file)
	stopped := interruptAfter(t, srv, 4, args)
	dir := args[len(args)-1]
	cmd := func(extra ...string) runResult {
		return runCLI(t.Context(), nil, append([]string{"-endpoint", srv.URL, "-checkpoint-dir", dir}, extra...)...)
	}

	res := cmd("-checkpoints", "list", "-json")
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	got := decodeOne(t, res.stdout)
	require.Len(t, got.Checkpoints, 1)
	cp := got.Checkpoints[0]
	abs, err := filepath.Abs(file)
	require.NoError(t, err)
	assert.Equal(t, abs, cp.File)
	assert.Equal(t, stopped.MediaID, cp.MediaID)
	assert.Positive(t, cp.PartsDone)

	res = cmd("-checkpoints", "list")
	require.Equal(t, exitOK, res.code)
	assert.Contains(t, res.stdout, "1 checkpoint in "+dir+"\n")
	assert.Contains(t, res.stdout, abs+": ")
	assert.Contains(t, res.stdout, "VideoId "+stopped.MediaID)

	res = cmd("-checkpoints", "prune", "-older-than", "1h", "-json")
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	assert.Empty(t, decodeOne(t, res.stdout).Checkpoints)
	assert.True(t, srv.HasMedia(stopped.MediaID))

	res = cmd("-checkpoints", "prune", "-older-than", "0s")
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	assert.Contains(t, res.stdout, "1 checkpoint pruned from "+dir)
	assert.Contains(t, res.stdout, "its unfinished video deleted")
	assert.False(t, srv.HasMedia(stopped.MediaID))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), ".ckpt"), e.Name())
	}
}
