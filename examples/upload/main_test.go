package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

const samplePath = "../../testdata/sample.mp4"

// startEmulator starts a VOD+OSS emulator and exports its AccessKey the
// way a user would; tests that call it cannot run in parallel.
func startEmulator(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	srv, err := emulator.New(opts)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", srv.AccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", srv.AccessKeySecret)
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")
	return srv
}

type runResult struct {
	code           int
	stdout, stderr string
}

func runCLI(ctx context.Context, stdin io.Reader, args ...string) runResult {
	var out, errOut bytes.Buffer
	code := run(ctx, args, stdin, &out, &errOut)
	return runResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

// decodeOne parses stdout as exactly one JSON object.
func decodeOne(t *testing.T, stdout string) resultJSON {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var r resultJSON
	require.NoError(t, dec.Decode(&r), "stdout: %q", stdout)
	assert.False(t, dec.More(), "more than one JSON value on stdout: %q", stdout)
	return r
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

func TestUploadsEveryKindAndStoresTheBytes(t *testing.T) {
	sample, err := os.ReadFile(samplePath)
	require.NoError(t, err)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 3000)...)
	srt := []byte("1\n00:00:01,000 --> 00:00:02,000\nhello\n")
	pngPath, srtPath := writeTemp(t, "logo.png", png), writeTemp(t, "subs.srt", srt)
	long := bytes.Repeat([]byte("vodupload"), 300<<10/9+1)
	longPath := writeTemp(t, "long.mp4", long)

	tests := []struct {
		name  string
		stdin io.Reader
		args  []string
		want  []byte
		kind  string
		url   bool
		parts int
	}{
		{"video file", nil, []string{"-file", samplePath, "-title", "sample", "-tags", "a,b", "-extend", "k=v"}, sample, "video", false, 1},
		{"video in parts", nil, []string{"-file", longPath, "-title", "long", "-part-size", "100KiB", "-threshold", "100KiB",
			"-concurrency", "3", "-bandwidth-limit", "64MiB", "-ecs-region", "cn-beijing", "-retries", "2",
			"-retry-base-delay", "10ms", "-retry-max-delay", "1s", "-stall-timeout", "30s", "-refresh-at", "0.7",
			"-call-timeout", "10s", "-progress-interval", "100ms", "-keep-failed-media"}, long, "video", false, 4},
		// MultiReader hides Seek and ReadAt: a pipe, size unknown.
		{"video from stdin", io.MultiReader(bytes.NewReader(sample)), []string{"-file", "-", "-name", "clip.mp4", "-title", "piped"}, sample, "video", false, 1},
		{"image", nil, []string{"-kind", "image", "-file", pngPath, "-image-type", "cover", "-title", "logo"}, png, "image", true, 1},
		{"image from stdin", io.MultiReader(bytes.NewReader(png)), []string{"-kind", "image", "-file", "-", "-image-ext", "png"}, png, "image", true, 1},
		{"attached subtitle", nil, []string{"-kind", "attached", "-file", srtPath, "-business-type", "subtitle", "-cate-ids", "1,2"}, srt, "attached", true, 1},
	}
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "clip.mp4", time.Time{}, bytes.NewReader(sample))
	}))
	t.Cleanup(web.Close)
	tests = append(tests, struct {
		name  string
		stdin io.Reader
		args  []string
		want  []byte
		kind  string
		url   bool
		parts int
	}{"video from a URL", nil, []string{"-url", web.URL + "/clip.mp4?sig=x", "-title", "from the web"}, sample, "video", false, 1})
	srv := startEmulator(t, emulator.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-endpoint", srv.URL, "-json"}, tt.args...)
			res := runCLI(t.Context(), tt.stdin, args...)
			require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)

			got := decodeOne(t, res.stdout)
			assert.True(t, got.OK)
			assert.Equal(t, tt.kind, got.Kind)
			assert.NotEmpty(t, got.MediaID)
			assert.NotEmpty(t, got.RequestID)
			assert.Equal(t, tt.url, got.MediaURL != "", "media_url: %q", got.MediaURL)
			assert.EqualValues(t, len(tt.want), got.Bytes)
			assert.Equal(t, tt.parts, got.Parts)
			stored, err := srv.Object(got.Bucket, got.ObjectKey)
			require.NoError(t, err)
			assert.Equal(t, tt.want, stored, "the emulator holds the uploaded bytes")
			// Not a terminal: the progress is a plain line on stderr.
			assert.Contains(t, res.stderr, "uploaded ")
			assert.Contains(t, res.stderr, "(100%)")
		})
	}
}

