package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/vodupload/vodupload"
)

// linesInterval is how often plain progress lines are printed: often
// enough to show life in a CI log, rarely enough not to flood it.
const linesInterval = 2 * time.Second

// barThrottle caps the bar's redraws, so bursts of reports cost no
// terminal bandwidth.
const barThrottle = 100 * time.Millisecond

// Below minBarColumns a drawn bar would squeeze out the numbers, so the
// display is a compact line; minBarWidth is the narrowest bar worth drawing.
const (
	minBarColumns = 60
	minBarWidth   = 10
)

// reporter shows an upload's progress.
type reporter interface {
	// update is vodupload.WithProgress's callback.
	update(p vodupload.Progress)
	// finish ends the display once the upload returned; ok is its success.
	finish(ok bool)
}

// displayMode resolves -progress auto: a live bar when stderr is a
// terminal, plain lines when it is a log or a pipe.
func displayMode(mode string, stderr io.Writer) string {
	switch {
	case mode != "auto":
		return mode
	case isTerminal(stderr):
		return "bar"
	}
	return "lines"
}

// newReporter picks the display for mode.
func newReporter(mode string, stderr io.Writer) reporter {
	switch displayMode(mode, stderr) {
	case "bar":
		return &barReporter{w: stderr, columns: func() int { return terminalColumns(stderr) }, throttle: barThrottle}
	case "lines":
		return &linesReporter{w: stderr, every: linesInterval}
	}
	return noReporter{}
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalColumns is w's width, or 0 when it is unknown (not a terminal,
// or one that reports 0 columns, as some serial consoles and CI runners do).
func terminalColumns(w any) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil || cols < 0 {
		return 0
	}
	return cols
}

type noReporter struct{}

func (noReporter) update(vodupload.Progress) {}
func (noReporter) finish(bool)               {}

// barReporter redraws one line on a terminal: a bar with bytes, rate and
// ETA when the terminal is wide enough, a compact line otherwise. The
// width is asked at every redraw, so a resized window is followed.
type barReporter struct {
	w        io.Writer
	columns  func() int // 0: unknown
	throttle time.Duration

	mu     sync.Mutex // guards the fields below
	drawn  int        // length of the line on screen; 0 before the first draw
	lastAt time.Time
	final  *vodupload.Progress
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
	if now := time.Now(); r.drawn == 0 || now.Sub(r.lastAt) >= r.throttle {
		r.lastAt = now
		r.draw(p)
	}
}

func (r *barReporter) finish(ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok && r.final != nil {
		r.draw(*r.final)
	}
	if r.drawn > 0 {
		fmt.Fprintln(r.w) // the result starts on its own line; a failed bar stays on screen
	}
}

func (r *barReporter) draw(p vodupload.Progress) {
	r.drawn = redraw(r.w, barLine(p, r.columns()), r.drawn)
}

// redraw replaces the line on screen, drawn columns long, with line,
// padding over a longer one; it returns the new line's length.
func redraw(w io.Writer, line string, drawn int) int {
	fmt.Fprintf(w, "\r%s%s", line, strings.Repeat(" ", max(drawn-len(line), 0)))
	return max(len(line), 1)
}

// barLine is the bar's text for a terminal of cols columns (0: unknown):
// "[=======>      ] 12.0 MiB / 40.0 MiB (30%) 5.1 MiB/s eta 6s", or the
// numbers alone when the size is unknown or the terminal too narrow.
func barLine(p vodupload.Progress, cols int) string {
	share := -1.0 // no bar without a total
	if p.Total > 0 {
		share = float64(p.Done) / float64(p.Total)
	}
	return fitLine(progressNumbers(p), share, cols)
}

// fitLine is text for a terminal of cols columns (0: unknown): after a
// bar of share (0..1; negative: none) when the terminal is minBarColumns
// wide and a bar of minBarWidth fits beside text, else text alone, cut to
// the width so the line never wraps (a wrapped line cannot be redrawn).
func fitLine(text string, share float64, cols int) string {
	if cols <= 0 {
		return text
	}
	room := cols - 1 // the last column would wrap on some terminals
	if barWidth := room - len(text) - 3; cols >= minBarColumns && share >= 0 && barWidth >= minBarWidth {
		return drawBar(share, barWidth) + " " + text
	}
	if len(text) > room {
		text = text[:max(room, 0)]
	}
	return text
}

// drawBar draws share (0..1) of width cells between brackets.
func drawBar(share float64, width int) string {
	filled := int(min(max(share, 0), 1) * float64(width))
	head := ""
	if filled < width {
		head = ">"
	}
	return "[" + strings.Repeat("=", filled) + head + strings.Repeat(" ", max(width-filled-len(head), 0)) + "]"
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
	return "uploaded " + progressNumbers(p)
}

// progressNumbers is e.g. "12.0 MiB / 40.0 MiB (30%, 8.0 MiB resumed)
// 5.1 MiB/s eta 6s". The rate is this run's (Progress.Rate leaves out the
// bytes a resume took over), so the ETA holds after a resume too.
func progressNumbers(p vodupload.Progress) string {
	var b strings.Builder
	b.WriteString(humanBytes(p.Done))
	if p.Total > 0 {
		pct := float64(p.Done) / float64(p.Total) * 100
		fmt.Fprintf(&b, " / %s (%.0f%%", humanBytes(p.Total), min(pct, 100))
		if p.Resumed > 0 {
			fmt.Fprintf(&b, ", %s resumed", humanBytes(p.Resumed))
		}
		b.WriteString(")")
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
