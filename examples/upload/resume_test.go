package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// interruptAfter runs the upload of args and cancels it once parts
// UploadPart requests have started, returning the run's JSON answer.
func interruptAfter(t *testing.T, srv *emulator.Server, parts int64, args []string) resultJSON {
	t.Helper()
	srv.SetFaults(emulator.Faults{BandwidthBPS: 1 << 20})
	defer srv.SetFaults(emulator.Faults{})
	ctx, cancel := context.WithCancel(t.Context())
	start := srv.Counters().Requests["UploadPart"]
	go func() {
		defer cancel()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if srv.Counters().Requests["UploadPart"] >= start+parts {
				return
			}
		}
	}()
	res := runCLI(ctx, nil, args...)
	require.Equal(t, exitInterrupted, res.code, "stderr: %s", res.stderr)
	stopped := decodeOne(t, res.stdout)
	require.NotEmpty(t, stopped.MediaID)
	// Let requests the cancel cut short settle before the next run.
	for last, stable := srv.Counters().BytesReceived, 0; stable < 10; time.Sleep(30 * time.Millisecond) {
		if now := srv.Counters().BytesReceived; now != last {
			last, stable = now, 0
			continue
		}
		stable++
	}
	return stopped
}

func checkpointedArgs(t *testing.T, srv *emulator.Server, file string) []string {
	return []string{"-endpoint", srv.URL, "-json", "-file", file, "-title", "long", "-part-size", "256KiB",
		"-threshold", "256KiB", "-concurrency", "2", "-checkpoint-dir", filepath.Join(t.TempDir(), "ckpt")}
}

// TestResumeSaysWhatItTookOverAndRatesThisRun: a resumed upload says how
// many parts it took over, in the JSON and in the text, and its speed is
// this run's bytes over this run's time: under -bandwidth-limit it stays
// near the limit instead of counting the resumed bytes as sent.
func TestResumeSaysWhatItTookOverAndRatesThisRun(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	data := bytes.Repeat([]byte("0123456789abcdef"), 4<<16) // 4 MiB
	file := writeTemp(t, "long.mp4", data)
	args := checkpointedArgs(t, srv, file)
	interruptAfter(t, srv, 10, args)

	const limit = 1 << 20
	res := runCLI(t.Context(), nil, append(args, "-bandwidth-limit", "1MiB")...)
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	got := decodeOne(t, res.stdout)
	require.Positive(t, got.ResumedParts)
	assert.EqualValues(t, got.ResumedParts*(256<<10), got.ResumedBytes)
	require.GreaterOrEqual(t, got.ResumedBytes, int64(1<<20), "enough taken over for an inflated rate to show")
	t.Logf("resumed %d bytes; %.0f B/s over %.2f s", got.ResumedBytes, got.BytesPerSecond, got.DurationSecs)
	assert.Less(t, got.BytesPerSecond, 1.5*limit, "this run's bytes only")
	assert.Empty(t, got.Warnings, "a clean resume warns of nothing")
	stored, err := srv.Object(got.Bucket, got.ObjectKey)
	require.NoError(t, err)
	assert.Equal(t, data, stored)
}

func TestResumeIsShownInTheTextOutput(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	file := writeTemp(t, "long.mp4", bytes.Repeat([]byte("0123456789abcdef"), 3<<16))
	args := checkpointedArgs(t, srv, file)
	interruptAfter(t, srv, 4, args)
	res := runCLI(t.Context(), nil, append(slicesWithout(args, "-json"), "-progress", "none")...)
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	assert.Regexp(t, `(?m)^resumed: +\d+ parts? \(\d+\.\d (KiB|MiB)\) taken over from the checkpoint$`, res.stdout)
}

