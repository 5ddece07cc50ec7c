// Command uploadbench measures what one upload costs the machine that
// sends it, for vodupload and the libraries users would otherwise pick.
//
//	go run ./internal/cmd/uploadbench            # floor, loopback HTTP and HTTPS 512 MiB, WAN 128 MiB, 3 runs
//	go run ./internal/cmd/uploadbench -runs 7 -only 'loopback|https'
//	go run ./internal/cmd/uploadbench -no-https -no-wan -no-floor -write-sizes net/http,32K,256K,1M
//
// It builds examples/emulator and runs it as its own process in discard
// mode (again with -tls for the HTTPS rows, and with latency and a
// bandwidth cap for the WAN rows), then runs every upload in a child
// process of its own (itself, re-executed with -child) and reads the
// child's rusage: CPU-seconds per GiB are user plus system time of the
// whole child; peak RSS is the child's own VmHWM, which it reports. The
// "baseline" row is a child that only calls CreateUploadVideo: the fixed
// cost inside every other row. The floor rows send the file to a
// discarding peer with no HTTP at all. Runs are interleaved across rows
// so a burst of load on a shared machine spreads over all of them, and
// ratios are taken per pair of runs. The output is markdown tables.
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
	"strconv"
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
	skipTLS, skipFloor bool
	// writeSizes add a vodupload row per loopback scenario for each
	// socket write size (netHTTPWrites: net/http's transport).
	writeSizes []wireSizes
	// floorSizes are the sizes of the floor rows.
	floorSizes []wireSizes
	// repeat, above 1, adds vodupload file and stream rows per loopback
	// scenario that make that many uploads in one process.
	repeat int
}

func parseFlags(args []string) (config, string, error) {
	fs := flag.NewFlagSet("uploadbench", flag.ContinueOnError)
	var c config
	var sizeMiB, wanMiB, partMiB, bwMiB int64
	var only, child, writeSizes, floorSizes string
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
	fs.BoolVar(&c.skipLocal, "no-loopback", false, "skip the plain-HTTP loopback rows")
	fs.BoolVar(&c.skipTLS, "no-https", false, "skip the HTTPS loopback rows")
	fs.StringVar(&writeSizes, "write-sizes", "", "comma-separated socket write sizes, each with an optional body read size "+
		"(e.g. net/http,32K,1M,1M/256K), for extra vodupload loopback rows")
	fs.BoolVar(&c.skipFloor, "no-floor", false, "skip the floor rows (a bare sender with no HTTP)")
	fs.IntVar(&c.repeat, "repeat", 0, "with N > 1, add vodupload file and stream rows that make N uploads in one process")
	fs.StringVar(&floorSizes, "floor-sizes", "32K,256K,1M,1M/128K", "write sizes, each with an optional read size, of the floor rows")
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
	if c.writeSizes, err = parseSizes(writeSizes); err != nil {
		return c, "", fmt.Errorf("-write-sizes: %w", err)
	}
	if c.floorSizes, err = parseSizes(floorSizes); err != nil {
		return c, "", fmt.Errorf("-floor-sizes: %w", err)
	}
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

// wireSizes are a write-size row's socket write and body read sizes.
type wireSizes struct{ write, read int }

// parseSizes reads a list like "net/http,32K,1M/256K": write sizes, each
// with an optional read size after a slash (K and M are KiB and MiB).
func parseSizes(list string) ([]wireSizes, error) {
	var out []wireSizes
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if f == "net/http" {
			out = append(out, wireSizes{write: netHTTPWrites})
			continue
		}
		w, r, hasRead := strings.Cut(f, "/")
		var ws wireSizes
		var err error
		if ws.write, err = parseSize(w); err != nil {
			return nil, err
		}
		if hasRead {
			if ws.read, err = parseSize(r); err != nil {
				return nil, err
			}
		}
		out = append(out, ws)
	}
	return out, nil
}

func parseSize(f string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(f, "K"):
		mult, f = 1<<10, strings.TrimSuffix(f, "K")
	case strings.HasSuffix(f, "M"):
		mult, f = 1<<20, strings.TrimSuffix(f, "M")
	}
	n, err := strconv.Atoi(f)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size", f)
	}
	return n * mult, nil
}

// label names the sizes in the settings column.
func (ws wireSizes) label() string {
	if ws.write == netHTTPWrites {
		return "net/http writes"
	}
	l := "writes " + sizeLabel(ws.write)
	if ws.read > 0 {
		l += ", reads " + sizeLabel(ws.read)
	}
	return l
}

