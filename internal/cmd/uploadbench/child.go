package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/vodupload/vodupload"
	"github.com/vodupload/vodupload/internal/cmd/uploadbench/benchkit"
	"github.com/vodupload/vodupload/internal/vodapi"
	"github.com/vodupload/vodupload/internal/wire"
)

// The child reads the emulator from its environment.
const (
	envEndpoint = "UPLOADBENCH_ENDPOINT"
	envKeyID    = "UPLOADBENCH_KEY_ID"
	envSecret   = "UPLOADBENCH_KEY_SECRET"
)

// Upload kinds a child can run; each is one library's way to upload.
const (
	kindBaseline      = "baseline" // CreateUploadVideo only: the fixed cost of a child
	kindVodupload     = "vodupload"
	kindVoduploadFeed = "vodupload-stream"
	kindOSSUploadFile = "oss-uploadfile"
	kindOSSV2         = "oss-v2-uploader"
	kindOSSV2Feed     = "oss-v2-stream"
	kindSinglePut     = "single-put"
)

// job is what a child is asked to do.
type job struct {
	Kind     string `json:"kind"`
	File     string `json:"file"`
	Size     int64  `json:"size"`
	PartSize int64  `json:"part_size"` // 0: the library's default
	Workers  int    `json:"workers"`   // 0: the library's default
	// WriteSize sets vodupload's largest socket write of a request body;
	// 0 keeps its default, netHTTPWrites sends through net/http's own
	// transport (32 KiB writes).
	WriteSize int `json:"write_size,omitempty"`
	// ReadSize sets vodupload's largest read from a body; 0 keeps its
	// default.
	ReadSize int `json:"read_size,omitempty"`
	// Repeat is how many uploads of Size one vodupload child makes with one
	// Uploader, one after another, as an AppServer does; 0 means one.
	Repeat int `json:"repeat,omitempty"`
	// Profile, when set, is the path prefix of the child's CPU profile
	// (.cpu.pprof) and heap profile (.heap.pprof).
	Profile string `json:"profile,omitempty"`
}

// childReport is the child's one line of output.
type childReport struct {
	Seconds float64 `json:"seconds"`
	// The Go runtime's view at the end, to explain the RSS column.
	HeapSysMiB  float64 `json:"heap_sys_mib"`
	StackSysMiB float64 `json:"stack_sys_mib"`
	SysMiB      float64 `json:"sys_mib"`
	NumGC       uint32  `json:"num_gc"`
	// PeakRSS is the child's own peak resident set in bytes (VmHWM); 0
	// where unknown.
	PeakRSS int64 `json:"peak_rss"`
	// Reads and writes are the child's read- and write-family system
	// calls (syscr, syscw of /proc/self/io); 0 where unknown.
	Reads  int64 `json:"reads,omitempty"`
	Writes int64 `json:"writes,omitempty"`
}

// runChild performs one upload and prints how long it took from the VOD
// call to the stored object; the parent takes CPU and memory from the
// child's rusage.
func runChild(ctx context.Context, raw string, getenv func(string) string, stdout io.Writer) error {
	var j job
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		return fmt.Errorf("decode job: %w", err)
	}
	endpoint, keyID, secret := getenv(envEndpoint), getenv(envKeyID), getenv(envSecret)
	if (endpoint == "" || keyID == "" || secret == "") && !isFloor(j.Kind) {
		return errors.New("child: the emulator's endpoint and AccessKey must be in the environment")
	}
	stopProfile, err := startProfile(j.Profile)
	if err != nil {
		return err
	}
	start := time.Now()
	switch {
	case isFloor(j.Kind):
		err = sendFloor(ctx, j, getenv)
	case j.Kind == kindVodupload || j.Kind == kindVoduploadFeed:
		err = uploadOurs(ctx, j, endpoint, keyID, secret)
	default:
		err = uploadRival(ctx, j, endpoint, keyID, secret)
	}
	elapsed := time.Since(start)
	if perr := stopProfile(); err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep := childReport{Seconds: elapsed.Seconds(),
		HeapSysMiB: float64(ms.HeapSys) / mib, StackSysMiB: float64(ms.StackSys) / mib,
		SysMiB: float64(ms.Sys) / mib, NumGC: ms.NumGC, PeakRSS: peakRSS()}
	rep.Reads, rep.Writes = procIO("syscr"), procIO("syscw")
	return json.NewEncoder(stdout).Encode(rep)
}