func TestUploadsAnHLSIndexWithItsSegments(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	index := filepath.Join("..", "..", "testdata", "hls", "index.m3u8")
	res := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-json", "-kind", "m3u8", "-file", index, "-title", "hls")
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	got := decodeOne(t, res.stdout)
	assert.Equal(t, "m3u8", got.Kind)
	assert.Equal(t, 5, got.Objects, "the index, the init segment and three segments")
	assert.Zero(t, got.Parts, "objects, not parts")
	assert.Equal(t, got.ObjectKey, got.CRC64Object, "the CRC64 is the index object's")
	_, crc, err := srv.ObjectInfo(got.Bucket, got.ObjectKey)
	require.NoError(t, err)
	assert.Equal(t, strconv.FormatUint(crc, 10), got.CRC64)
	want, err := os.ReadFile(index)
	require.NoError(t, err)
	stored, err := srv.Object(got.Bucket, got.ObjectKey)
	require.NoError(t, err)
	assert.Equal(t, want, stored)
	seg, err := srv.Object(got.Bucket, strings.TrimSuffix(got.ObjectKey, filepath.Base(got.ObjectKey))+"segment-001.m4s")
	require.NoError(t, err)
	assert.NotEmpty(t, seg)
}

func TestHLSHumanOutputCountsObjects(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	index := filepath.Join("..", "..", "testdata", "hls", "index.m3u8")
	res := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-kind", "m3u8", "-file", index, "-title", "hls", "-progress", "none")
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	assert.Contains(t, res.stdout, " in 5 objects\n")
	assert.Regexp(t, `(?m)^CRC64: +\d+ \(of the index object, verified by OSS\)$`, res.stdout)
	assert.NotContains(t, res.stdout, "part")
}

func TestHumanOutputNamesTheVideo(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	res := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-file", samplePath, "-title", "sample", "-progress", "none")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Regexp(t, `(?m)^VideoId: +[0-9a-f]{32}$`, res.stdout)
	assert.Contains(t, res.stdout, "5357 bytes) in 1 part\n")
	assert.Empty(t, res.stderr, "-progress none prints nothing on success")
}

func TestWrongSecretFailsWithTheAPIErrorCode(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
	res := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-file", samplePath, "-title", "x", "-json")

	assert.Equal(t, exitFailed, res.code)
	assert.Equal(t, 1, strings.Count(res.stderr, "\n"), "one line: %q", res.stderr)
	assert.Contains(t, res.stderr, "SignatureDoesNotMatch")
	assert.Contains(t, res.stderr, "RequestId")
	assert.NotContains(t, res.stderr, "not-the-secret")
	got := decodeOne(t, res.stdout)
	assert.False(t, got.OK)
	assert.Equal(t, exitFailed, got.ExitCode)
	require.NotNil(t, got.Error)
	require.NotNil(t, got.Error.API)
	assert.Equal(t, "SignatureDoesNotMatch", got.Error.API.Code)
	assert.Equal(t, "VOD", got.Error.API.Service)
	assert.NotEmpty(t, got.Error.API.RequestID)
}

func TestCancelledBeforeStartExits130WithTheCommand(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res := runCLI(ctx, nil, "-endpoint", srv.URL, "-file", samplePath, "-title", "it's mine")

	assert.Equal(t, exitInterrupted, res.code)
	assert.Contains(t, res.stderr, "upload: interrupted")
	assert.Contains(t, res.stderr, "start again with: ")
	assert.Contains(t, res.stderr, "-endpoint "+srv.URL+" -file "+samplePath+` -title 'it'\''s mine'`)
	assert.Empty(t, res.stdout)
}

// TestInterruptedUploadResumesUnderTheSameVideoID is the user's story:
// Ctrl-C in the middle, run the printed command, same VideoId.
func TestInterruptedUploadResumesUnderTheSameVideoID(t *testing.T) {
	srv := startEmulator(t, emulator.Options{Faults: emulator.Faults{BandwidthBPS: 4 << 20}})
	data := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
	file := writeTemp(t, "long.mp4", data)
	args := []string{"-endpoint", srv.URL, "-json", "-file", file, "-title", "long",
		"-part-size", "256KiB", "-threshold", "256KiB", "-concurrency", "2",
		"-checkpoint-dir", filepath.Join(t.TempDir(), "ckpt")}

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		defer cancel()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if c := srv.Counters(); c.Requests["UploadPart"] >= 3 {
				return
			}
		}
	}()
	first := runCLI(ctx, nil, args...)
	require.Equal(t, exitInterrupted, first.code, "stderr: %s", first.stderr)
	assert.Contains(t, first.stderr, "checkpoint kept in ")
	assert.Contains(t, first.stderr, "resume with: ")
	stopped := decodeOne(t, first.stdout)
	require.NotEmpty(t, stopped.MediaID)
	assert.Equal(t, exitInterrupted, stopped.ExitCode)
	assert.Contains(t, stopped.ResumeCommand, shellQuote(args))

	second := runCLI(t.Context(), nil, args...)
	require.Equal(t, exitOK, second.code, "stderr: %s", second.stderr)
	done := decodeOne(t, second.stdout)
	assert.Equal(t, stopped.MediaID, done.MediaID, "the resumed upload keeps its VideoId")
	stored, err := srv.Object(done.Bucket, done.ObjectKey)
	require.NoError(t, err)
	assert.Equal(t, data, stored)
}

