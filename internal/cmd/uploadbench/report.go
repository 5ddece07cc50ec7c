package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

const gib = 1 << 30

// measurement is one child's run.
type measurement struct {
	seconds float64 // from the VOD call to the stored object, in the child
	bytes   int64
	cpu     time.Duration // user + system, whole child process
	sys     time.Duration // the system part of cpu
	maxRSS  int64         // bytes
}

func (m measurement) mbps() float64      { return float64(m.bytes) / m.seconds / 1e6 }
func (m measurement) cpuPerGiB() float64 { return m.cpu.Seconds() / (float64(m.bytes) / gib) }

// result is a row and its runs.
type result struct {
	row  row
	runs []measurement
}

// usage is what the parent reads from a finished child.
type usage struct {
	cpu, sys time.Duration
	maxRSS   int64
	faults   int64 // minor page faults: first touches of fresh memory
}

// runMeasured runs self with args and returns its stdout and rusage.
func runMeasured(ctx context.Context, self string, args, env []string) ([]byte, usage, error) {
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, usage{}, fmt.Errorf("child: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return nil, usage{}, fmt.Errorf("child: no rusage on %s", runtime.GOOS)
	}
	sys := time.Duration(ru.Stime.Nano())
	// Linux reports ru_maxrss in KiB.
	return out.Bytes(), usage{cpu: time.Duration(ru.Utime.Nano()) + sys, sys: sys, maxRSS: ru.Maxrss << 10, faults: ru.Minflt}, nil
}

// machine describes where the numbers were taken.
type machine struct {
	cpu                   string
	cores                 int
	goVersion             string
	loadBefore, loadAfter string
	started               time.Time
}

func machineNow() machine {
	return machine{cpu: cpuModel(), cores: runtime.NumCPU(), goVersion: runtime.Version(),
		loadBefore: loadAverage(), started: time.Now()}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// loadAverage is the 1, 5 and 15 minute load, which says how much the
// wall-clock columns can be trusted on a shared machine.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// printReport writes the markdown table: medians, with the range over runs.
func printReport(w io.Writer, c config, m machine, results []result) {
	fmt.Fprintf(w, "Machine: %s, %d cores, %s; load average %s before, %s after; %d runs per row, %s.\n\n",
		m.cpu, m.cores, m.goVersion, m.loadBefore, m.loadAfter, c.runs, time.Since(m.started).Round(time.Second))
	fmt.Fprintf(w, "WAN: %v per OSS request, %d MiB/s per connection.\n\n", c.latency, c.bandwidth/mib)
	fmt.Fprintln(w, "| scenario | library | settings | size | MB/s median (range) | client CPU-s/GiB median (range) | peak RSS MiB median (max) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range results {
		if len(r.runs) == 0 {
			continue
		}
		mb := stats(r.runs, measurement.mbps)
		cpu := stats(r.runs, measurement.cpuPerGiB)
		rss := stats(r.runs, func(m measurement) float64 { return float64(m.maxRSS) / mib })
		fmt.Fprintf(w, "| %s | %s | %s | %d MiB | %.0f (%.0f–%.0f) | %.3f (%.3f–%.3f) | %.1f (%.1f) |\n",
			r.row.scenario, r.row.library, r.row.settings, r.row.job.Size/mib,
			mb.median, mb.min, mb.max, cpu.median, cpu.min, cpu.max, rss.median, rss.max)
	}
	printRatios(w, results)
}

// printRatios compares vodupload's runs with each rival row of the same
// scenario (streams with streams, files with files) at its default write
// size. Runs are paired: run n of both rows ran next to each other, so a
// ratio per pair cancels most of the load a shared machine adds; the
// table gives the median of the pairs' ratios and their range. The net
// CPU ratio first takes the baseline child's median CPU-seconds (process
// start and one VOD call, the same in every row) out of both sides.
func printRatios(w io.Writer, results []result) {
	ours := map[string]result{}
	base := map[string]float64{} // per scenario: CPU-seconds of the baseline child
	for _, r := range results {
		switch {
		case len(r.runs) == 0:
		case r.row.job.Kind == kindBaseline:
			base[r.row.scenario] = stats(r.runs, func(m measurement) float64 { return m.cpu.Seconds() }).median
		case strings.HasPrefix(r.row.library, "vodupload") && r.row.job.WriteSize == 0 && r.row.job.Repeat == 0:
			ours[r.row.scenario+streamSuffix(r.row.library)] = r
		}
	}
	type comparison struct {
		ours, theirs result
		label        string
	}
	var cmps []comparison
	for _, r := range results {
		o, ok := ours[r.row.scenario+streamSuffix(r.row.library)]
		if !ok || len(r.runs) == 0 || strings.HasPrefix(r.row.library, "vodupload") || r.row.job.Kind == kindBaseline {
			continue
		}
		cmps = append(cmps, comparison{o, r, r.row.library})
	}
	// The goal for streams is relative to our own file path.
	for _, stream := range results {
		if stream.row.library != "vodupload stream" || len(stream.runs) == 0 {
			continue
		}
		for _, file := range results {
			if file.row.library == "vodupload" && file.row.scenario == stream.row.scenario &&
				file.row.settings == stream.row.settings && len(file.runs) > 0 {
				cmps = append(cmps, comparison{stream, file, "its file path (stream ÷ file)"})
			}
		}
	}
	if len(cmps) == 0 {
		return
	}
	fmt.Fprintln(w, "\n| scenario | vodupload vs | settings | MB/s ratio | CPU-s/GiB ratio | net CPU ratio | peak RSS ratio |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, c := range cmps {
		b := base[c.theirs.row.scenario]
		ratio := func(f func(measurement) float64) string {
			s := pairedRatio(c.ours.runs, c.theirs.runs, f)
			return fmt.Sprintf("%.2f× (%.2f–%.2f)", s.median, s.min, s.max)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", c.theirs.row.scenario, c.label, c.theirs.row.settings,
			ratio(measurement.mbps), ratio(measurement.cpuPerGiB),
			ratio(func(m measurement) float64 { return m.cpu.Seconds() - b }),
			ratio(func(m measurement) float64 { return float64(m.maxRSS) }))
	}
}

// pairedRatio is f(ours)/f(theirs) for every pair of runs with the same
// index.
func pairedRatio(ours, theirs []measurement, f func(measurement) float64) summary {
	ratios := make([]float64, min(len(ours), len(theirs)))
	for i := range ratios {
		ratios[i] = f(ours[i]) / f(theirs[i])
	}
	return summarize(ratios)
}

func streamSuffix(library string) string {
	if strings.HasSuffix(library, " stream") {
		return " stream"
	}
	return ""
}

type summary struct{ median, min, max float64 }

func stats(runs []measurement, f func(measurement) float64) summary {
	v := make([]float64, len(runs))
	for i, m := range runs {
		v[i] = f(m)
	}
	return summarize(v)
}

// summarize sorts v in place and returns its median and range.
func summarize(v []float64) summary {
	slices.Sort(v)
	med := v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return summary{median: med, min: v[0], max: v[len(v)-1]}
}
