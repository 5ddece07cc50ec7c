package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// TestFloorKindsSendTheFile runs each floor sender against the parent's
// discarding peer and checks every byte of the file arrived.
func TestFloorKindsSendTheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	peer, err := startFloorPeer(dir)
	require.NoError(t, err)
	env := map[string]string{}
	for _, kv := range peer.env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	const size = 3*mib + 5
	path := filepath.Join(dir, "in.mp4")
	require.NoError(t, benchkit.WriteFile(path, size, 1))
	kinds := []string{kindFloorBare, kindFloorWire, kindFloorBareTLS, kindFloorWireTLS,
		kindFloorStreamParts, kindFloorStreamHot, kindFloorStreamBare}
	for _, kind := range kinds {
		// Parts of 1 MiB, not a multiple of the write size, end the stream
		// inside a part and inside a write.
		raw, err := json.Marshal(job{Kind: kind, File: path, Size: size, PartSize: mib, Workers: 3,
			WriteSize: 384 << 10, ReadSize: 64 << 10})
		require.NoError(t, err)
		var out bytes.Buffer
		require.NoError(t, runChild(context.Background(), string(raw), func(k string) string { return env[k] }, &out), kind)
	}
	peer.stop() // waits for every connection to be drained
	assert.EqualValues(t, int64(len(kinds))*size, peer.received.Load())
}

// TestStreamFloorRows: each floor write size without a read size of its
// own gets the three stream senders, at the part size of the upload rows.
func TestStreamFloorRows(t *testing.T) {
	t.Parallel()
	c, _, err := parseFlags([]string{"-floor-sizes", "256K,1M/128K", "-part", "16", "-no-wan", "-no-https", "-no-loopback", "-only", "stream"})
	require.NoError(t, err)
	sc := c.scenarios()
	require.Len(t, sc, 1)
	var ids []string
	for _, r := range sc[0].rows {
		ids = append(ids, r.id())
		assert.EqualValues(t, 16*mib, r.job.PartSize)
	}
	assert.Equal(t, []string{
		"floor/bare stream sender, 16 MiB parts/writes 256 KiB, 4 connections",
		"floor/bare stream sender, 16 MiB parts sent as filled/writes 256 KiB, 4 connections",
		"floor/bare stream sender, no parts/writes 256 KiB, 4 connections",
	}, ids)
}

func TestProcField(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "status")
	require.NoError(t, os.WriteFile(path, []byte("VmPeak:\t  1000 kB\nVmHWM:\t   2048 kB\nsyscw: 77\nodd: x\n"), 0o600))
	assert.EqualValues(t, 2048, procField(path, "VmHWM:", "kB"))
	assert.EqualValues(t, 77, procField(path, "syscw:", ""))
	assert.Zero(t, procField(path, "syscw:", "kB"), "a unit that is not there")
	assert.Zero(t, procField(path, "odd:", ""), "not a number")
	assert.Zero(t, procField(path, "syscr:", ""), "no such line")
	assert.Zero(t, procField(filepath.Join(path, "missing"), "VmHWM:", "kB"))
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
	// Ratios per pair of runs: MB/s 2, 1, 2.67; CPU 0.4, 0.53, 0.22; net of
	// the baseline's 0.05 s 0.36, 0.5, 0.18.
	assert.Contains(t, text, "| loopback | oss-uploadfile | 8 MiB × 4 | 2.00× (1.00–2.67) | 0.40× (0.22–0.53) | "+
		"0.36× (0.18–0.50) | 1.00× (1.00–1.00) |", text)

	// A stream row is compared with the file row.
	stream := row{"loopback", "vodupload stream", "8 MiB × 4", job{Kind: kindVoduploadFeed, Size: gib}}
	out.Reset()
	printReport(&out, c, machineNow(), append(results, result{stream, []measurement{gibRun(2, 0.45), gibRun(2, 0.4), gibRun(2, 0.3)}}))
	assert.Contains(t, out.String(), "| loopback | its file path (stream ÷ file) | 8 MiB × 4 | 0.75× (0.50–1.00) | 1.50× (1.00–1.50) |",
		out.String())

	// A write-size row is reported but never taken for vodupload's side.
	sweep := row{"loopback", "vodupload", "8 MiB × 4, writes 32 KiB", job{Kind: kindVodupload, Size: gib, WriteSize: 32 << 10}}
	out.Reset()
	printReport(&out, c, machineNow(), append(results, result{sweep, []measurement{gibRun(9, 9), gibRun(9, 9), gibRun(9, 9)}}))
	assert.Contains(t, out.String(), "| loopback | oss-uploadfile | 8 MiB × 4 | 2.00× (1.00–2.67) |", out.String())
}

func TestWriteSizeRows(t *testing.T) {
	t.Parallel()
	c, _, err := parseFlags([]string{"-write-sizes", "net/http, 32K,1M,3000,1M/128K", "-no-wan", "-no-https", "-no-floor", "-only", "writes"})
	require.NoError(t, err)
	assert.Equal(t, []wireSizes{{write: netHTTPWrites}, {write: 32 << 10}, {write: 1 << 20}, {write: 3000},
		{write: 1 << 20, read: 128 << 10}}, c.writeSizes)
	sc := c.scenarios()
	require.Len(t, sc, 1)
	var got []string
	for _, r := range sc[0].rows {
		got = append(got, r.id())
		assert.Equal(t, kindVodupload, r.job.Kind)
	}
	assert.Equal(t, []string{"loopback/vodupload/8 MiB × 4, net/http writes", "loopback/vodupload/8 MiB × 4, writes 32 KiB",
		"loopback/vodupload/8 MiB × 4, writes 1 MiB", "loopback/vodupload/8 MiB × 4, writes 3000 B",
		"loopback/vodupload/8 MiB × 4, writes 1 MiB, reads 128 KiB"}, got)
	assert.Equal(t, 128<<10, sc[0].rows[4].job.ReadSize)
	for _, bad := range []string{"0", "-5K", "1G", "x", "1M/", "1M/x"} {
		_, _, err := parseFlags([]string{"-write-sizes", bad})
		assert.Error(t, err, bad)
	}
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

// TestRepeatRows: -repeat adds a file and a stream row making that many
// uploads in one child, and such a child really makes them.
func TestRepeatRows(t *testing.T) {
	t.Parallel()
	c, _, err := parseFlags([]string{"-repeat", "3", "-no-wan", "-no-https", "-no-floor", "-only", "per process"})
	require.NoError(t, err)
	sc := c.scenarios()
	require.Len(t, sc, 1)
	require.Len(t, sc[0].rows, 2)
	assert.Equal(t, "loopback/vodupload/8 MiB × 4, 3 uploads per process", sc[0].rows[0].id())
	assert.Equal(t, "loopback/vodupload stream/8 MiB × 4, 3 uploads per process", sc[0].rows[1].id())
	assert.Equal(t, 3, sc[0].rows[1].job.Repeat)

	srv, err := emulator.New(emulator.Options{Storage: emulator.StorageDiscard})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	env := map[string]string{envEndpoint: srv.URL, envKeyID: srv.AccessKeyID, envSecret: srv.AccessKeySecret}
	raw, err := json.Marshal(job{Kind: kindVoduploadFeed, Size: 3 * mib, PartSize: mib, Workers: 2, Repeat: 2})
	require.NoError(t, err)
	require.NoError(t, runChild(context.Background(), string(raw), func(k string) string { return env[k] }, &bytes.Buffer{}))
	assert.EqualValues(t, 2*3*mib, srv.Counters().BytesReceived)
	assert.EqualValues(t, 2, srv.Counters().Requests["CreateUploadVideo"])
}
