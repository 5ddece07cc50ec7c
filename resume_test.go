package vodupload

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

func TestResumeAfterSIGKILLKeepsVideoIDAndResendsNoFinishedPart(t *testing.T) {
	t.Parallel()
	// 4 connections at 2 MiB/s: the child needs ~8 s for 64 MiB, so it is
	// killed mid-way, after at least 20 acknowledged parts.
	srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{BandwidthBPS: 2 << 20}})
	path, data := writeFile(t, "master.mp4", 64*mib)
	dir := filepath.Join(t.TempDir(), "checkpoints")

	var childErr syncBuffer
	job := childUpload{file: path, dir: dir, title: "killed", partSize: mib}
	child := startChild(t, srv, job, &childErr)
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()

	acked := func() (uploadID string, n int64) {
		for id, parts := range srv.Counters().Parts {
			for _, c := range parts {
				n += c
			}
			uploadID = id
		}
		return uploadID, n
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, n := acked(); n >= 20 {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("child ended before it was killed: %v: %s", err, childErr.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "child made no progress: %s", childErr.String())
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, child.Process.Kill()) // SIGKILL: no cleanup runs
	<-exited
	uploadID, ackedAtKill := acked()
	finishedAtKill := srv.Counters().Parts[uploadID]
	require.Less(t, ackedAtKill, int64(64), "the kill came before the end")
	srv.SetFaults(emulator.Faults{})

	u := newUploader(t, srv, job.uploadOptions()...)
	res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: job.title})
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)

	c := srv.Counters()
	t.Logf("killed after %d acknowledged parts; resume took over %d parts and sent %d",
		ackedAtKill, res.ResumedParts, res.Parts-res.ResumedParts)
	assert.EqualValues(t, 1, c.Requests["CreateUploadVideo"], "one video: the resume kept the VideoId")
	assert.GreaterOrEqual(t, c.Requests["RefreshUploadVideo"], int64(1))
	assert.EqualValues(t, 1, c.Requests["InitiateMultipartUpload"], "the same multipart upload was continued")
	assert.Equal(t, 64, res.Parts)
	assert.GreaterOrEqual(t, int64(res.ResumedParts), ackedAtKill, "every part OSS acknowledged was taken over")
	// Parts OSS acknowledged before the kill are never sent again. Parts
	// in flight at the kill may be: OSS can finish reading one after the
	// client died, later than the resume's ListParts.
	resent := 0
	for n, sent := range c.Parts[uploadID] {
		if _, finished := finishedAtKill[n]; finished {
			assert.EqualValues(t, 1, sent, "finished part %d was sent again", n)
		}
		if sent > 1 {
			resent++
		}
	}
	t.Logf("parts sent twice: %d (in flight at the kill: at most 4)", resent)
	assert.LessOrEqual(t, resent, 4, "re-sent parts are bounded by the in-flight count")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".ckpt", "the checkpoint is removed after success")
	}
}

// interrupted starts an upload of path with a checkpoint in dir and
// cancels it after some parts, leaving the checkpoint behind.
func interrupted(t *testing.T, srv *emulator.Server, path, dir string) {
	t.Helper()
	interruptedAfter(t, srv, path, dir, 6)
}

