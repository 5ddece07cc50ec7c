package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload"
	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// events parses -json output: one object per line.
func events(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(stdout) {
		var ev map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &ev), "line %q", line)
		out = append(out, ev)
	}
	return out
}

func eventsNamed(evs []map[string]any, name string) []map[string]any {
	var out []map[string]any
	for _, ev := range evs {
		if ev["event"] == name {
			out = append(out, ev)
		}
	}
	return out
}

func TestBulkManifestInEitherFormatUploadsEveryRowAndARerunSkipsThem(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	dir := t.TempDir()
	tempFile(t, dir, "media/clip.mp4", bytes.Repeat([]byte("v"), 5000))
	tempFile(t, dir, "media/logo.png", bytes.Repeat([]byte("i"), 700))
	tempFile(t, dir, "media/subs.vtt", []byte("WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n"))
	webRoot := t.TempDir()
	tempFile(t, webRoot, "web.mp4", bytes.Repeat([]byte("w"), 3000))
	tempFile(t, webRoot, "pull.mp4", []byte("pulled"))
	web := serveDir(t, webRoot)
	formats := map[string]string{
		"import.csv": "path,url,pull,kind,title,tags,cate_id,user_data,image_type\n" +
			"media/clip.mp4,,,,Clip,\"a,b\",3,\"{\"\"Extend\"\":{\"\"k\"\":\"\"v\"\"}}\",\n" +
			"media/logo.png,,,,Logo,,,,cover\n" +
			"media/subs.vtt,,,,Subtitles,,,,\n" +
			"," + web + "/web.mp4?token=s3cret,,,From the web,,,,\n" +
			"," + web + "/pull.mp4,true,,Pulled,,,,\n",
		"import.jsonl": `{"path": "media/clip.mp4", "title": "Clip", "tags": ["a", "b"], "cate_id": 3, "user_data": {"Extend": {"k": "v"}}}
{"path": "media/logo.png", "title": "Logo", "image_type": "cover"}
# comments and blank lines are skipped

{"path": "media/subs.vtt", "title": "Subtitles"}
{"url": "` + web + `/web.mp4?token=s3cret", "title": "From the web"}
{"url": "` + web + `/pull.mp4", "pull": true, "title": "Pulled"}
`,
	}
	for name, text := range formats {
		t.Run(name, func(t *testing.T) {
			manifest := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(manifest, []byte(text), 0o600))
			before := srv.Counters()
			first := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-manifest", manifest, "-json", "-progress", "none")
			require.Equal(t, exitOK, first.code, first.stderr)
			evs := events(t, first.stdout)
			items := eventsNamed(evs, "item")
			require.Len(t, items, 5)
			kinds := map[string]string{}
			for _, it := range items {
				assert.Equal(t, statusOK, it["status"], "%v", it)
				assert.True(t, srv.HasMedia(it["media_id"].(string)), "%v", it)
				kinds[it["source"].(string)] = it["kind"].(string)
				assert.NotContains(t, it["source"], "s3cret")
			}
			assert.Equal(t, map[string]string{"media/clip.mp4": "video", "media/logo.png": "image",
				"media/subs.vtt": "attached", web + "/web.mp4": "video", web + "/pull.mp4": "video"}, kinds)
			summary := eventsNamed(evs, "summary")
			require.Len(t, summary, 1)
			assert.EqualValues(t, 5, summary[0]["files_done"])
			assert.EqualValues(t, 0, summary[0]["exit_code"])
			assert.Contains(t, first.stderr, "upload: done 5, failed 0")

			recs := readRecords(t, manifest+".results.jsonl")
			assert.Len(t, latest(recs), 5)
			for _, r := range recs {
				assert.NotZero(t, r.Time)
				if r.Status == statusOK && r.Source == "media/clip.mp4" {
					assert.EqualValues(t, 5000, r.Bytes)
				}
			}
			_, err := os.Stat(manifest + ".results.checkpoints")
			assert.NoError(t, err, "checkpoints are on by default, next to the results")

			again := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-manifest", manifest, "-progress", "none")
			require.Equal(t, exitOK, again.code, again.stderr)
			assert.Contains(t, again.stderr, "0 to upload (0 B), 5 done earlier")
			after := srv.Counters()
			for action, n := range map[string]int64{"CreateUploadVideo": 2, "CreateUploadImage": 1,
				"CreateUploadAttachedMedia": 1, "UploadMediaByURL": 1} {
				assert.Equal(t, before.Requests[action]+n, after.Requests[action], "%s: once per row, not again on the rerun", action)
			}
		})
	}
}

