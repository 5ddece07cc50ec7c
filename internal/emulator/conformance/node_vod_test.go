package conformance_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uploadTarget is a Create*/Refresh answer with its UploadAddress and
// UploadAuth decoded by the JS side.
type uploadTarget struct {
	RequestID string `json:"requestId"`
	VideoID   string `json:"videoId"`
	Address   struct {
		Endpoint string `json:"Endpoint"`
		Bucket   string `json:"Bucket"`
		FileName string `json:"FileName"`
	} `json:"address"`
	Auth struct {
		AccessKeyID     string `json:"AccessKeyId"`
		AccessKeySecret string `json:"AccessKeySecret"`
		SecurityToken   string `json:"SecurityToken"`
		Expiration      string `json:"Expiration"`
		ExpireUTCTime   string `json:"ExpireUTCTime"`
		Region          string `json:"Region"`
	} `json:"auth"`
}

func vodSteps() []nodeStep {
	return []nodeStep{{name: "vod-rpc", check: checkVODRPC}}
}

// requireVODError asserts a VOD error as pop-core hands it over: the code,
// the HTTP status and the RequestId/HostId of the JSON body.
func requireVODError(t *testing.T, f failure, status int, code string) {
	t.Helper()
	require.Equal(t, code, f.Code, "%+v", f)
	require.Equal(t, status, f.Status, "%+v", f)
	require.NotEmpty(t, f.RequestID, "RequestId: %+v", f)
	require.NotEmpty(t, f.HostID, "HostId: %+v", f)
}

func requireTarget(t *testing.T, run stepRun, tg uploadTarget, ext string) {
	t.Helper()
	require.NotEmpty(t, tg.VideoID)
	assert.Regexp(t, `^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`, tg.RequestID)
	assert.True(t, run.srv.HasMedia(tg.VideoID))
	assert.Equal(t, run.srv.URL, tg.Address.Endpoint)
	assert.Equal(t, run.tls, strings.HasPrefix(tg.Address.Endpoint, "https://"), "endpoint %s", tg.Address.Endpoint)
	assert.NotEmpty(t, tg.Address.Bucket)
	assert.True(t, strings.HasSuffix(tg.Address.FileName, ext), "FileName %q keeps the extension %s", tg.Address.FileName, ext)
	assert.True(t, strings.HasPrefix(tg.Auth.AccessKeyID, "STS."), "AccessKeyId %q", tg.Auth.AccessKeyID)
	assert.NotEmpty(t, tg.Auth.AccessKeySecret)
	assert.NotEmpty(t, tg.Auth.SecurityToken)
	assert.Equal(t, "3000", tg.Auth.Expiration, "VOD's documented lifetime, in seconds")
	assert.Equal(t, run.srv.Region, tg.Auth.Region)
	expires, err := time.Parse(time.RFC3339, tg.Auth.ExpireUTCTime)
	require.NoError(t, err, "ExpireUTCTime")
	assert.WithinDuration(t, time.Now().Add(3000*time.Second), expires, time.Minute)
}

func checkVODRPC(t *testing.T, run stepRun) {
	r := decode[struct {
		Post, Get, Refreshed                                                uploadTarget
		BadSecret, UnknownKey, UnknownVideo, MissingTitle, MissingImageType failure
	}](t, run.result)
	requireTarget(t, run, r.Post, ".mp4")
	requireTarget(t, run, r.Get, ".mov")
	assert.NotEqual(t, r.Post.VideoID, r.Get.VideoID)

	// RefreshUploadVideo: the same video and object, a new credential.
	requireTarget(t, run, r.Refreshed, ".mp4")
	assert.Equal(t, r.Post.VideoID, r.Refreshed.VideoID)
	assert.Equal(t, r.Post.Address, r.Refreshed.Address)
	assert.NotEqual(t, r.Post.Auth.AccessKeyID, r.Refreshed.Auth.AccessKeyID)

	requireVODError(t, r.BadSecret, http.StatusBadRequest, "SignatureDoesNotMatch")
	requireVODError(t, r.UnknownKey, http.StatusNotFound, "InvalidAccessKeyId.NotFound")
	requireVODError(t, r.UnknownVideo, http.StatusNotFound, "InvalidVideo.NotFound")
	requireVODError(t, r.MissingTitle, http.StatusBadRequest, "MissingTitle")
	// CreateUploadImage's reference marks ImageType required; VOD fills in
	// no default.
	requireVODError(t, r.MissingImageType, http.StatusBadRequest, "MissingImageType")
	c := run.srv.Counters()
	assert.Equal(t, int64(1), c.Refreshes)
	assert.Equal(t, int64(3), c.Credentials, "two creations and one refresh; refused calls issue nothing")
}