// interruptedAfter is interrupted, cancelled once parts part requests
// have started.
func interruptedAfter(t *testing.T, srv *emulator.Server, path, dir string, parts int64) {
	t.Helper()
	srv.SetFaults(emulator.Faults{BandwidthBPS: 1 << 20})
	defer srv.SetFaults(emulator.Faults{})
	u := newUploader(t, srv, WithPartSize(256<<10), WithMultipartThreshold(256<<10), WithCheckpointDir(dir))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := srv.Counters().Requests["UploadPart"]
	go func() {
		for srv.Counters().Requests["UploadPart"] < start+parts {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := u.UploadVideo(ctx, FileSource(path), VideoMeta{Title: "resumable"})
	var ue *UploadError
	require.ErrorAs(t, err, &ue)
	require.True(t, ue.Resumable, "with checkpoints on, a cancelled upload is resumable: %v", err)
	assert.False(t, ue.Aborted)
	assert.Contains(t, err.Error(), "resumable")
	require.NotEmpty(t, srv.MultipartUploads(), "the parts were kept, not aborted")
	settle(t, srv)
}

// settle waits until the emulator has stopped accepting bytes: a cancelled
// request whose body already sat in the server's socket buffer may still
// be accepted after the client gave up, as OSS may. Resuming before that
// would race it.
func settle(t *testing.T, srv *emulator.Server) {
	t.Helper()
	last, stable := srv.Counters().BytesReceived, 0
	for deadline := time.Now().Add(30 * time.Second); stable < 10; time.Sleep(30 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "the emulator kept receiving")
		if now := srv.Counters().BytesReceived; now != last {
			last, stable = now, 0
			continue
		}
		stable++
	}
}

func checkpointFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.ckpt"))
	require.NoError(t, err)
	return files
}

func TestCheckpointFilesHoldNoSecretAndAreOwnerOnly(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	path, _ := writeFile(t, "secret.mp4", 4*mib)
	dir := filepath.Join(t.TempDir(), "ckpt")
	interrupted(t, srv, path, dir)

	files := checkpointFiles(t, dir)
	require.Len(t, files, 1)
	st, err := os.Stat(files[0])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	body, err := os.ReadFile(files[0])
	require.NoError(t, err)
	for _, secret := range srv.Secrets() {
		assert.NotContains(t, string(body), secret)
	}
}

func TestResumeFallsBackToAFreshUploadWhenItMust(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		between   func(t *testing.T, srv *emulator.Server, path, dir string) []byte // returns the new file content, or nil
		wantVideo int64                                                             // CreateUploadVideo calls after both runs
		wantLog   string
	}{
		{"file modified", func(t *testing.T, _ *emulator.Server, path, _ string) []byte {
			data := make([]byte, 3*mib+77)
			_, _ = rand.Read(data)
			require.NoError(t, os.WriteFile(path, data, 0o600))
			return data
		}, 2, "the file changed"},
		{"checkpoint truncated", corruptCheckpoint(func(b []byte) []byte { return b[:len(b)/2] }), 2, "unreadable"},
		{"checkpoint random bytes", corruptCheckpoint(func(b []byte) []byte { _, _ = rand.Read(b); return b }), 2, "unreadable"},
		{"checkpoint wrong magic", corruptCheckpoint(func(b []byte) []byte { return append([]byte("xx"), b[2:]...) }), 2, "unreadable"},
		{"video deleted in VOD", func(t *testing.T, srv *emulator.Server, _, dir string) []byte {
			body, err := os.ReadFile(checkpointFiles(t, dir)[0])
			require.NoError(t, err)
			srv.DeleteMedia(videoIDIn(t, body))
			return nil
		}, 2, "no longer exists in VOD"},
		{"multipart upload expired after 7 days", func(t *testing.T, srv *emulator.Server, _, _ string) []byte {
			srv.ExpireMultipartUploads()
			return nil
		}, 1, "no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newEmulator(t, emulator.Options{})
			path, data := writeFile(t, "movie.mp4", 4*mib)
			dir := filepath.Join(t.TempDir(), "ckpt")
			interrupted(t, srv, path, dir)
			if changed := tt.between(t, srv, path, dir); changed != nil {
				data = changed
			}
			var logs syncBuffer
			u := newUploader(t, srv, WithPartSize(256<<10), WithMultipartThreshold(256<<10), WithCheckpointDir(dir),
				WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "resumable"})
			require.NoError(t, err)
			requireStored(t, srv, &res.Result, data)
			assert.EqualValues(t, tt.wantVideo, srv.Counters().Requests["CreateUploadVideo"])
			assert.Contains(t, logs.String(), tt.wantLog)
			assert.Empty(t, checkpointFiles(t, dir))
		})
	}
}