func TestUsageErrorsExitTwoWithOneLine(t *testing.T) {
	t.Parallel()
	emptyFile := writeTemp(t, "empty.mp4", nil)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"-file", "no/such/movie.mp4", "-title", "x"}, "no such file"},
		{"directory", []string{"-file", t.TempDir(), "-title", "x"}, "not a regular file"},
		{"empty file", []string{"-file", emptyFile, "-title", "x"}, "empty"},
		{"bad flag", []string{"-file", samplePath, "-nope"}, "flag provided but not defined: -nope"},
		{"bad size", []string{"-file", samplePath, "-part-size", "8XB"}, `unknown unit "xb"`},
		{"no title", []string{"-file", samplePath}, "invalid Title: required (set with -title)"},
		{"long title", []string{"-file", samplePath, "-title", strings.Repeat("t", 129)}, "invalid Title"},
		{"bad extension", []string{"-file", samplePath, "-name", "movie.txt", "-title", "x"}, "invalid FileName"},
		{"part size too small", []string{"-file", samplePath, "-title", "x", "-part-size", "1KiB"}, "invalid PartSize"},
		{"traffic limit out of range", []string{"-file", samplePath, "-title", "x", "-traffic-limit", "5"}, "invalid TrafficLimit: between 819200 and 838860800 bits per second (got \"5\") (set with -traffic-limit)"},
		{"unknown kind", []string{"-file", samplePath, "-kind", "podcast"}, `unknown -kind "podcast"`},
		{"file and url", []string{"-file", samplePath, "-url", "https://example.com/a.mp4"}, "cannot be used together"},
		{"m3u8 from stdin", []string{"-kind", "m3u8", "-file", "-", "-name", "a.m3u8"}, "not stdin"},
		{"segments for video", []string{"-file", samplePath, "-segments", "a.ts"}, "-segments does not apply"},
		{"flag of another kind", []string{"-file", samplePath, "-title", "x", "-business-type", "subtitle"}, "-business-type does not apply to -kind video"},
		{"no file", []string{"-title", "x"}, "or -url is required"},
		{"stdin without name", []string{"-file", "-", "-title", "x"}, "-name is required with -file -"},
		{"bad progress", []string{"-file", samplePath, "-progress", "fancy"}, "-progress must be"},
		{"positional", []string{"-file", samplePath, "extra"}, `unexpected argument "extra"`},
		{"bad extend", []string{"-file", samplePath, "-extend", "novalue"}, "want k=v pairs"},
		{"bad cate-ids", []string{"-kind", "attached", "-file", samplePath, "-cate-ids", "1,x"}, `"x" is not an integer`},
		{"unknown callback type", []string{"-file", samplePath, "-title", "x", "-callback-type", "smtp"},
			`invalid UserData.MessageCallback.CallbackType: http or mns (got "smtp") (set with -callback-type)`},
		{"made-up region", []string{"-file", samplePath, "-title", "x", "-region", "mars-1"}, "invalid Region"},
		{"URL not http", []string{"-url", "ftp://example.com/a.mp4", "-title", "x"}, "-url must be an http or https URL"},
		{"master playlist", []string{"-kind", "m3u8", "-file", writeTemp(t, "master.m3u8",
			[]byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nlow.m3u8\n")), "-title", "x"}, "master playlist"},
		{"refresh share out of range", []string{"-file", samplePath, "-title", "x", "-refresh-at", "1.5"}, "(set with -refresh-at)"},
		{"negative retries", []string{"-file", samplePath, "-title", "x", "-retries", "-1"}, "-retries must not be negative"},
		{"negative call timeout", []string{"-file", samplePath, "-title", "x", "-call-timeout", "-1s"}, "(set with -call-timeout)"},
		{"metadata with a ticket", []string{"-file", samplePath, "-ticket", "t.json", "-title", "x"}, "-title does not apply with -ticket"},
		{"missing ticket", []string{"-file", samplePath, "-ticket", "no/such/ticket.json"}, "no such file"},
		{"not a ticket", []string{"-file", samplePath, "-ticket", writeTemp(t, "t.json", []byte(`{"x":1}`))}, "is not an upload ticket"},
		{"pull without url", []string{"-pull", "-title", "x"}, "-pull needs -url"},
		{"pull of an image", []string{"-pull", "-kind", "image", "-url", "https://example.com/a.png"}, "does not apply with -pull"},
		{"pull with a part size", []string{"-pull", "-url", "https://example.com/a.mp4", "-title", "x", "-part-size", "1MiB"}, "-part-size does not apply with -pull"},
		{"unknown checkpoints action", []string{"-checkpoints", "clean", "-checkpoint-dir", t.TempDir()}, "-checkpoints must be list or prune"},
		{"checkpoints without a dir", []string{"-checkpoints", "list"}, "needs -checkpoint-dir"},
		{"older-than with list", []string{"-checkpoints", "list", "-checkpoint-dir", t.TempDir(), "-older-than", "1h"}, "-older-than applies to -checkpoints prune"},
		{"checkpoints with a file", []string{"-checkpoints", "list", "-checkpoint-dir", t.TempDir(), "-file", samplePath}, "-file does not apply with -checkpoints"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A closed port: nothing here may reach a network.
			args := append([]string{"-endpoint", "http://127.0.0.1:1"}, tt.args...)
			res := runCLI(t.Context(), strings.NewReader(""), args...)
			assert.Equal(t, exitUsage, res.code, "stderr: %s", res.stderr)
			assert.Equal(t, 1, strings.Count(res.stderr, "\n"), "one line: %q", res.stderr)
			assert.True(t, strings.HasPrefix(res.stderr, "upload: "), res.stderr)
			assert.Contains(t, res.stderr, tt.want)
			assert.Empty(t, res.stdout)
		})
	}
}

