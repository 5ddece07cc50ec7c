// Command uploadbench measures what one upload costs the machine that
// sends it, for vodupload and the libraries users would otherwise pick.
//
//	go run ./internal/cmd/uploadbench            # 512 MiB loopback, 128 MiB WAN, 3 runs
//	go run ./internal/cmd/uploadbench -runs 5 -only 'loopback'
//
// It builds examples/emulator and runs it as its own process in discard
// mode (a second one with latency and a bandwidth cap for the WAN rows),
// then runs every upload in a child process of its own (itself, re-executed
// with -child) and reads the child's rusage: CPU-seconds per GiB are user
// plus system time of the whole child, peak RSS is ru_maxrss. The
// "baseline" row is a child that only calls CreateUploadVideo: the fixed
// cost inside every other row. Runs are interleaved across rows so a burst
// of load on a shared machine spreads over all of them. The output is a
// markdown table.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/vodupload/vodupload/internal/cmd/uploadbench/benchkit"
)

const mib = 1 << 20

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "uploadbench:", err)
		os.Exit(1)
	}
}

// config is the parent's flags.
type config struct {
	size, wanSize      int64
	partSize           int64
	workers, runs      int
	latency            time.Duration
	bandwidth          int64
	only               *regexp.Regexp
	emulatorBin, tmp   string
	profileDir         string
	skipWAN, skipLocal bool
}

