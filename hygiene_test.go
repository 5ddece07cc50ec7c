package vodupload

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// evidence collects every text a user or operator could see: logs, error
// strings in every format, files written, command output.
type evidence struct {
	texts map[string]string // what → text
}

func (e *evidence) add(what, text string) { e.texts[what] = text }

// addErr records err as Error(), %v, %+v and %#v print it.
func (e *evidence) addErr(what string, err error) {
	if err == nil {
		return
	}
	e.add(what+" Error()", err.Error())
	e.add(what+" %+v", fmt.Sprintf("%+v", err))
	e.add(what+" %#v", fmt.Sprintf("%#v", err))
	var ue *UploadError
	if errors.As(err, &ue) {
		e.add(what+" UploadError %#v", fmt.Sprintf("%#v %#v", *ue, ue.Err))
	}
}

// addFiles records every file under dir.
func (e *evidence) addFiles(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, rerr := os.ReadFile(path)
			if assert.NoError(t, rerr) {
				e.add("file "+path, string(b))
			}
		}
		return nil
	})
}

func TestSecretsAppearInNoLogErrorFileOrOutput(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{STSTTL: 2 * time.Second, Faults: emulator.Faults{
		Seed: 11, ErrorRate: 0.2, ResetRate: 0.05, ResetAfter: 16 << 10, ThrottleRate: 0.02, LatencyJitter: 5 * time.Millisecond}})
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ev := &evidence{texts: map[string]string{}}
	plan := chaosPlan{maxSize: 2 * mib, partSize: 256 << 10, threshold: 512 << 10, parallel: 4}
	kinds := chaosKinds(plan)
	plan.uploads = len(kinds)
	env := newChaosEnv(t, srv, WithLogger(logger), WithPartSize(plan.partSize), WithMultipartThreshold(plan.threshold))
	expireEvery(t, srv, 1500*time.Millisecond)

	// Every upload kind, with faults on.
	records := runChaos(t.Context(), t, env, planChaos(plan, kinds, rand.New(rand.NewPCG(5, 6))), plan.parallel)
	for i, r := range records {
		ev.addErr(fmt.Sprintf("%s #%d", r.job.kind.name, i), r.err)
	}
	// And the ways an upload fails or recovers.
	const wrongSecret = "wrong-secret-0123456789abcdef"
	for name, run := range hygieneScenarios(wrongSecret) {
		ev.addErr(name, run(t, env))
	}
	ticket, err := env.u.CreateVideoUpload(t.Context(), VideoMeta{Title: "printed", FileName: "p.mp4"}, 10)
	require.NoError(t, err)
	logger.Info("a ticket in a log line", "ticket", ticket)
	ev.add("ticket printed", fmt.Sprintf("%v %+v %#v %s", ticket, ticket, *ticket, ticket))
	ev.add("sdk logs", logs.String())
	ev.addFiles(t, env.ckpt)
	if out, ok := cliOutput(t, srv, wrongSecret); ok {
		ev.add("cli output", out)
	}

	secrets := append(srv.Secrets(), wrongSecret)
	require.Greater(t, len(secrets), 20, "credentials were issued and refreshed")
	var scanned int
	for what, text := range ev.texts {
		scanned += len(text)
		for _, s := range secrets {
			if !assert.NotContains(t, text, s, "%s leaks a secret", what) {
				break
			}
		}
	}
	for _, msg := range []string{`"level":"DEBUG"`, `"msg":"retrying"`, `"msg":"upload credential refreshed"`,
		`"msg":"abandoned registration deleted"`} {
		assert.Contains(t, logs.String(), msg, "the logs cover faults and refreshes")
	}
	t.Logf("checked %d secrets against %d texts (%d bytes): logs, errors, checkpoint files, ticket printing, CLI output",
		len(secrets), len(ev.texts), scanned)
}