func TestBulkInvalidRowsAreListedByLineBeforeAnyUpload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tempFile(t, dir, "ok.mp4", []byte("video"))
	tempFile(t, dir, "pic.png", []byte("png"))
	tempFile(t, dir, "empty.mp4", nil)
	manifest := filepath.Join(dir, "m.csv")
	rows := [][]string{
		{"path", "url", "kind", "title", "cate_id", "image_type", "pull", "tags", "user_data", "key"},
		{"ok.mp4", "", "", "fine", "", "", "", "", "", ""},
		{"missing.mp4", "", "", "gone", "", "", "", "", "", ""},
		{"ok.mp4", "", "", "", "", "", "", "", "", ""},
		{"ok.mp4", "", "podcast", "t", "", "", "", "", "", ""},
		{"ok.mp4", "", "", "t", "twelve", "", "", "", "", ""},
		{"ok.mp4", "", "", "t", "", "cover", "", "", "", ""},
		{"pic.png", "", "", "t", "", "", "yes", "", "", ""},
		{"ok.mp4", "https://example.com/a.mp4", "", "t", "", "", "", "", "", ""},
		{"", "ftp://example.com/a.mp4", "", "t", "", "", "", "", "", ""},
		{"ok.mp4", "", "", "t", "", "", "", strings.Repeat("x,", 17), "", ""},
		{"ok.mp4", "", "", "t", "", "", "", "", `{"Extnd":{}}`, ""},
		{"empty.mp4", "", "", "t", "", "", "", "", "", ""},
		{"ok.mp4", "", "", "fine", "", "", "", "", "", ""},
		{"ok.mp4", "", "", "other", "", "", "", "", "", "k1"},
		{"pic.png", "", "", "other", "", "", "", "", "", "k1"},
	}
	writeCSV(t, manifest, rows)
	want := map[int]string{
		3:  "path missing.mp4: no such file",
		4:  "title: required",
		5:  `kind "podcast": use video, image or attached`,
		6:  `cate_id: want an integer, got "twelve"`,
		7:  "column image_type does not apply to kind video",
		8:  "column pull does not apply to kind image",
		9:  "path and url cannot both be set",
		10: "url: an http or https URL",
		11: "tags: ",
		12: "user_data: want a JSON object",
		13: "path empty.mp4: empty file",
		14: "same key as line 2",
		16: "same key as line 15",
	}
	// A closed port: a dry run calls nothing.
	res := runCLI(t.Context(), nil, "-endpoint", "http://127.0.0.1:1", "-manifest", manifest, "-dry-run")
	assert.Equal(t, exitUsage, res.code)
	for line, msg := range want {
		assert.Contains(t, res.stderr, fmt.Sprintf("upload: line %d: invalid row: %s", line, msg))
	}
	assert.Equal(t, len(want)+1, strings.Count(res.stderr, "\n"), "one line per bad row, then the plan:\n%s", res.stderr)
	assert.Contains(t, res.stderr, "upload: 2 to upload (10 B), 0 done earlier, 0 failed earlier, 13 invalid")
	_, err := os.Stat(manifest + ".results.jsonl")
	assert.ErrorIs(t, err, os.ErrNotExist, "a dry run writes nothing")

	// A manifest that cannot be read at all is one error.
	require.NoError(t, os.WriteFile(manifest, []byte("path,titel\nok.mp4,x\n"), 0o600))
	res = runCLI(t.Context(), nil, "-endpoint", "http://127.0.0.1:1", "-manifest", manifest, "-dry-run")
	assert.Equal(t, exitUsage, res.code)
	assert.Contains(t, res.stderr, `manifest line 1: unknown column "titel"`)
}

