package main

// Bulk import: -manifest FILE (CSV or JSON Lines) or -dir PATH, every row
// checked before the first upload, the rows uploaded through
// Uploader.UploadBatch, and every event appended to the results file,
// which is the import's state: run the same command again to continue.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vodupload/vodupload"
)

// bulkConfig is the bulk import's part of the command line.
type bulkConfig struct {
	manifest, dir string
	exts          stringList
	results       string
	retryFailed   bool
	dryRun        bool
	shard         shardFlag
	files         int
}

func (b *bulkConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&b.manifest, "manifest", "", "bulk import: upload every row of this CSV (header row) or JSON Lines `file` (see README, Bulk import)")
	fs.StringVar(&b.dir, "dir", "", "bulk import: upload every file under this `directory`, titled with its file name")
	fs.Var(&b.exts, "ext", "with -dir: the file `extensions` to take, e.g. mp4,mov (default: video, audio, image and subtitle files)")
	fs.StringVar(&b.results, "results", "", "bulk import: the results `file` (JSON Lines), also the import's state (default: the manifest or directory name + .results.jsonl)")
	fs.BoolVar(&b.retryFailed, "retry-failed", false, "bulk import: upload again the rows whose last result is failed")
	fs.BoolVar(&b.dryRun, "dry-run", false, "bulk import: check every row and say what would be uploaded, then stop")
	fs.Var(&b.shard, "shard", "bulk import: take only the rows of shard `i/n` (by a hash of the row key), so n machines share one manifest")
	fs.IntVar(&b.files, "files", vodupload.DefaultBatchConcurrency, "bulk import: files uploaded at once")
}

func (b *bulkConfig) active() bool { return b.manifest != "" || b.dir != "" }

