package main

// One progress view over a whole bulk import: files done, failed and
// total, bytes, rate and ETA; a bar on a terminal, a line every few
// seconds otherwise, and with -json an event per finished item and
// periodic totals on stdout. The bytes are this run's: a resumed file's
// parts taken over from the checkpoint count neither in the rate nor in
// what is left.

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/vodupload/vodupload"
)

// rateWindow is how far back the rate looks: long enough to smooth out
// small files finishing in bursts, short enough to follow a change.
const rateWindow = 10 * time.Second

// batchView is the display of one bulk import.
type batchView struct {
	mode    string    // bar, lines or none
	w       io.Writer // stderr
	events  io.Writer // stdout with -json; nil without
	columns func() int
	every   time.Duration // redraw (bar) or print (lines) interval

	mu        sync.Mutex // guards everything below, and the writes to w and events
	start     time.Time
	totals    batchTotals
	running   map[int]itemBytes // by batch index
	samples   []sample          // sent bytes over time, for the rate
	drawn     int               // length of the bar line on screen
	lastEvent time.Time
	stop      chan struct{}
	wg        sync.WaitGroup
}

// batchTotals are the numbers the view and the summary show.
type batchTotals struct {
	Files   int `json:"files_total"` // to upload in this run
	Done    int `json:"files_done"`
	Failed  int `json:"files_failed"`
	Skipped int `json:"files_skipped,omitempty"` // done by an earlier run
	// BytesTotal is the size of the files to send, known before they
	// start; a URL's adds when it ends.
	BytesTotal   int64   `json:"bytes_total"`
	BytesSent    int64   `json:"bytes_sent"`    // by this run, acknowledged by OSS
	BytesResumed int64   `json:"bytes_resumed"` // taken over from checkpoints
	Rate         float64 `json:"bytes_per_second"`
	ETASeconds   float64 `json:"eta_seconds,omitempty"`
	Elapsed      float64 `json:"elapsed_seconds"`
}

type itemBytes struct{ sent, resumed int64 }

type sample struct {
	at   time.Time
	sent int64
}

func newBatchView(mode string, stderr, events io.Writer, every time.Duration, t batchTotals) *batchView {
	v := &batchView{mode: displayMode(mode, stderr), w: stderr, events: events, columns: func() int { return terminalColumns(stderr) },
		every: every, start: time.Now(), totals: t, running: map[int]itemBytes{}, stop: make(chan struct{})}
	if v.mode == "lines" {
		v.every = linesInterval
	}
	if v.mode != "none" || events != nil {
		v.wg.Add(1)
		go v.loop()
	}
	return v
}

func (v *batchView) loop() {
	defer v.wg.Done()
	tick := time.NewTicker(min(v.every, linesInterval))
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-v.stop:
			return
		case now := <-tick.C:
			v.mu.Lock()
			t := v.snapshot(now)
			if v.mode == "bar" || now.Sub(last) >= v.every {
				v.show(t)
				last = now
			}
			if v.events != nil && now.Sub(v.lastEvent) >= linesInterval {
				v.event("progress", t)
				v.lastEvent = now
			}
			v.mu.Unlock()
		}
	}
}

// itemProgress is the progress callback of the item at index.
func (v *batchView) itemProgress(index int) func(vodupload.Progress) {
	return func(p vodupload.Progress) {
		v.mu.Lock()
		defer v.mu.Unlock()
		// The last report comes before the item's result: itemDone
		// then takes it out.
		v.running[index] = itemBytes{sent: max(p.Done-p.Resumed, 0), resumed: p.Resumed}
	}
}

// itemDone counts a finished item, and prints it when it failed. size is
// what the row announced (0 for a URL).
func (v *batchView) itemDone(res vodupload.BatchResult, rec record, size int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.running, res.Index)
	if res.Err != nil {
		v.totals.Failed++
		v.clearBar()
		fmt.Fprintf(v.w, "upload: %s (key %s): %s\n", rowName(rec), rec.Key, rec.Error)
	} else {
		v.totals.Done++
		if res.Pull == nil {
			sent := res.Bytes - res.ResumedBytes
			v.totals.BytesSent += sent
			v.totals.BytesResumed += res.ResumedBytes
			if size == 0 {
				v.totals.BytesTotal += res.Bytes
			}
		}
	}
	if v.events != nil {
		writeEvent(v.events, "item", rec)
	}
}