func TestBulkDirUploadsTheTreeTitledByFileName(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	root := filepath.Join(t.TempDir(), "library")
	for _, name := range []string{"Holiday 2024.mp4", "clips/Goal.MOV", "clips/notes.txt", ".cache/x.mp4", "poster.png"} {
		tempFile(t, root, name, []byte("bytes of "+name))
	}
	res := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-dir", root, "-ext", "mp4,.mov", "-tags", "import",
		"-json", "-progress", "none")
	require.Equal(t, exitOK, res.code, res.stderr)
	items := eventsNamed(events(t, res.stdout), "item")
	sources := map[string]string{}
	for _, it := range items {
		sources[it["source"].(string)] = it["media_id"].(string)
		assert.Nil(t, it["line"], "a -dir row has no line")
	}
	require.Equal(t, []string{"Holiday 2024.mp4", "clips/Goal.MOV"}, slices.Sorted(func(yield func(string) bool) {
		for s := range sources {
			if !yield(s) {
				return
			}
		}
	}), "the extensions asked for, case aside; no hidden file")
	vod, err := vodapi.New(vodapi.Config{Endpoint: srv.URL,
		Credentials: credentials.NewStaticAKCredentialsProvider(srv.AccessKeyID, srv.AccessKeySecret)})
	require.NoError(t, err)
	for source, want := range map[string]string{"Holiday 2024.mp4": "Holiday 2024", "clips/Goal.MOV": "Goal"} {
		info, err := vod.GetVideoInfo(t.Context(), sources[source])
		require.NoError(t, err)
		assert.Equal(t, want, info.Title, "the title is the file name without its extension")
		assert.Equal(t, []string{"import"}, info.Tags, "metadata flags apply to every file")
	}
	assert.Len(t, latest(readRecords(t, root+".results.jsonl")), 2, "the results file sits next to the directory")

	// Without -ext: every media file; the image is told by its extension.
	res = runCLI(t.Context(), nil, "-endpoint", srv.URL, "-dir", root, "-results", filepath.Join(t.TempDir(), "all.jsonl"),
		"-json", "-progress", "none")
	require.Equal(t, exitOK, res.code, res.stderr)
	kinds := map[string]string{}
	for _, it := range eventsNamed(events(t, res.stdout), "item") {
		kinds[it["source"].(string)] = it["kind"].(string)
	}
	assert.Equal(t, map[string]string{"Holiday 2024.mp4": "video", "clips/Goal.MOV": "video", "poster.png": "image"}, kinds)
}

func TestBulkShardsSplitTheManifestAndTheirResultsConcatenate(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	dir := t.TempDir()
	table := [][]string{{"path", "title"}}
	for i := range 40 {
		name := fmt.Sprintf("v/%02d.mp4", i)
		tempFile(t, dir, name, []byte(name))
		table = append(table, []string{name, fmt.Sprintf("video %d", i)})
	}
	manifest := filepath.Join(dir, "m.csv")
	writeCSV(t, manifest, table)
	shard := func(spec string) map[string]record {
		res := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-manifest", manifest, "-shard", spec,
			"-results", filepath.Join(dir, "shard-"+spec[:1]+".jsonl"), "-progress", "none")
		require.Equal(t, exitOK, res.code, res.stderr)
		return latest(readRecords(t, filepath.Join(dir, "shard-"+spec[:1]+".jsonl")))
	}
	a, b := shard("0/2"), shard("1/2")
	assert.NotEmpty(t, a)
	assert.NotEmpty(t, b)
	for key := range a {
		assert.NotContains(t, b, key, "a row in both shards")
	}
	assert.Len(t, a, 40-len(b), "every row in one shard")
	assert.EqualValues(t, 40, srv.Counters().Requests["CreateUploadVideo"])

	// The shards' results, concatenated, are the whole import's.
	var all []byte
	for _, s := range []string{"0", "1"} {
		data, err := os.ReadFile(filepath.Join(dir, "shard-"+s+".jsonl"))
		require.NoError(t, err)
		all = append(all, data...)
	}
	combined := filepath.Join(dir, "all.jsonl")
	require.NoError(t, os.WriteFile(combined, all, 0o600))
	res := runCLI(t.Context(), nil, "-endpoint", srv.URL, "-manifest", manifest, "-results", combined, "-progress", "none")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stderr, "0 to upload (0 B), 40 done earlier")
	assert.EqualValues(t, 40, srv.Counters().Requests["CreateUploadVideo"])
}