// TestFreshStartIsExplainedWithoutV: when a checkpoint cannot be used the
// upload starts over under a new VideoId and says why on stderr (without
// -v) and in the JSON's warnings.
func TestFreshStartIsExplainedWithoutV(t *testing.T) {
	tests := []struct {
		name    string
		between func(t *testing.T, srv *emulator.Server, file, videoID string)
		want    string
	}{
		{"video gone from VOD", func(_ *testing.T, srv *emulator.Server, _, videoID string) { srv.DeleteMedia(videoID) },
			"checkpointed video no longer exists in VOD; starting a fresh upload"},
		{"file changed", func(t *testing.T, _ *emulator.Server, file, _ string) {
			require.NoError(t, os.WriteFile(file, bytes.Repeat([]byte("fedcba9876543210"), 3<<16), 0o600))
		}, "ignoring checkpoint; starting a fresh upload (reason=the file changed since the checkpoint was written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startEmulator(t, emulator.Options{})
			file := writeTemp(t, "long.mp4", bytes.Repeat([]byte("0123456789abcdef"), 3<<16))
			args := checkpointedArgs(t, srv, file)
			stopped := interruptAfter(t, srv, 4, args)
			tt.between(t, srv, file, stopped.MediaID)

			res := runCLI(t.Context(), nil, args...)
			require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
			assert.Contains(t, res.stderr, "upload: warning: "+tt.want)
			got := decodeOne(t, res.stdout)
			assert.NotEqual(t, stopped.MediaID, got.MediaID, "a new video")
			assert.Zero(t, got.ResumedParts)
			assert.Contains(t, strings.Join(got.Warnings, "\n"), tt.want)
		})
	}
}

// TestNetworkFailureWithCheckpointPrintsTheResumeCommand: a checkpointed
// upload that fails for good on the network prints how to resume it, as
// an interrupted one does, and the printed command finishes it.
func TestNetworkFailureWithCheckpointPrintsTheResumeCommand(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	data := bytes.Repeat([]byte("0123456789abcdef"), 3<<16)
	file := writeTemp(t, "long.mp4", data)
	args := append(checkpointedArgs(t, srv, file), "-retries", "0")
	// OSS fails every request once a few parts are in.
	go func() {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			if srv.Counters().Requests["UploadPart"] >= 3 {
				srv.SetFaults(emulator.Faults{ErrorRate: 1})
				return
			}
		}
	}()
	srv.SetFaults(emulator.Faults{BandwidthBPS: 2 << 20})
	first := runCLI(t.Context(), nil, args...)
	require.Equal(t, exitFailed, first.code, "stderr: %s", first.stderr)
	assert.Contains(t, first.stderr, "checkpoint kept in ")
	assert.Contains(t, first.stderr, "resume with: "+resumeCommand(args))
	failed := decodeOne(t, first.stdout)
	assert.Equal(t, resumeCommand(args), failed.ResumeCommand)
	require.NotNil(t, failed.Error.Upload)
	assert.True(t, failed.Error.Upload.Resumable)
	assert.False(t, failed.Error.Upload.Deleted, "a resumable upload keeps its video")

	srv.SetFaults(emulator.Faults{})
	second := runCLI(t.Context(), nil, args...)
	require.Equal(t, exitOK, second.code, "stderr: %s", second.stderr)
	done := decodeOne(t, second.stdout)
	assert.Equal(t, failed.MediaID, done.MediaID)
	stored, err := srv.Object(done.Bucket, done.ObjectKey)
	require.NoError(t, err)
	assert.Equal(t, data, stored)
}

// TestFailedUploadLeavesNoEmptyRecord: without checkpoints a failed upload
// deletes the video it created, and the JSON says so.
func TestFailedUploadLeavesNoEmptyRecord(t *testing.T) {
	srv := startEmulator(t, emulator.Options{Faults: emulator.Faults{ErrorRate: 1}})
	res := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-json", "-file", samplePath, "-title", "x", "-retries", "0")
	require.Equal(t, exitFailed, res.code, "stderr: %s", res.stderr)
	got := decodeOne(t, res.stdout)
	require.NotNil(t, got.Error.Upload)
	assert.True(t, got.Error.Upload.Deleted)
	assert.False(t, srv.HasMedia(got.MediaID))
	assert.Contains(t, res.stderr, "media record deleted")
	assert.NotContains(t, res.stderr, "resume with")
}

// TestNoCredentialIsOneLine: with no AccessKey anywhere the error is one
// line saying what to set, not the SDK's list of every provider's
// complaint.
func TestNoCredentialIsOneLine(t *testing.T) {
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
		"ALIBABA_CLOUD_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", t.TempDir()) // no CLI profile, no credentials file
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	res := runCLI(t.Context(), nil, "-endpoint", "http://127.0.0.1:1", "-file", samplePath, "-title", "x")
	assert.Equal(t, exitFailed, res.code)
	assert.Equal(t, 1, strings.Count(res.stderr, "\n"), "one line: %q", res.stderr)
	assert.Contains(t, res.stderr, "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	assert.NotContains(t, res.stderr, "unable to get credentials")
}

// slicesWithout is args without the flag f.
func slicesWithout(args []string, f string) []string {
	var out []string
	for _, a := range args {
		if a != f {
			out = append(out, a)
		}
	}
	return out
}
