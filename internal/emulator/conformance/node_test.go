package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// nodeDir holds the JS suite, its package.json and package-lock.json.
const nodeDir = "testdata/node"

// installCommand is the one command that installs the suite's pinned
// dependencies, from the repository root.
const installCommand = "npm ci --prefix internal/emulator/conformance/testdata/node"

// requiredEnv makes a missing node a failure instead of a skip; CI sets it.
const requiredEnv = "VODUPLOAD_CONFORMANCE"

// pinned are the exact client versions the suite is written against.
var pinned = map[string]string{"ali-oss": "6.23.0", "@alicloud/pop-core": "1.8.0"}

// nodeStep is one JS step and what the Go side asserts after it ran.
type nodeStep struct {
	name   string
	input  int           // bytes of random input the step uploads
	ttl    time.Duration // emulator STS lifetime; 0 means the default
	region string        // emulator region; "" means the default
	check  func(t *testing.T, run stepRun)
}

// stepRun is what a check sees: the emulator the step ran against (over
// TLS or not), the bytes it was given and its JSON result.
type stepRun struct {
	srv    *emulator.Server
	tls    bool
	input  []byte
	result json.RawMessage
}

// TestNodeClients runs every step of the Node.js suite, each against its
// own emulator, all in one node process, and checks each in a subtest.
func TestNodeClients(t *testing.T) {
	t.Parallel()
	node := nodeBinary(t)
	steps := slices.Concat(vodSteps(), objectSteps(), multipartSteps(), browserSteps())
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			runSuite(t, node, steps, scheme == "https")
		})
	}
}

// testName tells apart entries that run the same JS step on differently
// configured emulators.
func (s nodeStep) testName() string {
	if s.region != "" {
		return s.name + "/region=" + s.region
	}
	return s.name
}

// planEntry is one step as run.js reads it.
type planEntry struct {
	Name  string `json:"name"`
	Step  string `json:"step"`
	Input string `json:"input"`
	TTLMs int64  `json:"ttlMs"`
	VOD   struct {
		Endpoint        string `json:"endpoint"`
		AccessKeyID     string `json:"accessKeyId"`
		AccessKeySecret string `json:"accessKeySecret"`
	} `json:"vod"`
}

// runSuite starts an emulator per step, runs them all in one node process
// and hands each step's outcome to its check. Over TLS node trusts the
// emulators' certificate authorities through NODE_EXTRA_CA_CERTS, the way
// a user points Node.js at a private CA.
func runSuite(t *testing.T, node string, steps []nodeStep, useTLS bool) {
	t.Helper()
	dir := t.TempDir()
	runs := make(map[string]stepRun, len(steps))
	plan := make([]planEntry, 0, len(steps))
	var authorities []byte
	for _, step := range steps {
		srv, err := emulator.New(emulator.Options{STSTTL: step.ttl, Region: step.region, TLS: useTLS})
		require.NoError(t, err)
		t.Cleanup(srv.Close)
		if useTLS {
			pem, err := os.ReadFile(srv.CertFile)
			require.NoError(t, err)
			authorities = append(authorities, pem...)
		}
		e := planEntry{Name: step.testName(), Step: step.name, TTLMs: effectiveTTL(step.ttl).Milliseconds()}
		e.Input = filepath.Join(dir, fmt.Sprintf("input-%d.bin", len(plan)))
		input := randomInput(e.Name, step.input)
		require.NoError(t, os.WriteFile(e.Input, input, 0o600))
		e.VOD.Endpoint, e.VOD.AccessKeyID, e.VOD.AccessKeySecret = srv.URL, srv.AccessKeyID, srv.AccessKeySecret
		plan = append(plan, e)
		runs[e.Name] = stepRun{srv: srv, input: input, tls: useTLS}
	}
	var env []string
	if useTLS {
		bundle := filepath.Join(dir, "authorities.pem")
		require.NoError(t, os.WriteFile(bundle, authorities, 0o600))
		env = append(env, "NODE_EXTRA_CA_CERTS="+bundle)
	}
	outcomes, stderr := runNode(t, node, plan, env)
	for _, step := range steps {
		name := step.testName()
		t.Run(name, func(t *testing.T) {
			out, ok := outcomes[name]
			if !ok || out.Error != nil || out.Result == nil {
				t.Fatalf("node step %s failed: %s\nnode stderr:\n%s", name, out.Error, stderr)
			}
			run := runs[name]
			run.result = out.Result
			step.check(t, run)
		})
	}
}

func effectiveTTL(ttl time.Duration) time.Duration {
	if ttl == 0 {
		return emulator.DefaultSTSTTL
	}
	return ttl
}