// peakRSS is the process's own peak resident set (VmHWM) in bytes, 0
// where /proc does not say. The parent cannot take it from the child's
// rusage: Linux starts a child's ru_maxrss at the peak of the address
// space it was forked from (os/exec's vfork shares the parent's until
// exec), so ru_maxrss never reads below the parent's own peak.
func peakRSS() int64 {
	return procField("/proc/self/status", "VmHWM:", "kB") << 10
}

// procIO is a counter of /proc/self/io, 0 where /proc does not say.
func procIO(name string) int64 {
	return procField("/proc/self/io", name+":", "")
}

// procField is the number after prefix on a line of the /proc file path,
// followed by unit when unit is not empty; 0 if there is none.
func procField(path, prefix, unit string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		v, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 || (unit != "" && (len(f) != 2 || f[1] != unit)) {
			return 0
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return n
	}
	return 0
}

// startProfile starts a CPU profile at prefix+".cpu.pprof" and returns
// the function that stops it and writes the heap profile.
func startProfile(prefix string) (func() error, error) {
	if prefix == "" {
		return func() error { return nil }, nil
	}
	runtime.MemProfileRate = 4096
	cpu, err := os.Create(prefix + ".cpu.pprof")
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		_ = cpu.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := cpu.Close(); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		heap, err := os.Create(prefix + ".heap.pprof")
		if err != nil {
			return fmt.Errorf("heap profile: %w", err)
		}
		err = pprof.Lookup("allocs").WriteTo(heap, 0)
		if cerr := heap.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

func uploadOurs(ctx context.Context, j job, endpoint, keyID, secret string) error {
	opts := []vodupload.Option{
		vodupload.WithEndpoint(endpoint),
		vodupload.WithCredentials(vodupload.StaticCredentials(keyID, secret)),
	}
	if j.PartSize > 0 {
		opts = append(opts, vodupload.WithPartSize(j.PartSize))
	}
	if j.Workers > 0 {
		opts = append(opts, vodupload.WithConcurrency(j.Workers))
	}
	if j.WriteSize != 0 {
		opts = append(opts, vodupload.WithHTTPClient(httpClient(j.WriteSize, j.ReadSize)))
	}
	u, err := vodupload.New(opts...)
	if err != nil {
		return err
	}
	for range max(j.Repeat, 1) {
		src := vodupload.FileSource(j.File)
		if j.Kind == kindVoduploadFeed {
			src = vodupload.ReaderSource(benchkit.NewGenerator(j.Size, 1), -1, "bench.mp4")
		}
		res, err := u.UploadVideo(ctx, src, vodupload.VideoMeta{Title: "uploadbench"})
		if err != nil {
			return err
		}
		if res.Bytes != j.Size {
			return fmt.Errorf("vodupload stored %d bytes, want %d", res.Bytes, j.Size)
		}
	}
	return nil
}

// netHTTPWrites as a job's WriteSize means net/http's own transport.
const netHTTPWrites = -1

// httpClient is vodupload's transport with writes and reads of the given
// sizes, or with netHTTPWrites net/http's, for the write-size rows.
func httpClient(write, read int) *http.Client {
	var tr *http.Transport
	if write == netHTTPWrites {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	} else {
		tr = wire.NewTransport(wire.Config{WriteSize: write, ReadSize: read})
	}
	tr.DisableCompression = true
	return &http.Client{Transport: tr}
}

func uploadRival(ctx context.Context, j job, endpoint, keyID, secret string) error {
	vod, err := vodapi.New(vodapi.Config{Endpoint: endpoint, Credentials: vodupload.StaticCredentials(keyID, secret)})
	if err != nil {
		return err
	}
	defer vod.Close()
	t, err := benchkit.CreateTarget(ctx, vod, "uploadbench", "bench.mp4", j.Size)
	if err != nil {
		return err
	}
	s := benchkit.Settings{PartSize: j.PartSize, Workers: j.Workers}
	switch j.Kind {
	case kindBaseline:
		return nil
	case kindOSSUploadFile:
		return benchkit.OSSUploadFile(t, j.File, s)
	case kindOSSV2:
		return benchkit.OSSV2UploadFile(ctx, t, j.File, s)
	case kindOSSV2Feed:
		return benchkit.OSSV2UploadStream(ctx, t, benchkit.NewGenerator(j.Size, 1), s)
	case kindSinglePut:
		return benchkit.OSSPutObject(t, j.File)
	}
	return fmt.Errorf("child: unknown kind %q", j.Kind)
}
