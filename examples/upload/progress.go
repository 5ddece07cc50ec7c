package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/vodupload/vodupload"
)

// linesInterval is how often plain progress lines are printed: often
// enough to show life in a CI log, rarely enough not to flood it.
const linesInterval = 2 * time.Second

// barThrottle caps the bar's redraws, so bursts of reports cost no
// terminal bandwidth.
const barThrottle = 100 * time.Millisecond

// reporter shows an upload's progress.
type reporter interface {
	// update is vodupload.WithProgress's callback.
	update(p vodupload.Progress)
	// finish ends the display once the upload returned; ok is its success.
	finish(ok bool)
}

// newReporter picks the display for mode: with "auto", a live bar when
// stderr is a terminal, plain lines when it is a log or a pipe.
func newReporter(mode string, stderr io.Writer) reporter {
	if mode == "auto" {
		mode = "lines"
		if isTerminal(stderr) {
			mode = "bar"
		}
	}
	switch mode {
	case "bar":
		return &barReporter{w: stderr, throttle: barThrottle}
	case "lines":
		return &linesReporter{w: stderr, every: linesInterval}
	}
	return noReporter{}
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

type noReporter struct{}

func (noReporter) update(vodupload.Progress) {}
func (noReporter) finish(bool)               {}

// barReporter draws a progressbar on a terminal. The bar is created on
// the first report, when the total is known.
type barReporter struct {
	w     io.Writer
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	total int64 // the bar's total; -1 for the spinner form of streams
	final *vodupload.Progress

	throttle time.Duration
}

func (r *barReporter) update(p vodupload.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.Final {
		// Shown only on success: after a failure Done has dropped to
		// what OSS acknowledged, and redrawing at Ctrl-C garbles the line.
		r.final = &p
		return
	}
	r.set(p)
}

func (r *barReporter) set(p vodupload.Progress) {
	if r.bar == nil {
		r.total = max(p.Total, -1)
		if r.total == 0 {
			r.total = -1
		}
		r.bar = newBar(r.w, r.total, r.throttle)
	}
	done := max(p.Done, 0)
	if r.total > 0 {
		done = min(done, r.total)
	}
	// Set64 also moves the bar back when a failed attempt took its bytes
	// back (Done dropped), so the bar never claims bytes OSS did not keep.
	_ = r.bar.Set64(done)
}

func (r *barReporter) finish(ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok && r.final != nil {
		r.set(*r.final)
	}
	switch {
	case r.bar == nil || r.bar.IsFinished():
	case ok || r.total < 0:
		// Finish also stops the spinner goroutine of an unknown-size bar.
		_ = r.bar.Finish()
	default:
		_ = r.bar.Exit() // keep the partial bar on screen, end the line
	}
}

// newBar shows bytes, rate and ETA; a total of -1 selects the spinner
// form (bytes and rate only).
func newBar(w io.Writer, total int64, throttle time.Duration) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("uploading"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionThrottle(throttle),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		progressbar.OptionSetRenderBlankState(true),
	)
}

// linesReporter prints a plain line every so often, for logs and pipes
// where a redrawn bar would be noise.
type linesReporter struct {
	w     io.Writer
	every time.Duration
	mu    sync.Mutex
	last  time.Duration // Elapsed of the last line
	final *vodupload.Progress
}

func (r *linesReporter) update(p vodupload.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.Final {
		r.final = &p // printed on success only; a failure has its own line
		return
	}
	if p.Elapsed < r.last {
		// A new transfer started (an image registered again): its clock
		// restarts.
		r.last = 0
	}
	if p.Elapsed-r.last < r.every {
		return
	}
	r.last = p.Elapsed
	fmt.Fprintln(r.w, progressLine(p))
}

func (r *linesReporter) finish(ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok && r.final != nil {
		fmt.Fprintln(r.w, progressLine(*r.final))
	}
}

// progressLine is e.g. "uploaded 12.0 MiB / 40.0 MiB (30%) 5.1 MiB/s eta 6s".
func progressLine(p vodupload.Progress) string {
	var b strings.Builder
	b.WriteString("uploaded " + humanBytes(p.Done))
	if p.Total > 0 {
		pct := float64(p.Done) / float64(p.Total) * 100
		fmt.Fprintf(&b, " / %s (%.0f%%)", humanBytes(p.Total), min(pct, 100))
	}
	if p.Rate > 0 {
		fmt.Fprintf(&b, " %s/s", humanBytes(int64(p.Rate)))
	}
	switch {
	case p.Final:
		fmt.Fprintf(&b, " in %s", roundDuration(p.Elapsed))
	case p.Total > 0 && p.Rate > 0:
		eta := time.Duration(float64(max(p.Total-p.Done, 0)) / p.Rate * float64(time.Second))
		fmt.Fprintf(&b, " eta %s", eta.Round(time.Second))
	}
	return b.String()
}

// humanBytes prints n in IEC units with one decimal: 12.0 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// roundDuration keeps two or three significant digits: 17ms, 3.4s, 1m12s.
func roundDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
