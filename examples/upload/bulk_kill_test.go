package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// Row types of the mixed manifest, and what the import must end with.
const (
	rowVideo      = "video"      // a small file: ok
	rowBig        = "big"        // a multipart video: ok, resumed if killed mid-way
	rowImage      = "image"      // ok
	rowSubtitle   = "subtitle"   // attached media: ok
	rowWatermark  = "watermark"  // attached media: ok
	rowStream     = "stream"     // a URL streamed through the CLI: ok
	rowStream404  = "stream 404" // fails before VOD is called: failed, no media
	rowPull       = "pull"       // VOD fetches the URL: ok
	rowPull404    = "pull 404"   // VOD's fetch fails: failed, its video kept for the report
	rowMissing    = "missing"    // the file does not exist: invalid
	rowInvalid    = "invalid"    // breaks a rule: invalid
	manifestSize  = 200          // rows
	bigVideoBytes = 1536 << 10   // 12 parts of 128 KiB
	killAfter     = 40           // finished rows before the kill
	retryRuns     = 5            // -retry-failed runs allowed to clear injected faults
	invalidKinds  = 5            // the ways a row is invalid, one row each
	headerColumns = "key,path,url,pull,kind,title,tags,cate_id,image_type,business_type,user_data"
)

// mixedRow is one row of the mixed manifest and what it must end as.
type mixedRow struct {
	typ   string
	line  int
	key   string
	cells []string
}