func TestBulkRetriesAFailedRowOnlyWhenAsked(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	var up atomic.Bool
	var gets atomic.Int64
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		if !up.Load() {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("finally"))
	}))
	t.Cleanup(web.Close)
	dir := t.TempDir()
	tempFile(t, dir, "ok.mp4", []byte("ok"))
	manifest := filepath.Join(dir, "m.csv")
	writeCSV(t, manifest, [][]string{{"path", "url", "title"}, {"ok.mp4", "", "ok"}, {"", web.URL + "/late.mp4", "late"}})
	args := []string{"-endpoint", srv.URL, "-manifest", manifest, "-progress", "none", "-retries", "0"}

	first := runCLI(t.Context(), nil, args...)
	assert.Equal(t, exitFailed, first.code, first.stderr)
	assert.Contains(t, first.stderr, "upload: line 3 (key ")
	assert.Contains(t, first.stderr, "done 1, failed 1")

	up.Store(true)
	n := gets.Load()
	second := runCLI(t.Context(), nil, args...)
	assert.Equal(t, exitFailed, second.code, "the import is not complete")
	assert.Contains(t, second.stderr, "1 failed earlier (run with -retry-failed to retry)")
	assert.Equal(t, n, gets.Load(), "a failed row is not tried again unasked")

	third := runCLI(t.Context(), nil, append(args, "-retry-failed")...)
	assert.Equal(t, exitOK, third.code, third.stderr)
	assert.Contains(t, third.stderr, "done 1, failed 0, skipped 1")
	assert.Equal(t, statusOK, latest(readRecords(t, manifest+".results.jsonl"))[rowKey(vodupload.KindVideo, web.URL+"/late.mp4", "late")].Status)
}

func TestBulkInterruptedRunRecordsNoFailureAndTheRerunResumes(t *testing.T) {
	srv := startEmulator(t, emulator.Options{Faults: emulator.Faults{BandwidthBPS: 1 << 20}})
	dir := t.TempDir()
	tempFile(t, dir, "big.mp4", bytes.Repeat([]byte("0123456789abcdef"), 1<<16)) // 1 MiB
	tempFile(t, dir, "small.mp4", []byte("small"))
	manifest := filepath.Join(dir, "m.csv")
	writeCSV(t, manifest, [][]string{{"path", "title"}, {"big.mp4", "big"}, {"small.mp4", "small"}})
	args := []string{"-endpoint", srv.URL, "-manifest", manifest, "-part-size", "128KiB", "-threshold", "128KiB",
		"-concurrency", "1", "-progress", "none"}

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		defer cancel()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			if srv.Counters().Requests["UploadPart"] >= 3 {
				return
			}
		}
	}()
	first := runCLI(ctx, nil, args...)
	require.Equal(t, exitInterrupted, first.code, first.stderr)
	assert.Contains(t, first.stderr, "interrupted; run the same command again to continue: ")
	bigKey := rowKey(vodupload.KindVideo, "big.mp4", "big")
	rec := latest(readRecords(t, manifest+".results.jsonl"))[bigKey]
	require.Equal(t, statusStarted, rec.Status, "an interrupted item is not a failure")

	second := runCLI(t.Context(), nil, args...)
	require.Equal(t, exitOK, second.code, second.stderr)
	done := latest(readRecords(t, manifest+".results.jsonl"))[bigKey]
	assert.Equal(t, rec.MediaID, done.MediaID, "same VideoId")
	assert.Positive(t, done.ResumedParts)
	assert.EqualValues(t, 1<<20, done.Bytes)
}