func parseFlags(args []string) (config, string, error) {
	fs := flag.NewFlagSet("uploadbench", flag.ContinueOnError)
	var c config
	var sizeMiB, wanMiB, partMiB, bwMiB int64
	var only, child string
	fs.StringVar(&child, "child", "", "internal: run one upload (a JSON job) and report")
	fs.Int64Var(&sizeMiB, "size", 512, "loopback file size in MiB")
	fs.Int64Var(&wanMiB, "wan-size", 128, "WAN file size in MiB")
	fs.Int64Var(&partMiB, "part", 8, "part size in MiB at equal settings")
	fs.IntVar(&c.workers, "workers", 4, "concurrent parts at equal settings")
	fs.IntVar(&c.runs, "runs", 3, "runs of every row")
	fs.DurationVar(&c.latency, "latency", 30*time.Millisecond, "WAN: latency added to every OSS response")
	fs.Int64Var(&bwMiB, "bandwidth", 16, "WAN: per-connection upload cap in MiB/s")
	fs.StringVar(&only, "only", "", "run only rows whose scenario/library/settings match this regexp")
	fs.BoolVar(&c.skipWAN, "no-wan", false, "skip the WAN rows")
	fs.BoolVar(&c.skipLocal, "no-loopback", false, "skip the loopback rows")
	fs.StringVar(&c.emulatorBin, "emulator", "", "a built examples/emulator binary (default: go build it)")
	fs.StringVar(&c.profileDir, "profile", "", "write each child's CPU and heap profiles into this directory")
	fs.StringVar(&c.tmp, "dir", "", "where to write the input file (default: a new temp dir)")
	if err := fs.Parse(args); err != nil {
		return c, "", err
	}
	c.size, c.wanSize, c.partSize, c.bandwidth = sizeMiB*mib, wanMiB*mib, partMiB*mib, bwMiB*mib
	re, err := regexp.Compile(only)
	if err != nil {
		return c, "", fmt.Errorf("-only: %w", err)
	}
	c.only = re
	if c.runs < 1 || c.workers < 1 || c.size <= 0 || c.wanSize <= 0 || c.partSize <= 0 {
		return c, "", errors.New("-runs, -workers, -size, -wan-size and -part must be positive")
	}
	return c, child, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	c, child, err := parseFlags(args)
	if err != nil {
		return err
	}
	if child != "" {
		return runChild(ctx, child, os.Getenv, stdout)
	}
	if c.tmp == "" {
		if c.tmp, err = os.MkdirTemp("", "uploadbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(c.tmp)
	}
	bin, err := buildEmulator(ctx, c.tmp, c.emulatorBin)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	m := machineNow()
	var results []result
	for _, sc := range c.scenarios() {
		rs, err := sc.run(ctx, c, bin, self)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	m.loadAfter = loadAverage()
	printReport(stdout, c, m, results)
	return nil
}

// scenario is a set of rows sharing one emulator and one input file.
type scenario struct {
	name   string
	size   int64
	faults wanFaults
	rows   []row
}

// row is one library at one group of settings.
type row struct {
	scenario, library, settings string
	job                         job
}

func (r row) id() string { return r.scenario + "/" + r.library + "/" + r.settings }

func (c config) scenarios() []scenario {
	equal := fmt.Sprintf("%d MiB × %d", c.partSize/mib, c.workers)
	mk := func(sc, lib, settings, kind string, size, part int64, workers int) row {
		return row{sc, lib, settings, job{Kind: kind, Size: size, PartSize: part, Workers: workers}}
	}
	var out []scenario
	if !c.skipLocal {
		s, p, w := c.size, c.partSize, c.workers
		out = append(out, scenario{name: "loopback", size: s, rows: []row{
			mk("loopback", "vodupload", equal, kindVodupload, s, p, w),
			mk("loopback", "oss-uploadfile", equal, kindOSSUploadFile, s, p, w),
			mk("loopback", "oss-v2-uploader", equal, kindOSSV2, s, p, w),
			mk("loopback", "single-put", "one PutObject", kindSinglePut, s, 0, 0),
			mk("loopback", "vodupload stream", equal, kindVoduploadFeed, s, p, w),
			mk("loopback", "oss-v2-uploader stream", equal, kindOSSV2Feed, s, p, w),
			mk("loopback", "baseline", "CreateUploadVideo only", kindBaseline, s, 0, 0),
		}})
	}
	if !c.skipWAN {
		s, p, w := c.wanSize, c.partSize, c.workers
		out = append(out, scenario{name: "wan", size: s, faults: wanFaults{c.latency, c.bandwidth}, rows: []row{
			mk("wan", "vodupload", "defaults: 8 MiB × 4", kindVodupload, s, 0, 0),
			mk("wan", "oss-uploadfile", "defaults: 8 MiB × 1", kindOSSUploadFile, s, 0, 0),
			mk("wan", "oss-v2-uploader", "defaults: 6 MiB × 3", kindOSSV2, s, 0, 0),
			mk("wan", "oss-uploadfile", equal, kindOSSUploadFile, s, p, w),
			mk("wan", "oss-v2-uploader", equal, kindOSSV2, s, p, w),
			mk("wan", "single-put", "one PutObject", kindSinglePut, s, 0, 0),
		}})
	}
	for i := range out {
		kept := out[i].rows[:0]
		for _, r := range out[i].rows {
			if c.only.MatchString(r.id()) {
				kept = append(kept, r)
			}
		}
		out[i].rows = kept
	}
	return out
}

// run starts the scenario's emulator and file and runs every row c.runs
// times, interleaved.
func (sc scenario) run(ctx context.Context, c config, bin, self string) ([]result, error) {
	if len(sc.rows) == 0 {
		return nil, nil
	}
	path := filepath.Join(c.tmp, sc.name+".mp4")
	if err := benchkit.WriteFile(path, sc.size, 1); err != nil {
		return nil, err
	}
	defer os.Remove(path)
	emu, err := startEmulator(bin, sc.faults)
	if err != nil {
		return nil, err
	}
	defer func() { _ = emu.stop() }()
	results := make([]result, len(sc.rows))
	for i, r := range sc.rows {
		results[i].row = r
	}
	for n := 1; n <= c.runs; n++ {
		for i, r := range sc.rows {
			r.job.File = path
			if c.profileDir != "" {
				r.job.Profile = filepath.Join(c.profileDir, fmt.Sprintf("%s-%d", profileName(r.id()), n))
			}
			fmt.Fprintf(os.Stderr, "run %d/%d %s\n", n, c.runs, r.id())
			m, err := runOne(ctx, self, emu, r.job)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.id(), err)
			}
			results[i].runs = append(results[i].runs, m)
		}
	}
	return results, nil
}

// profileName turns a row id into a file name.
func profileName(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, id)
}

// runOne runs one child and measures it.
func runOne(ctx context.Context, self string, emu *emulatorProc, j job) (measurement, error) {
	raw, err := json.Marshal(j)
	if err != nil {
		return measurement{}, err
	}
	out, ru, err := runMeasured(ctx, self, []string{"-child", string(raw)}, emu.env())
	if err != nil {
		return measurement{}, err
	}
	var rep childReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return measurement{}, fmt.Errorf("decode child report %q: %w", out, err)
	}
	m := measurement{seconds: rep.Seconds, bytes: j.Size, cpu: ru.cpu, sys: ru.sys, maxRSS: ru.maxRSS}
	fmt.Fprintf(os.Stderr, "  %.0f MB/s, %.3f CPU-s/GiB (%.0f%% system), %.1f MiB RSS (Go: heap %.1f, stacks %.1f, all %.1f MiB; %d GCs)\n",
		m.mbps(), m.cpuPerGiB(), 100*m.sys.Seconds()/m.cpu.Seconds(), float64(m.maxRSS)/mib,
		rep.HeapSysMiB, rep.StackSysMiB, rep.SysMiB, rep.NumGC)
	return m, nil
}
