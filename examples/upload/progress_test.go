package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload"
)

const mib = 1 << 20

func TestProgressLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    vodupload.Progress
		want string
	}{
		{"known size", vodupload.Progress{Total: 40 * mib, Done: 12 * mib, Rate: 5.1 * mib, Elapsed: 3 * time.Second},
			"uploaded 12.0 MiB / 40.0 MiB (30%) 5.1 MiB/s eta 5s"},
		{"stream of unknown size", vodupload.Progress{Total: -1, Done: 3 * mib, Rate: mib, Elapsed: 3 * time.Second},
			"uploaded 3.0 MiB 1.0 MiB/s"},
		{"not started", vodupload.Progress{Total: 2048, Done: 0}, "uploaded 0 B / 2.0 KiB (0%)"},
		{"final", vodupload.Progress{Total: 5357, Done: 5357, Rate: 300 << 10, Elapsed: 17 * time.Millisecond, Final: true},
			"uploaded 5.2 KiB / 5.2 KiB (100%) 300.0 KiB/s in 17ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, progressLine(tt.p))
		})
	}
}

func TestLinesReporterPrintsEveryIntervalAndTheEndOnSuccess(t *testing.T) {
	t.Parallel()
	tick := func(ms int, done int64) vodupload.Progress {
		return vodupload.Progress{Total: 10 * mib, Done: done, Rate: mib, Elapsed: time.Duration(ms) * time.Millisecond}
	}
	for _, ok := range []bool{true, false} {
		var buf bytes.Buffer
		r := &linesReporter{w: &buf, every: time.Second}
		r.update(tick(500, 1*mib))  // too early
		r.update(tick(1000, 2*mib)) // printed
		r.update(tick(1500, 3*mib)) // too soon after
		r.update(tick(2000, 1*mib)) // printed: a retry took bytes back
		final := tick(2500, 10*mib)
		final.Final = true
		r.update(final)
		r.finish(ok)

		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		want := []string{
			"uploaded 2.0 MiB / 10.0 MiB (20%) 1.0 MiB/s eta 8s",
			"uploaded 1.0 MiB / 10.0 MiB (10%) 1.0 MiB/s eta 9s",
		}
		if ok {
			want = append(want, "uploaded 10.0 MiB / 10.0 MiB (100%) 1.0 MiB/s in 2.5s")
		}
		assert.Equal(t, want, lines, "ok=%v", ok)
	}
}

// TestBarLineFitsTheTerminal: a terminal of unknown width (0 columns) or
// a narrow one gets a compact line that never wraps; a wide one a bar
// beside the numbers. The progressbar library drew "||" in both cases.
func TestBarLineFitsTheTerminal(t *testing.T) {
	t.Parallel()
	p := vodupload.Progress{Total: 40 * mib, Done: 12 * mib, Rate: 5.1 * mib}
	numbers := "12.0 MiB / 40.0 MiB (30%) 5.1 MiB/s eta 5s"
	tests := []struct {
		name    string
		p       vodupload.Progress
		cols    int
		want    string // exact, or "" to check the bar's shape
		wantBar bool
	}{
		{"width unknown", p, 0, numbers, false},
		{"narrow", p, 40, numbers[:39], false},
		{"just under the bar's minimum", p, minBarColumns - 1, numbers, false},
		{"wide", p, 80, "", true},
		{"very wide", p, 200, "", true},
		{"stream of unknown size", vodupload.Progress{Total: -1, Done: 3 * mib, Rate: mib}, 80, "3.0 MiB 1.0 MiB/s", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			line := barLine(tt.p, tt.cols)
			assert.NotContains(t, line, "||")
			if tt.cols > 0 {
				assert.Less(t, len(line), tt.cols, "the line never wraps: %q", line)
			}
			if !tt.wantBar {
				assert.Equal(t, tt.want, line)
				return
			}
			assert.Equal(t, tt.cols-1, len(line), "the bar fills the width: %q", line)
			assert.True(t, strings.HasPrefix(line, "[="), line)
			assert.True(t, strings.HasSuffix(line, "] "+numbers), line)
		})
	}
}

