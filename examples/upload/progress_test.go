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

func TestBarReporterDrawsBytesAndFollowsDrops(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &barReporter{w: &buf}
	r.update(vodupload.Progress{Total: 10 * mib, Done: 6 * mib})
	assert.Contains(t, buf.String(), "60%")
	r.update(vodupload.Progress{Total: 10 * mib, Done: 2 * mib}) // an attempt failed
	assert.Contains(t, lastFrame(buf.String()), "20%")
	r.update(vodupload.Progress{Total: 10 * mib, Done: 10 * mib, Final: true})
	r.finish(true)
	assert.Contains(t, lastFrame(buf.String()), "100%")
	assert.Contains(t, buf.String(), "10/10 MiB")
	assert.True(t, strings.HasSuffix(buf.String(), "\n"), "the line ends so the result starts on its own")
}

func TestBarReporterKeepsPartialBarOnFailure(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &barReporter{w: &buf}
	r.update(vodupload.Progress{Total: 10 * mib, Done: 3 * mib})
	r.update(vodupload.Progress{Total: 10 * mib, Done: 0, Final: true})
	r.finish(false)
	assert.Contains(t, lastFrame(buf.String()), "30%")
	assert.NotContains(t, buf.String(), "100%")
	assert.True(t, strings.HasSuffix(buf.String(), "\n"))
}

func TestBarReporterSpinnerForStreams(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &barReporter{w: &buf}
	r.update(vodupload.Progress{Total: -1, Done: 3 * mib})
	r.update(vodupload.Progress{Total: 4 * mib, Done: 4 * mib, Final: true})
	r.finish(true)
	require.True(t, r.bar.IsFinished(), "finished, so the spinner goroutine stops")
	assert.Contains(t, buf.String(), "4.0 MiB")
}

func TestAutoModeIsLinesWhenNotATerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	assert.IsType(t, &linesReporter{}, newReporter("auto", &buf))
	assert.IsType(t, &barReporter{}, newReporter("bar", &buf))
	assert.IsType(t, noReporter{}, newReporter("none", &buf))
}

// lastFrame is what a terminal shows last: the text after the final \r.
func lastFrame(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndex(s, "\r")+1:]
}