func sizeLabel(n int) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// scenario is a set of rows sharing one emulator and one input file.
type scenario struct {
	name   string
	size   int64
	faults wanFaults
	tls    bool // the emulator serves HTTPS; children trust its certificate
	floor  bool // a discarding peer instead of the emulator
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
	loopback := func(sc string) []row {
		s, p, w := c.size, c.partSize, c.workers
		rows := []row{
			mk(sc, "vodupload", equal, kindVodupload, s, p, w),
			mk(sc, "oss-uploadfile", equal, kindOSSUploadFile, s, p, w),
			mk(sc, "oss-v2-uploader", equal, kindOSSV2, s, p, w),
			mk(sc, "single-put", "one PutObject", kindSinglePut, s, 0, 0),
			mk(sc, "vodupload stream", equal, kindVoduploadFeed, s, p, w),
			mk(sc, "oss-v2-uploader stream", equal, kindOSSV2Feed, s, p, w),
			mk(sc, "baseline", "CreateUploadVideo only", kindBaseline, s, 0, 0),
		}
		if c.repeat > 1 {
			many := fmt.Sprintf("%s, %d uploads per process", equal, c.repeat)
			for _, k := range []struct{ lib, kind string }{{"vodupload", kindVodupload}, {"vodupload stream", kindVoduploadFeed}} {
				r := mk(sc, k.lib, many, k.kind, s, p, w)
				r.job.Repeat = c.repeat
				rows = append(rows, r)
			}
		}
		for _, ws := range c.writeSizes {
			r := mk(sc, "vodupload", equal+", "+ws.label(), kindVodupload, s, p, w)
			r.job.WriteSize, r.job.ReadSize = ws.write, ws.read
			rows = append(rows, r)
		}
		return rows
	}
	var out []scenario
	if !c.skipFloor {
		var rows []row
		for _, ws := range c.floorSizes {
			if ws.write == netHTTPWrites {
				continue
			}
			for _, k := range []struct{ lib, kind string }{{"bare sender", kindFloorBare}, {"wire sender", kindFloorWire},
				{"bare sender TLS", kindFloorBareTLS}, {"wire sender TLS", kindFloorWireTLS}} {
				r := mk("floor", k.lib, fmt.Sprintf("%s, %d connections", ws.label(), c.workers), k.kind, c.size, 0, c.workers)
				r.job.WriteSize, r.job.ReadSize = ws.write, ws.read
				rows = append(rows, r)
			}
			// The stream senders keep no separate read size: a stream is
			// read into the part (or the write buffer) as a whole.
			if ws.read == 0 || ws.read == ws.write {
				settings := fmt.Sprintf("%s, %d connections", ws.label(), c.workers)
				for _, k := range []struct{ lib, kind string }{{fmt.Sprintf("bare stream sender, %d MiB parts", c.partSize/mib), kindFloorStreamParts},
					{fmt.Sprintf("bare stream sender, %d MiB parts sent as filled", c.partSize/mib), kindFloorStreamHot},
					{"bare stream sender, no parts", kindFloorStreamBare}} {
					r := mk("floor", k.lib, settings, k.kind, c.size, c.partSize, c.workers)
					r.job.WriteSize = ws.write
					rows = append(rows, r)
				}
			}
		}
		out = append(out, scenario{name: "floor", size: c.size, floor: true, rows: rows})
	}
	if !c.skipLocal {
		out = append(out, scenario{name: "loopback", size: c.size, rows: loopback("loopback")})
	}
	if !c.skipTLS {
		out = append(out, scenario{name: "https", size: c.size, tls: true, rows: loopback("https")})
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
	var env []string
	if sc.floor {
		peer, err := startFloorPeer(c.tmp)
		if err != nil {
			return nil, fmt.Errorf("floor peer: %w", err)
		}
		defer peer.stop()
		env = append(os.Environ(), peer.env()...)
	} else {
		emu, err := startEmulator(bin, sc.faults, sc.tls, c.tmp)
		if err != nil {
			return nil, err
		}
		defer func() { _ = emu.stop() }()
		env = emu.env()
	}
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
			m, err := runOne(ctx, self, env, r.job)
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

// runOne runs one child with env and measures it.
func runOne(ctx context.Context, self string, env []string, j job) (measurement, error) {
	raw, err := json.Marshal(j)
	if err != nil {
		return measurement{}, err
	}
	out, ru, err := runMeasured(ctx, self, []string{"-child", string(raw)}, env)
	if err != nil {
		return measurement{}, err
	}
	var rep childReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return measurement{}, fmt.Errorf("decode child report %q: %w", out, err)
	}
	m := measurement{seconds: rep.Seconds, bytes: j.Size * int64(max(j.Repeat, 1)), cpu: ru.cpu, sys: ru.sys, maxRSS: ru.maxRSS}
	if rep.PeakRSS > 0 {
		m.maxRSS = rep.PeakRSS // the child's own; see peakRSS
	}
	fmt.Fprintf(os.Stderr, "  %.0f MB/s, %.3f CPU-s/GiB (%.0f%% system), %.1f MiB RSS (Go: heap %.1f, stacks %.1f, all %.1f MiB; %d GCs; %d page faults, %d reads, %d writes)\n",
		m.mbps(), m.cpuPerGiB(), 100*m.sys.Seconds()/m.cpu.Seconds(), float64(m.maxRSS)/mib,
		rep.HeapSysMiB, rep.StackSysMiB, rep.SysMiB, rep.NumGC, ru.faults, rep.Reads, rep.Writes)
	return m, nil
}