// TestBatchBarFitsTheTerminal: the bulk import's bar follows the same
// rule as one upload's; a line too long for a bar beside it is cut, not
// wrapped, on a terminal wide enough for a bar.
func TestBatchBarFitsTheTerminal(t *testing.T) {
	t.Parallel()
	long := batchTotals{Files: 12000, Done: 11000, Failed: 120, BytesTotal: 900 << 40, BytesSent: 500 << 40,
		Rate: 123.4 * mib, ETASeconds: 1e6}
	short := batchTotals{Files: 4, Done: 1, BytesTotal: 40 * mib, BytesSent: 10 * mib}
	for _, tt := range []struct {
		name    string
		t       batchTotals
		cols    int
		wantBar bool
	}{
		{"long numbers, bar-wide terminal", long, minBarColumns, false},
		{"long numbers, wide terminal", long, 200, true},
		{"narrow terminal", short, 30, false},
		{"wide terminal", short, 80, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			v := &batchView{mode: "bar", w: &buf, columns: func() int { return tt.cols }}
			v.show(tt.t)
			line := lastFrame(buf.String())
			assert.Less(t, len(line), tt.cols, "the line never wraps: %q", line)
			assert.Equal(t, tt.wantBar, strings.HasPrefix(line, "["), line)
			if tt.wantBar {
				assert.Equal(t, tt.cols-1, len(line), "the bar fills the width: %q", line)
			}
		})
	}
}

func TestProgressAfterAResumeShowsThisRunsRate(t *testing.T) {
	t.Parallel()
	// 28 MiB taken over, 2 MiB sent in this run at 1 MiB/s: 10 MiB left
	// take 10 s, not the 1 s that 30 MiB over 2 s would promise.
	p := vodupload.Progress{Total: 40 * mib, Done: 30 * mib, Resumed: 28 * mib, Rate: mib, Elapsed: 2 * time.Second}
	assert.Equal(t, "uploaded 30.0 MiB / 40.0 MiB (75%, 28.0 MiB resumed) 1.0 MiB/s eta 10s", progressLine(p))
}

func TestBarReporterDrawsBytesAndFollowsDrops(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &barReporter{w: &buf, columns: func() int { return 100 }}
	r.update(vodupload.Progress{Total: 10 * mib, Done: 6 * mib})
	assert.Contains(t, buf.String(), "60%")
	r.update(vodupload.Progress{Total: 10 * mib, Done: 2 * mib}) // an attempt failed
	assert.Contains(t, lastFrame(buf.String()), "20%")
	r.update(vodupload.Progress{Total: 10 * mib, Done: 10 * mib, Final: true})
	r.finish(true)
	assert.Contains(t, lastFrame(buf.String()), "100%")
	assert.Contains(t, lastFrame(buf.String()), "[====")
	assert.True(t, strings.HasSuffix(buf.String(), "\n"), "the line ends so the result starts on its own")
}

func TestBarReporterKeepsPartialBarOnFailure(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &barReporter{w: &buf, columns: func() int { return 0 }}
	r.update(vodupload.Progress{Total: 10 * mib, Done: 3 * mib})
	r.update(vodupload.Progress{Total: 10 * mib, Done: 0, Final: true})
	r.finish(false)
	assert.Contains(t, lastFrame(buf.String()), "30%")
	assert.NotContains(t, buf.String(), "100%")
	assert.True(t, strings.HasSuffix(buf.String(), "\n"))
}

func TestBarReporterPadsOverALongerLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &barReporter{w: &buf, columns: func() int { return 0 }}
	r.update(vodupload.Progress{Total: 10 * mib, Done: 3 * mib, Rate: 100 * mib})
	first := lastFrame(buf.String())
	r.update(vodupload.Progress{Total: 10 * mib, Done: 3 * mib}) // no rate yet: shorter
	assert.Len(t, lastFrame(buf.String()), len(first), "the old line's tail is blanked")
}

func TestAutoModeIsLinesWhenNotATerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	assert.IsType(t, &linesReporter{}, newReporter("auto", &buf))
	bar := newReporter("bar", &buf)
	require.IsType(t, &barReporter{}, bar)
	assert.Zero(t, bar.(*barReporter).columns(), "a buffer has no width: the compact line")
	assert.IsType(t, noReporter{}, newReporter("none", &buf))
}

// lastFrame is what a terminal shows last: the text after the final \r.
func lastFrame(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndex(s, "\r")+1:]
}