func corruptCheckpoint(mutate func([]byte) []byte) func(*testing.T, *emulator.Server, string, string) []byte {
	return func(t *testing.T, _ *emulator.Server, _, dir string) []byte {
		files := checkpointFiles(t, dir)
		require.Len(t, files, 1)
		body, err := os.ReadFile(files[0])
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(files[0], mutate(body), 0o600))
		return nil
	}
}

// videoIDIn pulls the media ID out of a checkpoint file.
func videoIDIn(t *testing.T, body []byte) string {
	t.Helper()
	s := string(body)
	i := strings.Index(s, `"mediaId":"`)
	require.GreaterOrEqual(t, i, 0, "checkpoint has a mediaId")
	s = s[i+len(`"mediaId":"`):]
	return s[:strings.IndexByte(s, '"')]
}

func TestResumedUploadKeepsVideoID(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	path, data := writeFile(t, "resume.mp4", 4*mib)
	dir := filepath.Join(t.TempDir(), "ckpt")
	interrupted(t, srv, path, dir)
	body, err := os.ReadFile(checkpointFiles(t, dir)[0])
	require.NoError(t, err)
	videoID := videoIDIn(t, body)

	u := newUploader(t, srv, WithPartSize(256<<10), WithMultipartThreshold(256<<10), WithCheckpointDir(dir))
	res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "resumable"})
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)
	assert.Equal(t, videoID, res.VideoID)
	assert.Positive(t, res.ResumedParts)
	assert.EqualValues(t, 1, srv.Counters().Requests["CreateUploadVideo"])
	parts := srv.Counters().Parts
	require.Len(t, parts, 1, "one multipart upload across both runs")
	for _, perPart := range parts {
		for n, sent := range perPart {
			assert.EqualValues(t, 1, sent, "part %d accepted more than once", n)
		}
	}
}

func TestConcurrentResumeOfOneCheckpointIsRefused(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{BandwidthBPS: 512 << 10}})
	path, _ := writeFile(t, "twice.mp4", 4*mib)
	dir := filepath.Join(t.TempDir(), "ckpt")
	u := newUploader(t, srv, WithPartSize(256<<10), WithMultipartThreshold(256<<10), WithCheckpointDir(dir))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan error, 1)
	go func() {
		_, err := u.UploadVideo(ctx, FileSource(path), VideoMeta{Title: "twice"})
		first <- err
	}()
	for srv.Counters().Requests["UploadPart"] == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	_, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "twice"})
	assert.ErrorIs(t, err, ErrCheckpointLocked)
	cancel()
	<-first
	assert.EqualValues(t, 1, srv.Counters().Requests["CreateUploadVideo"], "the refused upload created nothing")
}

// TestResumedUploadReportsThisRunsRate: the rate of a resumed upload is
// what this run sends, not the bytes taken over from the checkpoint
// divided by this run's time. Under a bandwidth limit it stays near the
// limit; Progress.Resumed and Result.ResumedBytes say what was taken over.
func TestResumedUploadReportsThisRunsRate(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	path, data := writeFile(t, "resumed.mp4", 4*mib)
	dir := filepath.Join(t.TempDir(), "ckpt")
	interruptedAfter(t, srv, path, dir, 12)

	const limit = 1 << 20
	var reports []Progress // the callback runs from one goroutine at a time
	u := newUploader(t, srv, WithBandwidthLimit(limit), WithPartSize(256<<10), WithMultipartThreshold(256<<10),
		WithCheckpointDir(dir), WithProgressInterval(50*time.Millisecond),
		WithProgress(func(p Progress) { reports = append(reports, p) }))
	res, err := u.UploadVideo(t.Context(), FileSource(path), VideoMeta{Title: "resumable"})
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)

	require.NotEmpty(t, reports)
	final := reports[len(reports)-1]
	require.True(t, final.Final)
	require.GreaterOrEqual(t, final.Resumed, int64(mib), "enough was taken over for an inflated rate to show")
	assert.Equal(t, res.ResumedBytes, final.Resumed)
	assert.EqualValues(t, int64(res.ResumedParts)*(256<<10), res.ResumedBytes)
	assert.EqualValues(t, len(data), final.Done, "Done counts every acknowledged byte, resumed ones too")
	for _, p := range reports {
		assert.GreaterOrEqual(t, p.Done, p.Resumed)
	}
	// Generous bounds: the limiter lets a burst through, machines are noisy.
	sent := float64(res.Bytes - res.ResumedBytes)
	t.Logf("resumed %d bytes, sent %.0f in %s; final rate %.0f B/s, limit %d", res.ResumedBytes, sent, res.Duration, final.Rate, limit)
	assert.Less(t, final.Rate, 1.5*limit, "the final rate counts only this run's bytes")
	assert.Greater(t, final.Rate, 0.25*limit)
	assert.Less(t, sent/res.Duration.Seconds(), 1.5*limit)
	for _, p := range reports[:len(reports)-1] {
		if p.Elapsed > 500*time.Millisecond {
			assert.Less(t, p.Rate, 2.0*limit, "a running report at %s", p.Elapsed)
		}
	}
}

