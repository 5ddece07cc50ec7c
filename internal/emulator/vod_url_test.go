package emulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vod"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sourceServer serves /video.mp4 and answers 404 to everything else.
func sourceServer(t *testing.T, body string) *httptest.Server {
	t.Helper()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/video.mp4" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "video/mp4")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(src.Close)
	return src
}

func encodeURLs(urls ...string) string {
	enc := make([]string, len(urls))
	for i, u := range urls {
		enc[i] = url.QueryEscape(u)
	}
	return strings.Join(enc, ",")
}

// waitJobs polls GetURLUploadInfos until every job left the in-progress
// states.
func waitJobs(t *testing.T, srv *Server, client *vod.Client, ids []string) *vod.GetURLUploadInfosResponse {
	t.Helper()
	var resp *vod.GetURLUploadInfosResponse
	require.Eventually(t, func() bool {
		req := target(srv, vod.CreateGetURLUploadInfosRequest())
		req.JobIds = strings.Join(ids, ",")
		var err error
		resp, err = client.GetURLUploadInfos(req)
		require.NoError(t, err)
		for _, info := range resp.URLUploadInfoList {
			switch info.Status {
			case jobPending, jobDownloading, jobUploading:
				return false
			}
		}
		return true
	}, 5*time.Second, 10*time.Millisecond)
	return resp
}

func TestUploadMediaByURL(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	src := sourceServer(t, "pulled video bytes")
	good, missing := src.URL+"/video.mp4", src.URL+"/missing.mp4"

	req := target(srv, vod.CreateUploadMediaByURLRequest())
	req.UploadURLs = encodeURLs(good, missing)
	req.UploadMetadatas = `[{"SourceURL":"` + good + `","Title":"pulled","CateId":7}]`
	req.UserData = `{"Extend":{"k":"v"}}`
	resp, err := client.UploadMediaByURL(req)
	require.NoError(t, err)
	require.Len(t, resp.UploadJobs, 2)
	assert.Equal(t, good, resp.UploadJobs[0].SourceURL)
	assert.Equal(t, missing, resp.UploadJobs[1].SourceURL)
	ids := []string{resp.UploadJobs[0].JobId, resp.UploadJobs[1].JobId, "feedfeedfeedfeedfeedfeedfeedfeed"}

	infos := waitJobs(t, srv, client, ids)
	assert.Equal(t, []string{ids[2]}, infos.NonExists)
	require.Len(t, infos.URLUploadInfoList, 2)
	ok, failed := infos.URLUploadInfoList[0], infos.URLUploadInfoList[1]

	assert.Equal(t, jobSuccess, ok.Status)
	assert.Equal(t, ids[0], ok.JobId)
	assert.Equal(t, good, ok.UploadURL)
	assert.Equal(t, "18", ok.FileSize)
	assert.Equal(t, `{"Extend":{"k":"v"}}`, ok.UserData)
	assert.NotEmpty(t, ok.CompleteTime)
	rec := srv.lookupMedia(ok.MediaId, kindVideo)
	require.NotNil(t, rec, "the job's MediaId is a video")
	assert.Equal(t, "pulled", rec.Title)
	assert.EqualValues(t, 7, rec.CateID)
	_, r, err := srv.store.open(rec.Bucket, rec.Key)
	require.NoError(t, err)
	stored, err := io.ReadAll(r)
	require.NoError(t, r.Close())
	require.NoError(t, err)
	assert.Equal(t, "pulled video bytes", string(stored))

	assert.Equal(t, jobDownloadFail, failed.Status)
	assert.Equal(t, "URLInvalidError", failed.ErrorCode)
	assert.Contains(t, failed.ErrorMessage, "404")
	assert.Empty(t, failed.FileSize)

	// The same jobs, looked up by their source URLs.
	byURL := target(srv, vod.CreateGetURLUploadInfosRequest())
	byURL.UploadURLs = encodeURLs(good, src.URL+"/never.mp4")
	infos, err = client.GetURLUploadInfos(byURL)
	require.NoError(t, err)
	require.Len(t, infos.URLUploadInfoList, 1)
	assert.Equal(t, ids[0], infos.URLUploadInfoList[0].JobId)
	assert.Equal(t, []string{src.URL + "/never.mp4"}, infos.NonExists)

	video := target(srv, vod.CreateGetVideoInfoRequest())
	video.VideoId = ok.MediaId
	vi, err := client.GetVideoInfo(video)
	require.NoError(t, err)
	assert.Equal(t, "UploadSucc", vi.Video.Status)
	assert.EqualValues(t, 18, vi.Video.Size)
}

func TestCloseStopsURLJobs(t *testing.T) {
	t.Parallel()
	srv, err := New(Options{})
	require.NoError(t, err)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never send the body
	}))
	t.Cleanup(hang.Close)

	req := target(srv, vod.CreateUploadMediaByURLRequest())
	req.UploadURLs = encodeURLs(hang.URL + "/slow.mp4")
	resp, err := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret).UploadMediaByURL(req)
	require.NoError(t, err)
	require.Len(t, resp.UploadJobs, 1)
	job := resp.UploadJobs[0].JobId
	require.Eventually(t, func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.jobs[job].status == jobUploading
	}, 5*time.Second, 5*time.Millisecond)

	start := time.Now()
	srv.Close()
	assert.Less(t, time.Since(start), 2*time.Second, "Close must not wait for the source")
	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.Equal(t, jobUploadFail, srv.jobs[job].status, "the job goroutine has finished")
}