// finish stops the display and returns the final totals.
func (v *batchView) finish() batchTotals {
	close(v.stop)
	v.wg.Wait()
	v.mu.Lock()
	defer v.mu.Unlock()
	t := v.snapshot(time.Now())
	if v.mode == "bar" && v.drawn > 0 {
		v.show(t)
		fmt.Fprintln(v.w)
		v.drawn = 0
	}
	t.ETASeconds = 0
	if secs := t.Elapsed; secs > 0 {
		t.Rate = float64(t.BytesSent) / secs
	}
	return t
}

// snapshot adds the running items to the totals and measures the rate;
// v.mu held.
func (v *batchView) snapshot(now time.Time) batchTotals {
	t := v.totals
	for _, b := range v.running {
		t.BytesSent += b.sent
		t.BytesResumed += b.resumed
	}
	t.Elapsed = now.Sub(v.start).Seconds()
	v.samples = append(v.samples, sample{at: now, sent: t.BytesSent})
	for len(v.samples) > 2 && now.Sub(v.samples[1].at) >= rateWindow {
		v.samples = v.samples[1:]
	}
	if first := v.samples[0]; now.Sub(first.at) > 0 {
		t.Rate = float64(t.BytesSent-first.sent) / now.Sub(first.at).Seconds()
	}
	if left := t.BytesTotal - t.BytesResumed - t.BytesSent; t.Rate > 0 && left > 0 {
		t.ETASeconds = float64(left) / t.Rate
	}
	return t
}

// show draws the bar or prints a line; v.mu held.
func (v *batchView) show(t batchTotals) {
	switch v.mode {
	case "bar":
		share := float64(t.Done+t.Failed) / float64(max(t.Files, 1))
		if t.BytesTotal > 0 {
			share = float64(t.BytesSent+t.BytesResumed) / float64(t.BytesTotal)
		}
		v.drawn = redraw(v.w, fitLine(batchNumbers(t), share, v.columns()), v.drawn)
	case "lines":
		fmt.Fprintln(v.w, "upload: "+batchNumbers(t))
	}
}

// clearBar blanks the bar so a message can take its line; v.mu held.
func (v *batchView) clearBar() {
	if v.mode == "bar" && v.drawn > 0 {
		fmt.Fprintf(v.w, "\r%s\r", strings.Repeat(" ", v.drawn))
		v.drawn = 0
	}
}

// event writes a -json event of t; v.mu held.
func (v *batchView) event(name string, t batchTotals) { writeEvent(v.events, name, t) }

// batchNumbers is e.g. "12/200 files, 1 failed, 45.0 MiB / 120.0 MiB,
// 5.1 MiB/s, eta 15s".
func batchNumbers(t batchTotals) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d files", t.Done+t.Failed, t.Files)
	if t.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", t.Failed)
	}
	fmt.Fprintf(&b, ", %s", humanBytes(t.BytesSent+t.BytesResumed))
	if t.BytesTotal > 0 {
		fmt.Fprintf(&b, " / %s", humanBytes(t.BytesTotal))
	}
	if t.Rate > 0 {
		fmt.Fprintf(&b, ", %s/s", humanBytes(int64(t.Rate)))
	}
	if t.ETASeconds > 0 {
		fmt.Fprintf(&b, ", eta %s", (time.Duration(t.ETASeconds) * time.Second).Round(time.Second))
	}
	return b.String()
}

// rowName is "line 12" for a manifest row, its path for a -dir file.
func rowName(rec record) string {
	if rec.Line > 0 {
		return fmt.Sprintf("line %d", rec.Line)
	}
	return rec.Source
}
