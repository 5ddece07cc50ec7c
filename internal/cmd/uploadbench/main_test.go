package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/cmd/uploadbench/benchkit"
	"github.com/vodupload/vodupload/internal/emulator"
)

// TestChildRunsEveryKind runs each child mode in-process against an
// emulator and checks the object it reports is really stored.
func TestChildRunsEveryKind(t *testing.T) {
	t.Parallel()
	srv, err := emulator.New(emulator.Options{Storage: emulator.StorageDiscard})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	env := map[string]string{envEndpoint: srv.URL, envKeyID: srv.AccessKeyID, envSecret: srv.AccessKeySecret}
	const size = 3 * mib
	path := filepath.Join(t.TempDir(), "in.mp4")
	require.NoError(t, benchkit.WriteFile(path, size, 1))

	kinds := []string{kindBaseline, kindVodupload, kindVoduploadFeed, kindOSSUploadFile, kindOSSV2, kindOSSV2Feed, kindSinglePut}
	t.Run("kinds", func(t *testing.T) {
		for _, kind := range kinds {
			t.Run(kind, func(t *testing.T) {
				t.Parallel()
				raw, err := json.Marshal(job{Kind: kind, File: path, Size: size, PartSize: mib, Workers: 2})
				require.NoError(t, err)
				var out bytes.Buffer
				require.NoError(t, runChild(context.Background(), string(raw), func(k string) string { return env[k] }, &out))
				var rep childReport
				require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
				assert.Positive(t, rep.Seconds)
			})
		}
	})
	c := srv.Counters()
	// Every kind but the baseline stored one object of size bytes.
	assert.EqualValues(t, int64(len(kinds)-1)*size, c.BytesReceived)
	assert.EqualValues(t, len(kinds), c.Requests["CreateUploadVideo"])
}

func TestChildRefusesMissingEnvironment(t *testing.T) {
	t.Parallel()
	err := runChild(context.Background(), `{"kind":"vodupload"}`, func(string) string { return "" }, &bytes.Buffer{})
	assert.ErrorContains(t, err, "environment")
}

func TestReportTableAndRatios(t *testing.T) {
	t.Parallel()
	c, _, err := parseFlags([]string{"-runs", "3"})
	require.NoError(t, err)
	gibRun := func(sec, cpu float64) measurement {
		return measurement{seconds: sec, bytes: gib, cpu: time.Duration(cpu * float64(time.Second)), maxRSS: 16 * mib}
	}
	ours := row{"loopback", "vodupload", "8 MiB × 4", job{Kind: kindVodupload, Size: gib}}
	theirs := row{"loopback", "oss-uploadfile", "8 MiB × 4", job{Kind: kindOSSUploadFile, Size: gib}}
	baseline := row{"loopback", "baseline", "", job{Kind: kindBaseline, Size: gib}}
	results := []result{
		{ours, []measurement{gibRun(1, 0.3), gibRun(2, 0.4), gibRun(1.5, 0.2)}},
		{theirs, []measurement{gibRun(2, 0.75), gibRun(2, 0.75), gibRun(4, 0.9)}},
		{baseline, []measurement{gibRun(0.01, 0.05)}},
	}
	var out bytes.Buffer
	printReport(&out, c, machineNow(), results)
	text := out.String()
	mbps := float64(gib) / 1e6
	wantRow := fmt.Sprintf("| loopback | vodupload | 8 MiB × 4 | 1024 MiB | %.0f (%.0f–%.0f) | 0.300 (0.200–0.400) | 16.0 (16.0) |",
		mbps/1.5, mbps/2, mbps)
	assert.Contains(t, text, wantRow, text)
	assert.Contains(t, text, "| loopback | oss-uploadfile | 8 MiB × 4 | 1.33× | 0.40× | 0.36× | 1.00× |", text)
}

func TestParseFlagsRejectsNonsense(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-runs", "0"}, {"-size", "-1"}, {"-only", "("}} {
		_, _, err := parseFlags(args)
		assert.Error(t, err, args)
	}
	_, child, err := parseFlags([]string{"-child", "{}"})
	require.NoError(t, err)
	assert.Equal(t, "{}", child)
}

func TestProfileNameIsAFileName(t *testing.T) {
	t.Parallel()
	name := profileName("loopback/vodupload stream/8 MiB × 4")
	assert.Equal(t, "loopback_vodupload_stream_8_MiB___4", name)
	assert.Equal(t, name, filepath.Base(name))
}