// TestListAndPruneCheckpoints: a checkpoint left behind (here by an
// interrupted upload whose metadata then changed) is listed with its file,
// video and progress, survives a prune that is not old enough, and is
// removed by one that is, with the unfinished video it was uploading.
func TestListAndPruneCheckpoints(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	path, _ := writeFile(t, "left-behind.mp4", 4*mib)
	dir := filepath.Join(t.TempDir(), "ckpt")
	interrupted(t, srv, path, dir)
	u := newUploader(t, srv, WithCheckpointDir(dir))

	infos, err := u.ListCheckpoints(t.Context())
	require.NoError(t, err)
	require.Len(t, infos, 1)
	info := infos[0]
	require.NoError(t, info.Err)
	assert.Equal(t, path, info.File)
	assert.EqualValues(t, 4*mib, info.FileSize)
	assert.True(t, srv.HasMedia(info.MediaID))
	assert.NotEmpty(t, info.UploadID)
	assert.Positive(t, info.PartsDone)
	assert.EqualValues(t, info.PartsDone*(256<<10), info.BytesDone)
	assert.WithinDuration(t, time.Now(), info.Updated, time.Minute)
	assert.False(t, info.Created.After(info.Updated))

	pruned, err := u.PruneCheckpoints(t.Context(), time.Hour)
	require.NoError(t, err)
	assert.Empty(t, pruned, "a checkpoint saved a moment ago is not an hour old")
	assert.Len(t, checkpointFiles(t, dir), 1)

	pruned, err = u.PruneCheckpoints(t.Context(), 0)
	require.NoError(t, err)
	require.Len(t, pruned, 1)
	assert.Equal(t, info.MediaID, pruned[0].MediaID)
	assert.True(t, pruned[0].MediaDeleted)
	assert.False(t, srv.HasMedia(info.MediaID), "the video the checkpoint was uploading never finished: deleted")
	assert.Empty(t, checkpointFiles(t, dir))
	infos, err = u.ListCheckpoints(t.Context())
	require.NoError(t, err)
	assert.Empty(t, infos)
}

