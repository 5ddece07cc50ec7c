package vodupload

// The kit every test in this package builds on: one emulator per test, an
// Uploader pointed at it, files of random bytes in the test's own
// directory, and one way to run the test binary as an uploading child
// process for the kill-and-resume tests.

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

const mib = 1 << 20

// childEnv makes the test binary, re-executed by a kill test, upload one
// file with a checkpoint until it is killed (see startChild).
const childEnv = "VODUPLOAD_TEST_CHILD"

// TestMain runs the uploading child when asked to, and otherwise starts
// the emulator the Examples talk to. The Examples read its endpoint and
// AccessKey from the environment, as a user's program would, so each can
// be copied as it stands.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(uploadChild())
	}
	srv, err := emulator.New(emulator.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the emulator for the examples:", err)
		os.Exit(2)
	}
	for k, v := range map[string]string{
		"VOD_ENDPOINT":                    srv.URL,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     srv.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": srv.AccessKeySecret,
	} {
		_ = os.Setenv(k, v)
	}
	_ = os.Unsetenv("ALIBABA_CLOUD_SECURITY_TOKEN")
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

// newEmulator starts an emulator for one test.
func newEmulator(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	srv, err := emulator.New(opts)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv
}

// newUploader returns an Uploader pointed at srv with fast retries.
func newUploader(t *testing.T, srv *emulator.Server, opts ...Option) *Uploader {
	t.Helper()
	base := []Option{
		WithEndpoint(srv.URL),
		WithCredentials(StaticCredentials(srv.AccessKeyID, srv.AccessKeySecret)),
		WithRetry(8, 5*time.Millisecond, 100*time.Millisecond),
	}
	u, err := New(append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(u.http.CloseIdleConnections)
	return u
}

// writeFile writes n random bytes to a file named name in a temp dir.
func writeFile(t *testing.T, name string, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	_, _ = crand.Read(data)
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path, data
}

// writeRandomFile writes size pseudo-random bytes from seed to path,
// streaming, so large files cost no memory.
func writeRandomFile(t testing.TB, path string, size int64, seed uint64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	require.NoError(t, err)
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	_, err = io.CopyN(f, rand.NewChaCha8(s), size)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// requireStored checks the emulator holds exactly data for res.
func requireStored(t *testing.T, srv *emulator.Server, res *Result, data []byte) {
	t.Helper()
	got, err := srv.Object(res.Bucket, res.ObjectKey)
	require.NoError(t, err)
	require.Equal(t, len(data), len(got), "stored size")
	require.True(t, bytes.Equal(data, got), "stored bytes differ from the source")
	assert.EqualValues(t, len(data), res.Bytes)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// childUpload is what an uploading child does: upload file with parts of
// partSize, 4 at a time, checkpointed in dir, under title (the checkpoint
// is keyed by the metadata, so the parent resumes with the same title).
type childUpload struct {
	file, dir, title string
	partSize         int64
}

// childConcurrency is the child's parts in flight, which bounds what a
// kill can cost.
const childConcurrency = 4

// uploadOptions are the options of the child and of the parent that
// resumes after it.
func (c childUpload) uploadOptions() []Option {
	return []Option{WithPartSize(c.partSize), WithConcurrency(childConcurrency),
		WithMultipartThreshold(c.partSize), WithCheckpointDir(c.dir)}
}

// startChild re-executes the test binary as an uploading child against
// srv; its stderr goes to stderr. The caller kills it (SIGKILL: no
// cleanup runs) or waits for it.
func startChild(t *testing.T, srv *emulator.Server, c childUpload, stderr io.Writer) *exec.Cmd {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"=1", "VOD_ENDPOINT="+srv.URL,
		"VOD_KEY_ID="+srv.AccessKeyID, "VOD_KEY_SECRET="+srv.AccessKeySecret,
		"VOD_FILE="+c.file, "VOD_CHECKPOINTS="+c.dir, "VOD_TITLE="+c.title,
		"VOD_PART_SIZE="+strconv.FormatInt(c.partSize, 10))
	child.Stderr = stderr
	require.NoError(t, child.Start())
	return child
}

// uploadChild is the child's side of startChild.
func uploadChild() int {
	partSize, _ := strconv.ParseInt(os.Getenv("VOD_PART_SIZE"), 10, 64)
	c := childUpload{file: os.Getenv("VOD_FILE"), dir: os.Getenv("VOD_CHECKPOINTS"),
		title: os.Getenv("VOD_TITLE"), partSize: partSize}
	u, err := New(append([]Option{
		WithEndpoint(os.Getenv("VOD_ENDPOINT")),
		WithCredentials(StaticCredentials(os.Getenv("VOD_KEY_ID"), os.Getenv("VOD_KEY_SECRET"))),
		WithRetry(8, 5*time.Millisecond, 100*time.Millisecond),
	}, c.uploadOptions()...)...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if _, err := u.UploadVideo(context.Background(), FileSource(c.file), VideoMeta{Title: c.title}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