// TestJSONUsageErrorsPrintJSONWhereverTheMistakeIs: flag parsing stops at
// the first unknown flag; a -json before or after it still gets its JSON.
func TestJSONUsageErrorsPrintJSONWhereverTheMistakeIs(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-json", "-bogus", "-file", samplePath},
		{"-bogus", "-json", "-file", samplePath},
		{"-file", samplePath, "-part-size", "8XB", "-json"},
	} {
		res := runCLI(t.Context(), nil, args...)
		assert.Equal(t, exitUsage, res.code, "%v", args)
		got := decodeOne(t, res.stdout)
		assert.False(t, got.OK)
		assert.Equal(t, exitUsage, got.ExitCode)
		require.NotNil(t, got.Error, "%v", args)
		assert.NotEmpty(t, got.Error.Message)
	}
	// After "--" nothing is a flag.
	assert.False(t, asksForJSON([]string{"-bogus", "--", "-json"}))
}

func TestUsageErrorWithJSONStillPrintsOneObject(t *testing.T) {
	t.Parallel()
	res := runCLI(t.Context(), nil, "-endpoint", "http://127.0.0.1:1", "-json", "-file", samplePath)
	assert.Equal(t, exitUsage, res.code)
	got := decodeOne(t, res.stdout)
	assert.False(t, got.OK)
	assert.Equal(t, exitUsage, got.ExitCode)
	require.NotNil(t, got.Error)
	require.NotNil(t, got.Error.Invalid)
	assert.Equal(t, "Title", got.Error.Invalid.Field)
}

func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	res := runCLI(t.Context(), nil, "-h")
	assert.Equal(t, exitOK, res.code)
	for _, flag := range []string{"-file", "-kind", "-part-size", "-checkpoint-dir", "-json", "-progress",
		"-retries", "-retry-base-delay", "-retry-max-delay", "-stall-timeout", "-refresh-at", "-call-timeout",
		"-progress-interval", "-ticket", "-pull", "-checkpoints", "-older-than", "-keep-failed-media"} {
		assert.Contains(t, res.stderr, flag)
	}
	assert.Contains(t, res.stderr, "ALIBABA_CLOUD_ACCESS_KEY_ID")
}

func TestVerboseLogsToStderrWithoutSecrets(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	res := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-file", samplePath, "-title", "x", "-v", "-json", "-progress", "none")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stderr, "level=DEBUG")
	assert.NotContains(t, res.stderr, srv.AccessKeySecret)
	decodeOne(t, res.stdout) // logs never reach stdout
}