// TestPruneKeepsWhatIsInUseOrFinished: pruning skips a checkpoint an upload
// holds, keeps the video of a checkpoint whose upload completed, removes a
// damaged checkpoint whatever its age, and with WithKeepFailedMedia keeps
// every video.
func TestPruneKeepsWhatIsInUseOrFinished(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	dir := filepath.Join(t.TempDir(), "ckpt")

	// A checkpoint left behind by an upload that then completed.
	done, _ := writeFile(t, "done.mp4", 4*mib)
	interrupted(t, srv, done, dir)
	files := checkpointFiles(t, dir)
	require.Len(t, files, 1)
	saved, err := os.ReadFile(files[0])
	require.NoError(t, err)
	finisher := newUploader(t, srv, WithPartSize(256<<10), WithMultipartThreshold(256<<10), WithCheckpointDir(dir))
	res, err := finisher.UploadVideo(t.Context(), FileSource(done), VideoMeta{Title: "resumable"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(files[0], saved, 0o600))

	// A damaged checkpoint.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0123456789abcdef0123456789abcdef.ckpt"), []byte("garbage"), 0o600))

	// A checkpoint in use.
	held, _ := writeFile(t, "held.mp4", 4*mib)
	interrupted(t, srv, held, dir)
	infos, err := finisher.ListCheckpoints(t.Context())
	require.NoError(t, err)
	require.Len(t, infos, 3)
	var heldInfo CheckpointInfo
	damaged := 0
	for _, in := range infos {
		switch {
		case in.Err != nil:
			damaged++
		case in.File == held:
			heldInfo = in
		}
	}
	assert.Equal(t, 1, damaged, "the damaged checkpoint is listed with its error")
	store, ok := finisher.opts.Upload.Checkpoints.(CheckpointLocker)
	require.True(t, ok)
	unlock, err := store.Lock(heldInfo.Key)
	require.NoError(t, err)

	keeper := newUploader(t, srv, WithCheckpointDir(dir), WithKeepFailedMedia())
	pruned, err := keeper.PruneCheckpoints(t.Context(), 0)
	require.NoError(t, err)
	require.Len(t, pruned, 2, "the damaged and the finished upload's; the held one is skipped")
	for _, p := range pruned {
		assert.False(t, p.MediaDeleted)
	}
	assert.True(t, srv.HasMedia(res.VideoID), "a finished video is never pruned")
	require.NoError(t, unlock())
	assert.True(t, srv.HasMedia(heldInfo.MediaID))
	assert.Len(t, checkpointFiles(t, dir), 1)

	pruned, err = newUploader(t, srv, WithCheckpointDir(dir)).PruneCheckpoints(t.Context(), 0)
	require.NoError(t, err)
	require.Len(t, pruned, 1)
	assert.True(t, pruned[0].MediaDeleted)
	assert.False(t, srv.HasMedia(heldInfo.MediaID))
}

func TestListCheckpointsNeedsAListableStore(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	_, err := newUploader(t, srv).ListCheckpoints(t.Context())
	assert.ErrorIs(t, err, ErrValidation)
	_, err = newUploader(t, srv, WithCheckpoints(loadSaveDelete{})).PruneCheckpoints(t.Context(), 0)
	assert.ErrorIs(t, err, ErrValidation)
	assert.ErrorContains(t, err, "CheckpointLister")
}

// loadSaveDelete is a CheckpointStore with nothing more.
type loadSaveDelete struct{}

func (loadSaveDelete) Load(context.Context, string) ([]byte, error) { return nil, os.ErrNotExist }
func (loadSaveDelete) Save(context.Context, string, []byte) error   { return nil }
func (loadSaveDelete) Delete(context.Context, string) error         { return nil }

// lockedStore is a store of the user's that holds one damaged record and
// reports its key locked as CheckpointLocker documents: with
// ErrCheckpointLocked.
type lockedStore struct{ loadSaveDelete }

func (lockedStore) Load(context.Context, string) ([]byte, error) { return []byte("damaged"), nil }
func (lockedStore) Keys(context.Context) ([]string, error)       { return []string{"held"}, nil }
func (lockedStore) Lock(key string) (func() error, error)        { return nil, ErrCheckpointLocked }

// TestPruneSkipsWhatAUserStoreReportsLocked: a checkpoint an upload holds
// is skipped, not an error, whether the lock is the directory store's or a
// store of the user's that returns ErrCheckpointLocked.
func TestPruneSkipsWhatAUserStoreReportsLocked(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	pruned, err := newUploader(t, srv, WithCheckpoints(lockedStore{})).PruneCheckpoints(t.Context(), 0)
	require.NoError(t, err)
	assert.Empty(t, pruned)
}