// TestBulkStopsAndFailsWhenTheResultsFileCannotBeWritten: without its
// results line a rerun would lose track of what VOD registered, so the
// import stops; it must not then exit 0 as if every row were done.
func TestBulkStopsAndFailsWhenTheResultsFileCannotBeWritten(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	dir := t.TempDir()
	tempFile(t, dir, "a.mp4", []byte("first video"))
	tempFile(t, dir, "b.mp4", []byte("second video"))
	manifest := filepath.Join(dir, "m.csv")
	writeCSV(t, manifest, [][]string{{"path", "title"}, {"a.mp4", "a"}, {"b.mp4", "b"}})
	var stderr bytes.Buffer
	c, err := parseArgs([]string{"-endpoint", srv.URL, "-manifest", manifest, "-progress", "none", "-files", "1"}, &stderr)
	require.NoError(t, err)
	p, err := c.plan()
	require.NoError(t, err)
	require.Len(t, p.todo, 2)
	res, err := openResults(c.bulk.results)
	require.NoError(t, err)
	require.NoError(t, res.f.Close()) // every append fails from here on
	up, err := vodupload.New(c.options(func(vodupload.Progress) {}, c.warnings(&stderr))...)
	require.NoError(t, err)
	view := newBatchView("none", &stderr, nil, time.Second, batchTotals{Files: len(p.todo)})

	inputErr, stopped := upload(t.Context(), up, c, p.todo, res, view)
	totals := view.finish()
	assert.False(t, inputErr)
	require.ErrorContains(t, stopped, "results: write")
	assert.Equal(t, exitFailed, bulkExit(p, totals, false, inputErr, stopped != nil))
}

func TestBulkFlagsThatDoNotApplyAreRefused(t *testing.T) {
	t.Parallel()
	m := filepath.Join(t.TempDir(), "m.csv")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-manifest", m, "-file", "a.mp4"}, "-file does not apply to a bulk import"},
		{[]string{"-manifest", m, "-title", "x"}, "-title does not apply to a bulk import"},
		{[]string{"-manifest", m, "-dir", "."}, "-manifest and -dir cannot be used together"},
		{[]string{"-manifest", m, "-ext", "mp4"}, "-ext applies to -dir only"},
		{[]string{"-manifest", m, "-shard", "2/2"}, "want i/n with 0 <= i < n"},
		{[]string{"-manifest", m, "-files", "0"}, "-files must be at least 1"},
		{[]string{"-manifest", m, "-kind", "m3u8"}, "-kind m3u8 does not apply to a bulk import"},
		{[]string{"-manifest", m}, "manifest: open "},
	} {
		res := runCLI(t.Context(), nil, append([]string{"-endpoint", "http://127.0.0.1:1"}, tt.args...)...)
		assert.Equal(t, exitUsage, res.code, "%v: %s", tt.args, res.stderr)
		assert.Contains(t, res.stderr, tt.want)
	}
}

func TestResultsFileSkipsALineCutShortAndStartsTheNextOnItsOwn(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.jsonl")
	var b bytes.Buffer
	for _, r := range []record{{Key: "a", Status: statusOK, MediaID: "m1"}, {Key: "b", Status: statusStarted, MediaID: "m2"}} {
		line, _ := json.Marshal(r)
		b.Write(append(line, '\n'))
	}
	b.WriteString(`{"key":"b","status":"o`) // killed mid-write
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o600))

	state, skipped, err := readResults(path)
	require.NoError(t, err)
	assert.Equal(t, 1, skipped)
	assert.Equal(t, statusStarted, state["b"].Status, "the cut line is ignored: b is still in flight")

	f, err := openResults(path)
	require.NoError(t, err)
	require.NoError(t, f.append(record{Key: "b", Status: statusOK, MediaID: "m2"}))
	if runtime.GOOS != "windows" {
		_, err := openResults(path)
		assert.ErrorContains(t, err, "in use by another run")
	}
	require.NoError(t, f.Close())
	state, skipped, err = readResults(path)
	require.NoError(t, err)
	assert.Equal(t, 1, skipped)
	assert.Equal(t, statusOK, state["b"].Status, "the line after the cut one parses")
}

