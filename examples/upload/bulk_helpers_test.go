package main

// The kit of the bulk import tests: manifests written from rows, the
// results file read back, the test binary run as the CLI (so it can be
// killed), and a VOD proxy that sees every media ID VOD hands out.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// bulkChildEnv holds the JSON arguments when the test binary runs as the
// CLI for TestBulkChildProcess.
const bulkChildEnv = "VODUPLOAD_BULK_CHILD_ARGS"

// TestBulkChildProcess is the CLI when the kill test starts the test
// binary with bulkChildEnv set; otherwise there is nothing to run.
func TestBulkChildProcess(t *testing.T) {
	raw := os.Getenv(bulkChildEnv)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		os.Exit(99)
	}
	os.Exit(run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
}

// startBulkChild runs the CLI with args in a child process, its output
// into the file out. The caller kills or waits for it.
func startBulkChild(t *testing.T, out string, args ...string) *exec.Cmd {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	f, err := os.Create(out)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	cmd := exec.Command(os.Args[0], "-test.run=^TestBulkChildProcess$")
	cmd.Env = append(os.Environ(), bulkChildEnv+"="+string(raw))
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(t, cmd.Start())
	return cmd
}

// readFile is path's text, or why it cannot be read.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// writeCSV writes a manifest of rows, the first being the header.
func writeCSV(t *testing.T, path string, rows [][]string) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	require.NoError(t, w.WriteAll(rows))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o600))
}

// readRecords reads every line of a results file that parses.
func readRecords(t *testing.T, path string) []record {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	var out []record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r record
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			out = append(out, r)
		}
	}
	return out
}

// latest is the last record of each key.
func latest(recs []record) map[string]record {
	out := map[string]record{}
	for _, r := range recs {
		out[r.Key] = r
	}
	return out
}

// serveDir serves the files under dir over HTTP, 404 for the rest.
func serveDir(t *testing.T, dir string) string {
	t.Helper()
	web := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(web.Close)
	return web.URL
}

// vodProxy stands between the CLI and the emulator's VOD API. It
// collects every media and job ID in VOD's answers and, once held, keeps
// the calls that register media from reaching VOD, so a test can kill
// the CLI when every registration VOD answered has been recorded.
type vodProxy struct {
	URL string

	mu       sync.Mutex
	held     chan struct{} // closed to release; nil when not holding
	inFlight int           // registering calls forwarded, not yet answered
	seen     map[string]bool
	regs     map[string]bool // IDs from CreateUpload* and UploadMediaByURL answers
}

var idInAnswer = regexp.MustCompile(`(?:"|<)(VideoId|ImageId|MediaId|JobId)(?:"\s*:\s*"|>)([0-9A-Za-z-]+)`)

// registers reports whether a VOD action creates media.
func registers(action string) bool {
	return strings.HasPrefix(action, "CreateUpload") || action == "UploadMediaByURL"
}

func newVODProxy(t *testing.T, target string) *vodProxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &vodProxy{seen: map[string]bool{}, regs: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		action := r.URL.Query().Get("Action")
		if form, err := url.ParseQuery(string(body)); action == "" && err == nil {
			action = form.Get("Action")
		}
		reg := registers(action)
		p.mu.Lock()
		held := p.held
		if reg && held == nil {
			p.inFlight++
		}
		p.mu.Unlock()
		if reg && held != nil {
			<-held // never forwarded: the CLI is killed meanwhile
			http.Error(w, "held by the test", http.StatusServiceUnavailable)
			return
		}
		rec := &teeWriter{ResponseWriter: w}
		rp.ServeHTTP(rec, r)
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, m := range idInAnswer.FindAllStringSubmatch(rec.buf.String(), -1) {
			p.seen[m[2]] = true
			if reg {
				p.regs[m[2]] = true
			}
		}
		if reg {
			p.inFlight--
		}
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// hold stops registering calls from reaching VOD.
func (p *vodProxy) hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = make(chan struct{})
}

// release answers the held calls with 503 and lets later ones through.
func (p *vodProxy) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held != nil {
		close(p.held)
		p.held = nil
	}
}

// registered returns the IDs registering calls were answered with, once
// none is in flight; ok is false while one is.
func (p *vodProxy) registered() (ids map[string]bool, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]bool, len(p.regs))
	for id := range p.regs {
		out[id] = true
	}
	return out, p.inFlight == 0
}

// allSeen is every media or job ID VOD's answers named.
func (p *vodProxy) allSeen() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]bool, len(p.seen))
	for id := range p.seen {
		out[id] = true
	}
	return out
}

// teeWriter keeps a copy of the response body.
type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

// tempFile writes data to name under dir, creating directories.
func tempFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, data, 0o600))
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