// hygieneScenarios are uploads that fail on purpose or recover from an
// expired credential, each returning its error.
func hygieneScenarios(wrongSecret string) map[string]func(*testing.T, *chaosEnv) error {
	return map[string]func(*testing.T, *chaosEnv) error{
		"expired ticket, refreshed": func(t *testing.T, env *chaosEnv) error {
			ticket, err := env.u.CreateVideoUpload(t.Context(), VideoMeta{Title: "renewed", FileName: "r.mp4"}, 1000)
			require.NoError(t, err)
			env.srv.ExpireCredentials()
			refresh := func(ctx context.Context) (*UploadTicket, error) { return env.u.RefreshVideoUpload(ctx, ticket.MediaID) }
			res, err := env.u.UploadWithTicket(t.Context(), FileSource(hygieneFile(t, env, 1000)), ticket, refresh)
			if assert.NoError(t, err) {
				assert.Positive(t, res.Refreshes)
			}
			return err
		},
		"image revoked mid-upload, registered again": func(t *testing.T, env *chaosEnv) error {
			const partSize = 256 << 10
			data := bytes.Repeat([]byte("poster"), partSize/2)
			var once sync.Once
			revoke := func() { once.Do(env.srv.ExpireCredentials) }
			src := ReaderSource(&revokingReader{bytes.NewReader(data), partSize, revoke}, int64(len(data)), "poster.png")
			_, err := env.u.UploadImage(t.Context(), src, ImageMeta{Title: "poster", ImageExt: "png"},
				WithPartSize(partSize), WithMultipartThreshold(partSize), WithConcurrency(1))
			assert.NoError(t, err)
			return err
		},
		"wrong AccessKeySecret": func(t *testing.T, env *chaosEnv) error {
			u, err := New(WithEndpoint(env.srv.URL), WithCredentials(StaticCredentials(env.srv.AccessKeyID, wrongSecret)))
			require.NoError(t, err)
			_, err = u.UploadVideo(t.Context(), FileSource(hygieneFile(t, env, 1000)), VideoMeta{Title: "wrong"})
			require.Error(t, err)
			return err
		},
		"expired ticket without refresher": func(t *testing.T, env *chaosEnv) error {
			ticket, err := env.u.CreateVideoUpload(t.Context(), VideoMeta{Title: "expired", FileName: "e.mp4"}, 1000)
			require.NoError(t, err)
			env.srv.ExpireCredentials()
			_, err = env.u.UploadWithTicket(t.Context(), FileSource(hygieneFile(t, env, 1000)), ticket, nil)
			require.Error(t, err)
			return err
		},
		"ticket for another object": func(t *testing.T, env *chaosEnv) error {
			ticket, err := env.u.CreateVideoUpload(t.Context(), VideoMeta{Title: "moved", FileName: "m.mp4"}, 1000)
			require.NoError(t, err)
			ticket.UploadAddress = retargetAddress(t, ticket.UploadAddress, "", "sv/elsewhere/m.mp4")
			_, err = env.u.UploadWithTicket(t.Context(), FileSource(hygieneFile(t, env, 1000)), ticket, nil)
			require.Error(t, err)
			return err
		},
		"cancelled upload with checkpoint": func(t *testing.T, env *chaosEnv) error {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			start := env.srv.Counters().Requests["UploadPart"]
			go func() {
				for env.srv.Counters().Requests["UploadPart"] < start+3 && ctx.Err() == nil {
					time.Sleep(2 * time.Millisecond)
				}
				cancel()
			}()
			_, err := env.u.UploadVideo(ctx, FileSource(hygieneFile(t, env, 4*mib)), VideoMeta{Title: "cancelled"},
				WithCheckpointDir(env.ckpt), WithConcurrency(1))
			require.Error(t, err)
			return err
		},
	}
}

func hygieneFile(t *testing.T, env *chaosEnv, size int64) string {
	t.Helper()
	path := filepath.Join(env.dir, fmt.Sprintf("hygiene-%d-%d.mp4", size, time.Now().UnixNano()))
	writeRandomFile(t, path, size, uint64(size))
	return path
}

// retargetAddress rewrites a base64 UploadAddress to another bucket and/or
// key ("" keeps the field).
func retargetAddress(t *testing.T, b64, bucket, key string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	var addr map[string]string
	require.NoError(t, json.Unmarshal(raw, &addr))
	if bucket != "" {
		addr["Bucket"] = bucket
	}
	if key != "" {
		addr["FileName"] = key
	}
	out, err := json.Marshal(addr)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(out)
}

// cliOutput builds examples/upload and runs it verbosely against srv,
// once successfully and once with a wrong secret, returning everything it
// printed. It reports false when the go tool is not at hand.
func cliOutput(t *testing.T, srv *emulator.Server, wrongSecret string) (string, bool) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil || testing.Short() {
		t.Log("skipping the CLI: no go tool or -short")
		return "", false
	}
	bin := filepath.Join(t.TempDir(), "upload")
	build := exec.Command(goTool, "build", "-o", bin, "./examples/upload")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build examples/upload: %s", out)
	file := filepath.Join(t.TempDir(), "cli.mp4")
	writeRandomFile(t, file, 700<<10, 77)
	var all strings.Builder
	for _, secret := range []string{srv.AccessKeySecret, wrongSecret} {
		cmd := exec.Command(bin, "-endpoint", srv.URL, "-file", file, "-title", "cli", "-v", "-json",
			"-progress", "none", "-part-size", "262144", "-checkpoint-dir", filepath.Join(t.TempDir(), "cli-ckpt"))
		cmd.Env = append(os.Environ(), "ALIBABA_CLOUD_ACCESS_KEY_ID="+srv.AccessKeyID,
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET="+secret, "ALIBABA_CLOUD_SECURITY_TOKEN=")
		out, _ := cmd.CombinedOutput()
		all.Write(out)
	}
	require.Contains(t, all.String(), "level=DEBUG", "the CLI logged verbosely")
	return all.String(), true
}
