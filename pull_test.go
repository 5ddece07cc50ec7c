package vodupload

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

func TestPullFromURL(t *testing.T) {
	t.Parallel()
	_, data := writeFile(t, "remote.mp4", 300<<10)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/remote.mp4" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	}))
	t.Cleanup(web.Close)
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	jobs, err := u.PullFromURL(ctx, PullItem{URL: web.URL + "/remote.mp4", Meta: VideoMeta{Title: "pulled"}})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	assert.True(t, jobs[0].Succeeded)
	require.NotEmpty(t, jobs[0].VideoID)
	assert.EqualValues(t, len(data), jobs[0].FileSize)
	assert.Zero(t, srv.Counters().Requests["PutObject"]+srv.Counters().Requests["UploadPart"],
		"no byte crossed the AppServer")

	info, err := u.vod.GetVideoInfo(ctx, jobs[0].VideoID)
	require.NoError(t, err)
	assert.Equal(t, "UploadSucc", info.Status)

	// A URL that 404s ends in a failed job whose error names the cause.
	jobs, err = u.PullFromURL(ctx, PullItem{URL: web.URL + "/gone.mp4", Meta: VideoMeta{Title: "gone"}})
	var pe *PullError
	require.ErrorAs(t, err, &pe)
	require.Len(t, jobs, 1)
	assert.True(t, jobs[0].Done)
	assert.False(t, jobs[0].Succeeded)
	assert.Contains(t, jobs[0].ErrorMessage+jobs[0].ErrorCode, "404")
	assert.Contains(t, err.Error(), jobs[0].JobID)
}

func TestSubmitPullValidates(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	for _, items := range [][]PullItem{
		nil,
		{{URL: "ftp://example.invalid/a.mp4"}},
		{{URL: "https://example.invalid/a.exe"}},
		{{URL: "https://example.invalid/a.mp4", Meta: VideoMeta{Tags: make([]string, 17)}}},
		make([]PullItem, 21),
	} {
		_, err := u.SubmitPull(context.Background(), items)
		assert.ErrorIs(t, err, ErrValidation)
	}
	assert.Empty(t, srv.Counters().Requests)
}

// TestSubmitPullRefusesAnAnswerWithoutAJobPerURL: a VOD answer that
// accounts for fewer URLs than were sent is an error, not a shorter list
// a caller would index past or wait on forever.
func TestSubmitPullRefusesAnAnswerWithoutAJobPerURL(t *testing.T) {
	t.Parallel()
	vod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"RequestId":"R-1","UploadJobs":[]}`))
	}))
	t.Cleanup(vod.Close)
	u, err := New(WithEndpoint(vod.URL), WithCredentials(StaticCredentials("id", "secret")))
	require.NoError(t, err)
	_, err = u.SubmitPull(t.Context(), []PullItem{{URL: "https://example.com/a.mp4", Meta: VideoMeta{Title: "a"}}})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "MalformedResponse", ae.Code)
	assert.ErrorContains(t, err, "0 jobs for 1 URLs")
}