func TestBatchViewCountsThisRunsBytesAndWritesEvents(t *testing.T) {
	t.Parallel()
	var stderr, stdout bytes.Buffer
	v := newBatchView("lines", &stderr, &stdout, time.Hour, batchTotals{Files: 3, BytesTotal: 300})
	v.itemProgress(0)(vodupload.Progress{Done: 150, Resumed: 100})
	v.itemProgress(1)(vodupload.Progress{Done: 40})
	v.itemDone(vodupload.BatchResult{Index: 1, Result: vodupload.Result{Bytes: 100}},
		record{Key: "k1", Line: 3, Status: statusOK}, 100)
	v.itemDone(vodupload.BatchResult{Index: 2, Err: fmt.Errorf("boom")},
		record{Key: "k2", Line: 4, Status: statusFailed, Error: "boom"}, 0)
	v.mu.Lock()
	mid := v.snapshot(time.Now())
	v.mu.Unlock()
	assert.EqualValues(t, 150, mid.BytesSent, "item 0's 50 of this run and item 1's 100")
	assert.EqualValues(t, 100, mid.BytesResumed)
	assert.Equal(t, "2/3 files, 1 failed, 250 B / 300 B", batchNumbers(batchTotals{Files: 3, Done: 1, Failed: 1,
		BytesTotal: 300, BytesSent: 150, BytesResumed: 100}))
	final := v.finish()
	assert.Equal(t, 1, final.Done)
	assert.Equal(t, 1, final.Failed)
	assert.Equal(t, "upload: line 4 (key k2): boom\n", stderr.String())
	evs := eventsNamed(events(t, stdout.String()), "item")
	require.Len(t, evs, 2)
	assert.Equal(t, "k1", evs[0]["key"])
	assert.Equal(t, "boom", evs[1]["error"])
}

func FuzzManifest(f *testing.F) {
	f.Add([]byte("path,title\na.mp4,A\n"))
	f.Add([]byte("url,pull,title,tags\nhttps://x/a.mp4,true,T,\"a,b\"\n"))
	f.Add([]byte(`{"path":"a.mp4","title":"A","tags":["x"],"user_data":{"Extend":{"k":"v"}}}` + "\n{\"url\":1}\n"))
	f.Add([]byte("\xef\xbb\xbfkind,path\n\"image\",b.png\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "m")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		raws, err := readManifest(path)
		if err != nil {
			return
		}
		for _, r := range checkRows(raws, t.TempDir(), rowDefaults{}) {
			require.NotEmpty(t, r.key)
			if r.err == nil {
				require.NoError(t, r.item.Validate(), "a row that passed is a valid item")
				require.True(t, (r.item.Source == nil) != (r.item.URL == ""), "exactly one source")
			}
		}
	})
}

func FuzzResults(f *testing.F) {
	f.Add([]byte(`{"key":"a","status":"ok","media_id":"m"}` + "\n" + `{"key":"a","sta`))
	f.Add([]byte("\n\n{}\n[1]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "r.jsonl")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		state, skipped, err := readResults(path)
		if err != nil {
			return // a line past the scanner's limit
		}
		assert.LessOrEqual(t, len(state)+skipped, bytes.Count(data, []byte("\n"))+1)
		for key, rec := range state {
			assert.Equal(t, key, rec.Key)
			assert.NotEmpty(t, rec.Status)
		}
	})
}

func TestAPullStillRunningIsRecordedAsStartedAndOnlyAFailedFetchAsFailed(t *testing.T) {
	t.Parallel()
	r := row{key: "k", line: 2, source: "https://example.com/a.mp4", kind: vodupload.KindVideo}
	running := vodupload.PullJob{JobID: "job-1", VideoID: "v-1", Status: "DOWNLOADING"}
	rec := resultRecord(r, vodupload.BatchResult{Pull: &running, Result: vodupload.Result{MediaID: "v-1"},
		Err: context.DeadlineExceeded})
	assert.Equal(t, statusStarted, rec.Status, "the wait ended, VOD's fetch did not: the rerun waits again")
	assert.Equal(t, "job-1", rec.JobID)
	assert.NotEmpty(t, rec.Error)

	failed := vodupload.PullJob{JobID: "job-2", VideoID: "v-2", Status: "DOWNLOAD_FAIL", Done: true}
	rec = resultRecord(r, vodupload.BatchResult{Pull: &failed, Result: vodupload.Result{MediaID: "v-2"},
		Err: &vodupload.PullError{Jobs: []vodupload.PullJob{failed}}})
	assert.Equal(t, statusFailed, rec.Status)
	assert.Equal(t, "v-2", rec.MediaID, "kept, so -retry-failed can delete it before fetching again")
}