// nodeBinary finds node and checks the pinned dependencies are installed.
// Outside CI (requiredEnv unset) a machine without node, or without the
// installed clients, skips with the command that installs them; in CI
// either is a failure.
func nodeBinary(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv(requiredEnv) != "" {
			t.Fatalf("node not found in PATH and %s is set: the Node.js conformance suite must run", requiredEnv)
		}
		t.Skip("node not found in PATH: skipping the Node.js conformance suite (needs Node.js 20 or later)")
	}
	out, err := exec.Command(node, "--version").Output()
	require.NoError(t, err, "node --version")
	major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".")
	if n, err := strconv.Atoi(major); err != nil || n < 20 {
		t.Fatalf("the Node.js conformance suite needs Node.js 20 or later, %s is %s", node, out)
	}
	for pkg, want := range pinned {
		b, err := os.ReadFile(filepath.Join(nodeDir, "node_modules", pkg, "package.json"))
		var meta struct{ Version string }
		if err == nil {
			err = json.Unmarshal(b, &meta)
		}
		if err != nil || meta.Version != want {
			msg := fmt.Sprintf("%s %s is not installed for the Node.js conformance suite (found %q); from the repository root run:\n\t%s",
				pkg, want, meta.Version, installCommand)
			if os.Getenv(requiredEnv) != "" {
				t.Fatal(msg)
			}
			// No test touches the network, so the suite cannot install
			// its clients itself; a fresh clone's go test ./... passes
			// without them and says how to include them. CI installs them.
			t.Skip(msg)
		}
	}
	return node
}

// stepOutcome is one line of run.js's output.
type stepOutcome struct {
	Name   string          `json:"name"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// runNode runs the plan, passed in CONFORMANCE_PLAN with every emulator's
// endpoint and root AccessKey, and returns each entry's outcome by name, and
// node's stderr for failure messages. A step that failed is reported by
// its subtest; only a run that could not report (no plan read, a crash)
// fails here.
func runNode(t *testing.T, node string, plan []planEntry, env []string) (map[string]stepOutcome, string) {
	t.Helper()
	b, err := json.Marshal(plan)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "run.js")
	cmd.Dir = nodeDir
	cmd.Env = append(append(os.Environ(), "NO_PROXY=*", "CONFORMANCE_PLAN="+string(b)), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	t.Logf("node run.js, %d steps: %v wall, %v CPU", len(plan), time.Since(start).Round(time.Millisecond),
		(cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Round(time.Millisecond))

	outcomes := make(map[string]stepOutcome, len(plan))
	for line := range strings.Lines(stdout.String()) {
		var o stepOutcome
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("node run.js printed a line that is not a step outcome: %q\nstderr:\n%s", line, stderr.String())
		}
		outcomes[o.Name] = o
	}
	var exit *exec.ExitError
	if runErr != nil && !(errors.As(runErr, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("node run.js: %v\nstdout:\n%s\nstderr:\n%s", runErr, stdout.String(), stderr.String())
	}
	return outcomes, stderr.String()
}

// decode unmarshals a step's result into its own shape.
func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(raw, &v), "step result %s", raw)
	return v
}

// randomInput is reproducible per step, so a failure can be replayed.
func randomInput(name string, n int) []byte {
	var seed uint64
	for _, c := range name {
		seed = seed*31 + uint64(c)
	}
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// requireStored asserts the emulator holds exactly input at bucket/key.
func requireStored(t *testing.T, srv *emulator.Server, bucket, key string, input []byte) {
	t.Helper()
	got, err := srv.Object(bucket, key)
	require.NoError(t, err)
	require.True(t, bytes.Equal(input, got), "stored %s/%s: %d bytes, sent %d, contents differ", bucket, key, len(got), len(input))
	size, crc, err := srv.ObjectInfo(bucket, key)
	require.NoError(t, err)
	require.Equal(t, int64(len(input)), size)
	require.Equal(t, crc64.Checksum(input, crc64.MakeTable(crc64.ECMA)), crc)
}

// failure is how the JS side reports an error a client received.
type failure struct {
	Name      string `json:"name"`
	Code      string `json:"code"`
	Status    int    `json:"status"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
	HostID    string `json:"hostId"`
}

// requireOSSError asserts an OSS error answer as ali-oss parsed it.
func requireOSSError(t *testing.T, f failure, status int, code string) {
	t.Helper()
	require.Equal(t, code, f.Code, "%+v", f)
	require.Equal(t, status, f.Status, "%+v", f)
	require.NotEmpty(t, f.RequestID, "RequestId in the error XML: %+v", f)
}

func crcString(b []byte) string {
	return fmt.Sprint(crc64.Checksum(b, crc64.MakeTable(crc64.ECMA)))
}