// checkBulk checks the flags of a bulk import and fills in the defaults
// of -results and -checkpoint-dir.
func (c *config) checkBulk() error {
	b := &c.bulk
	switch {
	case b.manifest != "" && b.dir != "":
		return usagef("-manifest and -dir cannot be used together")
	case len(b.exts) > 0 && b.dir == "":
		return usagef("-ext applies to -dir only")
	case b.files < 1:
		return usagef("-files must be at least 1, got %d", b.files)
	}
	if err := c.refuseFlags("does not apply to a bulk import: each row has its own", "file", "url", "name", "title",
		"pull", "image-ext", "media-ext", "cover-url", "segments"); err != nil {
		return err
	}
	if err := c.refuseFlags("does not apply to a bulk import", "ticket", "checkpoints", "older-than"); err != nil {
		return err
	}
	if c.set["kind"] && c.kind != "video" && c.kind != "image" && c.kind != "attached" {
		return usagef("-kind %s does not apply to a bulk import: use video, image or attached", c.kind)
	}
	if b.results == "" {
		b.results = strings.TrimRight(b.manifest+b.dir, `/\`) + ".results.jsonl"
	}
	// Checkpoints are on unless turned off with -checkpoint-dir '': a
	// video killed mid-upload then continues under its VideoId, parts and all.
	if !c.set["checkpoint-dir"] {
		c.checkpointDir = strings.TrimSuffix(b.results, ".jsonl") + ".checkpoints"
	}
	for i, e := range b.exts {
		b.exts[i] = strings.ToLower(strings.TrimPrefix(e, "."))
	}
	return nil
}

// shardFlag is -shard i/n.
type shardFlag struct{ i, n int }

func (s *shardFlag) String() string {
	if s.n == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.i, s.n)
}

func (s *shardFlag) Set(v string) error {
	is, ns, ok := strings.Cut(v, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return errors.New("want i/n with 0 <= i < n, e.g. 0/4")
	}
	s.i, s.n = i, n
	return nil
}

// defaults are the metadata flags as the defaults of every row.
func (c *config) defaults() rowDefaults {
	d := rowDefaults{description: c.description, tags: c.tags, cateID: c.cateID, cateIDs: c.cateIDs,
		templateGroupID: c.templateGroupID, workflowID: c.workflowID, storageLocation: c.storageLocation,
		appID: c.appID, userData: c.userData(), imageType: c.imageType, businessType: c.businessType}
	if c.set["kind"] {
		d.kind = c.kind
	}
	return d
}

// bulkPlan is what a run does with the rows of its shard.
type bulkPlan struct {
	invalid       []row
	todo          []row // with Resume set where an earlier run started the row
	skipped       int   // done by an earlier run
	failedEarlier int   // failed before and not retried
	unreadable    int   // results lines that did not parse
}

// plan reads the rows and the results file and decides what to upload.
func (c *config) plan() (*bulkPlan, error) {
	b := &c.bulk
	var raws []rawRow
	var err error
	base := b.dir
	if b.manifest != "" {
		raws, err = readManifest(b.manifest)
		base = filepath.Dir(b.manifest)
	} else {
		exts := b.exts
		if len(exts) == 0 {
			exts = dirExts
		}
		raws, err = readDir(b.dir, exts)
	}
	if err != nil {
		return nil, err
	}
	state, unreadable, err := readResults(b.results)
	if err != nil {
		return nil, err
	}
	p := &bulkPlan{unreadable: unreadable}
	for _, r := range checkRows(raws, base, c.defaults()) {
		if b.shard.n > 0 && !inShard(r.key, b.shard.i, b.shard.n) {
			continue
		}
		if r.err != nil {
			p.invalid = append(p.invalid, r)
			continue
		}
		switch rec, seen := state[r.key]; {
		case !seen:
		case rec.Status == statusOK:
			p.skipped++
			continue
		case rec.Status == statusFailed && !b.retryFailed:
			p.failedEarlier++
			continue
		case rec.Status == statusFailed:
			// A kept record of the failure: a resumable video continues,
			// a failed pull's empty video is deleted before the new one.
			r.item.Resume = &vodupload.BatchStarted{MediaID: rec.MediaID}
		default: // started: the run was killed with it in flight
			r.item.Resume = &vodupload.BatchStarted{MediaID: rec.MediaID, PullJobID: rec.JobID}
		}
		p.todo = append(p.todo, r)
	}
	return p, nil
}

// totals is what the progress view starts from: the rows to upload and
// their bytes, and the rows done earlier.
func (p *bulkPlan) totals() batchTotals {
	t := batchTotals{Files: len(p.todo), Skipped: p.skipped}
	for _, r := range p.todo {
		t.BytesTotal += r.size
	}
	return t
}

// runBulk is the whole bulk import; it returns the exit code: 130 when
// interrupted, else 2 when a row was invalid (or an item failed for its
// input), else 1 when an item failed (in this run, or earlier and not
// retried) or the results file could not be written, else 0.
func runBulk(ctx context.Context, c *config, args []string, stdout, stderr io.Writer) int {
	warn := c.warnings(stderr)
	p, err := c.plan()
	if err != nil {
		return fail(c, err, warn, stdout, stderr)
	}
	var events io.Writer
	if c.jsonOut {
		events = stdout
	}
	for _, r := range p.invalid {
		fmt.Fprintf(stderr, "upload: %s: invalid row: %v\n", rowName(record{Line: r.line, Source: r.source}), r.err)
		if events != nil {
			writeEvent(events, "invalid", record{Key: r.key, Line: r.line, Source: r.source, Kind: string(r.kind),
				Status: "invalid", Error: oneLine(r.err)})
		}
	}
	if p.unreadable > 0 {
		fmt.Fprintf(stderr, "upload: warning: %d line(s) of %s did not parse and were skipped (a line cut short by a crash is expected)\n",
			p.unreadable, c.bulk.results)
	}
	totals := p.totals()
	if c.bulk.dryRun || len(p.todo) == 0 {
		fmt.Fprintf(stderr, "upload: %d to upload (%s), %d done earlier, %d failed earlier%s, %d invalid\n",
			len(p.todo), humanBytes(totals.BytesTotal), p.skipped, p.failedEarlier, retryHint(p.failedEarlier), len(p.invalid))
		code := bulkExit(p, totals, false, false, false)
		if events != nil {
			summary(io.Discard, events, p, totals, false, code)
		}
		return code
	}
	res, err := openResults(c.bulk.results)
	if err != nil {
		return fail(c, err, warn, stdout, stderr)
	}
	defer res.Close()
	// Another run may have finished rows between the plan above and the
	// lock: plan again under it, so no row is uploaded twice.
	if p, err = c.plan(); err != nil {
		return fail(c, err, warn, stdout, stderr)
	}
	totals = p.totals()
	up, err := vodupload.New(c.options(func(vodupload.Progress) {}, warn)...)
	if err != nil {
		return fail(c, err, warn, stdout, stderr)
	}
	view := newBatchView(c.progress, stderr, events, c.progressInterval, totals)
	inputErr, stopped := upload(ctx, up, c, p.todo, res, view)
	totals = view.finish()
	if stopped != nil {
		fmt.Fprintf(stderr, "upload: %v\n", stopped)
	}
	interrupted := ctx.Err() != nil
	code := bulkExit(p, totals, interrupted, inputErr, stopped != nil)
	summary(stderr, events, p, totals, interrupted, code)
	if interrupted {
		fmt.Fprintf(stderr, "upload: interrupted; run the same command again to continue: %s\n", resumeCommand(args))
	}
	return code
}

// upload runs the batch and records every event; it reports whether an
// item failed for its input (exit code 2), and why it stopped the batch
// early: a results line that could not be written.
func upload(ctx context.Context, up *vodupload.Uploader, c *config, todo []row, res *resultsFile, view *batchView) (inputErr bool, stopped error) {
	// A results line that cannot be written stops the import: without
	// it, a crash would lose track of media VOD registered.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	items := func(yield func(vodupload.BatchItem) bool) {
		for i, r := range todo {
			item := r.item
			item.Options = append(item.Options, vodupload.WithProgress(view.itemProgress(i)))
			if !yield(item) {
				return
			}
		}
	}
	started := func(s vodupload.BatchStarted) {
		r := todo[s.Index]
		rec := record{Key: r.key, Line: r.line, Source: r.source, Kind: string(r.kind), Status: statusStarted,
			MediaID: s.MediaID, JobID: s.PullJobID, Time: time.Now().UTC()}
		if err := res.append(rec); err != nil {
			cancel(err)
		}
	}
	for result := range up.UploadBatch(ctx, iter.Seq[vodupload.BatchItem](items),
		vodupload.WithBatchConcurrency(c.bulk.files), vodupload.WithBatchStarted(started)) {
		r := todo[result.Index]
		if result.Err != nil && ctx.Err() != nil {
			// Stopped by the interruption, not failed: the rerun continues
			// it from its "started" line, or starts it.
			continue
		}
		rec := resultRecord(r, result)
		if err := res.append(rec); err != nil {
			cancel(err)
		}
		view.itemDone(result, rec, r.size)
		inputErr = inputErr || result.Err != nil && exitCode(result.Err) == exitUsage
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		stopped = err
	}
	return inputErr, stopped
}

// resultRecord is the results line of a finished item.
func resultRecord(r row, res vodupload.BatchResult) record {
	rec := record{Key: r.key, Line: r.line, Source: r.source, Kind: string(r.kind), Status: statusOK,
		MediaID: res.MediaID, MediaURL: res.MediaURL, Bytes: res.Bytes, ResumedParts: res.ResumedParts,
		ResumedBytes: res.ResumedBytes, Seconds: res.Duration.Seconds(), Time: time.Now().UTC()}
	if res.Pull != nil {
		rec.JobID = res.Pull.JobID
	}
	var pe *vodupload.PullError
	if res.Err != nil && res.Pull != nil && !errors.As(res.Err, &pe) {
		// VOD's fetch goes on; only the wait for it failed. The rerun
		// waits again instead of fetching a second copy.
		rec.Status, rec.Error = statusStarted, oneLine(res.Err)
		return rec
	}
	if res.Err != nil {
		rec.Status, rec.Error = statusFailed, oneLine(res.Err)
		var ae *vodupload.APIError
		if errors.As(res.Err, &ae) {
			rec.ErrorCode = ae.Code
		}
	}
	return rec
}

// summary prints the end of the import on stderr and, with -json, as
// the last event.
func summary(stderr, events io.Writer, p *bulkPlan, t batchTotals, interrupted bool, code int) {
	fmt.Fprintf(stderr, "upload: done %d, failed %d, skipped %d (done earlier), %d failed earlier%s, %d invalid; %s sent in %s (%s/s)\n",
		t.Done, t.Failed, p.skipped, p.failedEarlier, retryHint(p.failedEarlier), len(p.invalid),
		humanBytes(t.BytesSent), roundDuration(time.Duration(t.Elapsed*float64(time.Second))), humanBytes(int64(t.Rate)))
	if events != nil {
		writeEvent(events, "summary", struct {
			batchTotals
			FailedEarlier int  `json:"files_failed_earlier"`
			Invalid       int  `json:"rows_invalid"`
			Interrupted   bool `json:"interrupted,omitempty"`
			ExitCode      int  `json:"exit_code"`
		}{t, p.failedEarlier, len(p.invalid), interrupted, code})
	}
}

func retryHint(n int) string {
	if n == 0 {
		return ""
	}
	return " (run with -retry-failed to retry)"
}

// bulkExit is runBulk's exit code; stopped: the results file could not be
// written, so the items after it were not uploaded.
func bulkExit(p *bulkPlan, t batchTotals, interrupted, inputErr, stopped bool) int {
	switch {
	case interrupted:
		return exitInterrupted
	case len(p.invalid) > 0 || inputErr:
		return exitUsage
	case t.Failed > 0 || p.failedEarlier > 0 || stopped:
		return exitFailed
	}
	return exitOK
}

// writeEvent writes one -json event: {"event": name, ...v's fields}.
func writeEvent(w io.Writer, name string, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "{\"event\":%q", name)
	if len(b) > 2 {
		fmt.Fprintf(w, ",%s\n", b[1:])
	} else {
		fmt.Fprintln(w, "}")
	}
}
