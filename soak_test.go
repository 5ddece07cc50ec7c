package vodupload

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

const soakConcurrency = childConcurrency

// soakPlan sizes a kill-and-resume run.
type soakPlan struct {
	kills     int
	size      int64
	partSize  int64
	bandwidth int64 // per connection, so kills land mid-upload
}

func soakPlanFor(long bool) soakPlan {
	if long {
		return soakPlan{kills: 10, size: 64 * mib, partSize: mib, bandwidth: 4 << 20}
	}
	return soakPlan{kills: 3, size: 16 * mib, partSize: mib, bandwidth: 4 << 20}
}

// soakKill is one SIGKILL and where it landed.
type soakKill struct {
	target int64 // bytes the child was to get accepted before the kill
	got    int64 // bytes it did get accepted
	after  time.Duration
}

func TestSoakKillAndResumeLosesNothing(t *testing.T) {
	t.Parallel()
	plan := soakPlanFor(*chaosLong)
	srv := newEmulator(t, emulator.Options{Faults: emulator.Faults{BandwidthBPS: plan.bandwidth}})
	path := filepath.Join(t.TempDir(), "soak.mp4")
	writeRandomFile(t, path, plan.size, 42)
	dir := filepath.Join(t.TempDir(), "ckpt")
	rng := rand.New(rand.NewPCG(42, 7))

	var kills []soakKill
	for i := range plan.kills {
		k, finished := killChildAtRandom(t, srv, plan, path, dir, rng, i == 0, plan.kills-i)
		if finished {
			break
		}
		kills = append(kills, k)
	}
	require.Len(t, kills, plan.kills, "every cycle was killed before the upload ended")

	srv.SetFaults(emulator.Faults{})
	u := newUploader(t, srv, childUpload{dir: dir, partSize: plan.partSize}.uploadOptions()...)
	res, err := u.UploadVideo(t.Context(), FileSource(path), VideoMeta{Title: "soak"})
	require.NoError(t, err)

	c := srv.Counters()
	resent := c.BytesReceived - plan.size
	bound := int64(len(kills)) * soakConcurrency * plan.partSize
	lost := lostBytes(t, srv, outcome(res.Result, path))
	for i, k := range kills {
		t.Logf("kill %2d after %-7s: %9d bytes accepted, target %9d", i+1, k.after.Round(time.Millisecond), k.got, k.target)
	}
	summary := fmt.Sprintf("kills %d of a %d MiB upload (part %d KiB, concurrency %d): final run took over %d of %d parts; "+
		"bytes accepted %d, re-sent %d (bound %d = kills × concurrency × part size); video IDs %d; bytes lost %d",
		len(kills), plan.size/mib, plan.partSize>>10, soakConcurrency, res.ResumedParts, res.Parts,
		c.BytesReceived, resent, bound, c.Requests["CreateUploadVideo"], lost)
	t.Log(summary)

	assert.Zero(t, lost, "the final object is byte-equal with the file")
	assert.EqualValues(t, 1, c.Requests["CreateUploadVideo"], "every run resumed the same video")
	assert.EqualValues(t, 1, c.Requests["InitiateMultipartUpload"], "every run continued the same multipart upload")
	assert.LessOrEqual(t, resent, bound, "bytes re-sent")
	assert.Empty(t, checkpointFiles(t, dir), "the checkpoint is removed after success")
	if *chaosLong {
		t.Log(fmt.Sprintf("### Kill-and-resume soak (`go test -run Soak -chaos.long`)\n\n"+
			"| SIGKILLs survived | file | bytes re-sent | bound | VideoIds | bytes lost |\n|---|---|---|---|---|---|\n"+
			"| %d | %d MiB | %d | %d | %d | %d |\n", len(kills), plan.size/mib, resent, bound, c.Requests["CreateUploadVideo"], lost))
	}
}

// killChildAtRandom runs the uploading child and SIGKILLs it once it has
// got a random number of further bytes accepted, spread so the remaining
// kills fit in what is left. The first kill waits for at least one part:
// a kill before the checkpoint records the new video would leave an
// orphan video no client can avoid. Later ones may land anywhere,
// including while the child starts, refreshes or lists parts. finished is
// true when the child completed the upload first.
func killChildAtRandom(t *testing.T, srv *emulator.Server, plan soakPlan, path, dir string, rng *rand.Rand,
	first bool, killsLeft int) (k soakKill, finished bool) {
	t.Helper()
	start := srv.Counters().BytesReceived
	remaining := plan.size - acceptedParts(srv)*plan.partSize
	margin := int64(soakConcurrency+1) * plan.partSize
	span := max((remaining-margin)*2/int64(killsLeft+1), 1)
	k.target = rng.Int64N(span)
	if first {
		k.target = max(k.target, plan.partSize)
	}

	var stderr syncBuffer
	began := time.Now()
	child := startChild(t, srv, childUpload{file: path, dir: dir, title: "soak", partSize: plan.partSize}, &stderr)
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()

	deadline := time.Now().Add(2 * time.Minute)
	for srv.Counters().BytesReceived-start < k.target {
		select {
		case err := <-exited:
			require.NoError(t, err, "child failed: %s", stderr.String())
			return k, true
		default:
		}
		require.True(t, time.Now().Before(deadline), "child made no progress: %s", stderr.String())
		time.Sleep(2 * time.Millisecond)
	}
	_ = child.Process.Kill() // SIGKILL: no cleanup runs; fails only if the child already ended
	if err := <-exited; err == nil {
		return k, true
	}
	k.got, k.after = srv.Counters().BytesReceived-start, time.Since(began)
	return k, false
}

// acceptedParts is the number of distinct parts the emulator holds
// across all multipart uploads.
func acceptedParts(srv *emulator.Server) int64 {
	var n int64
	for _, parts := range srv.Counters().Parts {
		n += int64(len(parts))
	}
	return n
}