// mixedManifest writes files under dir and returns the manifest's rows:
// 110 small videos, 3 multipart videos (rows 20, 60 and 100), 30 images,
// 15 attached media, 20 streamed URLs (3 of them 404), 12 pulls (2 of
// them 404), 5 missing files and 5 rows that break a rule.
func mixedManifest(t *testing.T, dir, web string) []mixedRow {
	t.Helper()
	counts := []struct {
		typ string
		n   int
	}{{rowImage, 30}, {rowSubtitle, 10}, {rowWatermark, 5}, {rowStream, 17}, {rowStream404, 3},
		{rowPull, 10}, {rowPull404, 2}, {rowMissing, 5}, {rowInvalid, invalidKinds}}
	var types []string
	for _, c := range counts {
		for range c.n {
			types = append(types, c.typ)
		}
	}
	for len(types) < manifestSize-3 {
		types = append(types, rowVideo)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	rng.Shuffle(len(types), func(i, j int) { types[i], types[j] = types[j], types[i] })
	for _, at := range []int{20, 60, 100} {
		types = append(types[:at], append([]string{rowBig}, types[at:]...)...)
	}
	rows := make([]mixedRow, manifestSize)
	invalid := 0
	for i, typ := range types {
		// key,path,url,pull,kind,title,tags,cate_id,image_type,business_type,user_data
		c := make([]string, 11)
		c[5] = fmt.Sprintf("%s %d", typ, i)
		small := make([]byte, 1<<10+rng.IntN(5<<10))
		for j := range small {
			small[j] = byte(rng.Uint32())
		}
		switch typ {
		case rowVideo:
			c[1] = fmt.Sprintf("videos/%03d.mp4", i)
			tempFile(t, dir, c[1], small)
			if i%3 == 0 {
				c[6], c[7], c[10] = "bulk,test", "12", `{"Extend":{"row":"`+strconv.Itoa(i)+`"}}`
			}
		case rowBig:
			c[1] = fmt.Sprintf("videos/big-%03d.mov", i)
			big := make([]byte, bigVideoBytes)
			for j := range big {
				big[j] = byte(rng.Uint32())
			}
			tempFile(t, dir, c[1], big)
		case rowImage:
			c[1], c[4], c[8] = fmt.Sprintf("images/%03d.png", i), "image", "cover"
			tempFile(t, dir, c[1], small)
		case rowSubtitle:
			c[1] = fmt.Sprintf("subs/%03d.srt", i) // kind and business type from the extension
			tempFile(t, dir, c[1], []byte("1\n00:00:01,000 --> 00:00:02,000\nrow "+strconv.Itoa(i)+"\n"))
		case rowWatermark:
			c[1], c[4], c[9] = fmt.Sprintf("marks/%03d.png", i), "attached", "watermark"
			tempFile(t, dir, c[1], small)
		case rowStream:
			c[2] = fmt.Sprintf("%s/stream/%03d.mp4?sig=secret-%d", web, i, i)
		case rowStream404:
			c[2] = fmt.Sprintf("%s/gone/%03d.mp4?sig=secret", web, i)
		case rowPull:
			c[2], c[3] = fmt.Sprintf("%s/pull/%03d.mp4", web, i), "true"
		case rowPull404:
			c[2], c[3] = fmt.Sprintf("%s/gone/pull-%03d.mp4", web, i), "true"
		case rowMissing:
			c[1] = fmt.Sprintf("videos/missing-%03d.mp4", i)
		case rowInvalid:
			c[1] = fmt.Sprintf("videos/%03d.mp4", i)
			tempFile(t, dir, c[1], small)
			switch invalid {
			case 0:
				c[4] = "podcast"
			case 1:
				c[8] = "cover" // image_type on a video
			case 2:
				c[1], c[4], c[3] = fmt.Sprintf("images/%03d.png", i), "image", "true" // pull of an image
				tempFile(t, dir, c[1], small)
			case 3:
				c[7] = "twelve"
			case 4:
				c[5] = "" // a video needs a title
			}
			invalid++
		}
		if i%4 == 0 {
			c[0] = fmt.Sprintf("row-%03d", i) // some rows name their key
		}
		key := c[0]
		if key == "" {
			key = rowKey(rowKind(map[string]string{"kind": c[4], "path": c[1], "url": c[2]}, rowDefaults{}), c[1]+c[2], c[5])
		}
		rows[i] = mixedRow{typ: typ, line: i + 2, key: key, cells: c}
	}
	return rows
}

// mixedWeb serves the streamed and pulled rows; every other path is 404.
func mixedWeb(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for i := range manifestSize {
		tempFile(t, root, fmt.Sprintf("stream/%03d.mp4", i), []byte(strings.Repeat("s", 2000+i)))
		tempFile(t, root, fmt.Sprintf("pull/%03d.mp4", i), []byte(strings.Repeat("p", 1000+i)))
	}
	return serveDir(t, root)
}

// recordedIDs are the media and job IDs a results file names.
func recordedIDs(recs []record) map[string]bool {
	out := map[string]bool{}
	for _, r := range recs {
		out[r.MediaID] = true
		out[r.JobID] = true
	}
	return out
}

// multipartUnderWay reports whether a multipart upload has parts and is
// not complete: a multipart video is mid-upload.
func multipartUnderWay(srv *emulator.Server) bool {
	c := srv.Counters()
	for _, id := range srv.MultipartUploads() {
		if len(c.Parts[id]) > 0 {
			return true
		}
	}
	return false
}

// TestBulkImportKilledMidwayEndsWithEveryRowDoneOnce is the import's
// promise: SIGKILL at any moment, run the same command again, and every
// valid row ends done exactly once, with one media record per row in
// VOD and none orphaned; a video killed mid-upload continues under its
// VideoId. Faults are on throughout; rows they fail are retried with
// -retry-failed, as a user would.
//
// The kill comes once 40 rows finished and a multipart video is under
// way. Just before it, the proxy holds calls that would register new
// media, until every registration VOD answered is in the results file:
// the milliseconds between VOD's answer and the synced "started" line
// are the one window in which a crash leaves an empty record that no
// rerun can find (as with any client's checkpoint), and the test keeps
// the kill out of them to count records exactly.
func TestBulkImportKilledMidwayEndsWithEveryRowDoneOnce(t *testing.T) {
	srv := startEmulator(t, emulator.Options{Faults: emulator.Faults{Seed: 17, ErrorRate: 0.02, ResetRate: 0.01,
		ResetAfter: 32 << 10, ThrottleRate: 0.01, VODErrorRate: 0.02, BandwidthBPS: 512 << 10}})
	proxy := newVODProxy(t, srv.URL)
	dir := t.TempDir()
	rows := mixedManifest(t, dir, mixedWeb(t))
	table := [][]string{strings.Split(headerColumns, ",")}
	for _, r := range rows {
		table = append(table, r.cells)
	}
	manifest := filepath.Join(dir, "import.csv")
	writeCSV(t, manifest, table)
	results := filepath.Join(dir, "import.csv.results.jsonl")
	args := []string{"-endpoint", proxy.URL, "-manifest", manifest, "-part-size", "128KiB", "-threshold", "128KiB",
		"-concurrency", "2", "-retry-base-delay", "5ms", "-retry-max-delay", "50ms", "-progress", "none"}

	// The first run, killed.
	childOut := filepath.Join(dir, "child.out")
	child := startBulkChild(t, childOut, args...)
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		finished := 0
		for _, r := range readRecords(t, results) {
			if r.Status != statusStarted {
				finished++
			}
		}
		if finished >= killAfter && multipartUnderWay(srv) {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the CLI ended before it was killed: %v\n%s", err, readFile(t, childOut))
		default:
		}
		require.True(t, time.Now().Before(deadline), "no multipart video under way after %d rows:\n%s", finished, readFile(t, childOut))
		time.Sleep(5 * time.Millisecond)
	}
	proxy.hold()
	require.Eventually(t, func() bool {
		ids, idle := proxy.registered()
		onRecord := recordedIDs(readRecords(t, results))
		for id := range ids {
			if !onRecord[id] {
				return false
			}
		}
		return idle
	}, time.Minute, 2*time.Millisecond, "every registration VOD answered reaches the results file")
	require.NoError(t, child.Process.Kill()) // SIGKILL: no cleanup, no last line
	<-exited
	proxy.release()

	atKill := latest(readRecords(t, results))
	byKey := map[string]mixedRow{}
	killed := map[string]string{} // multipart videos caught mid-upload: key → VideoId
	for _, r := range rows {
		byKey[r.key] = r
		if rec, ok := atKill[r.key]; ok && r.typ == rowBig && rec.Status == statusStarted {
			killed[r.key] = rec.MediaID
		}
	}
	require.NotEmpty(t, killed, "a multipart video was killed mid-upload")
	t.Logf("killed after %d results lines, %d multipart video(s) mid-upload", len(readRecords(t, results)), len(killed))

	// The same command again, then -retry-failed until only the rows that
	// cannot succeed fail.
	rerun := runCLI(t.Context(), nil, args...)
	require.Equal(t, exitUsage, rerun.code, "invalid rows make the exit code 2:\n%s", rerun.stderr)
	for _, r := range rows {
		if r.typ == rowInvalid || r.typ == rowMissing {
			assert.Contains(t, rerun.stderr, fmt.Sprintf("upload: line %d: invalid row: ", r.line), "%s row listed by its line", r.typ)
		}
	}
	last, retries := rerun, 0
	for ; ; retries++ {
		pending := 0
		for key, rec := range latest(readRecords(t, results)) {
			if rec.Status != statusOK && byKey[key].typ != rowStream404 && byKey[key].typ != rowPull404 {
				pending++
			}
		}
		if pending == 0 {
			break
		}
		require.Less(t, retries, retryRuns, "rows still failing after %d retries:\n%s", retries, last.stderr)
		last = runCLI(t.Context(), nil, append(args, "-retry-failed")...)
	}

	// Every valid row done once, with its media; the rest reported.
	recs := readRecords(t, results)
	final := latest(recs)
	okLines := map[string]int{}
	for _, r := range recs {
		if r.Status == statusOK {
			okLines[r.Key]++
		}
	}
	owner := map[string]string{} // media ID → the row it ended in
	for _, r := range rows {
		rec, ok := final[r.key]
		switch r.typ {
		case rowInvalid, rowMissing:
			assert.False(t, ok, "line %d: an invalid row never reaches VOD", r.line)
			continue
		case rowStream404:
			assert.Equal(t, statusFailed, rec.Status, "line %d", r.line)
			assert.Empty(t, rec.MediaID, "line %d: failed before VOD was called", r.line)
			assert.Contains(t, last.stderr, fmt.Sprintf("upload: line %d (key %s): ", r.line, r.key), "failed row reported")
			assert.NotContains(t, rec.Source, "secret", "no query string in the results")
			continue
		case rowPull404:
			assert.Equal(t, statusFailed, rec.Status, "line %d", r.line)
			assert.Contains(t, rec.Error, "DOWNLOAD_FAIL")
		default:
			assert.Equal(t, statusOK, rec.Status, "line %d (%s): %s", r.line, r.typ, rec.Error)
			assert.Equal(t, 1, okLines[r.key], "line %d: done exactly once", r.line)
		}
		require.NotEmpty(t, rec.MediaID, "line %d", r.line)
		assert.True(t, srv.HasMedia(rec.MediaID), "line %d: its media exists", r.line)
		assert.Empty(t, owner[rec.MediaID], "line %d shares its media with %s", r.line, owner[rec.MediaID])
		owner[rec.MediaID] = r.key
	}
	resumed := 0
	for key, id := range killed {
		assert.Equal(t, id, final[key].MediaID, "line %d: the killed video continued under its VideoId", byKey[key].line)
		resumed += final[key].ResumedParts
	}
	assert.Positive(t, resumed, "parts acknowledged before the kill were taken over, not sent again")
	orphans := 0
	for id := range proxy.allSeen() {
		if srv.HasMedia(id) && owner[id] == "" {
			orphans++
			t.Errorf("media %s exists in VOD but belongs to no row", id)
		}
	}
	assert.Zero(t, orphans)
	c := srv.Counters()
	t.Logf("faults injected: %v; %d -retry-failed run(s)", c.Faults, retries)
	assert.Positive(t, c.Faults["error"]+c.Faults["vod_error"]+c.Faults["throttle"]+c.Faults["reset"], "faults were on")
}
