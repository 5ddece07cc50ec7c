package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vod"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestServer(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv
}

// newVODClient returns the official client. It is built on a bare
// vod.Client rather than vod.NewClientWithAccessKey, whose first call
// initialises a package-level endpoint map without synchronisation and
// trips the race detector when parallel tests get there together.
func newVODClient(t *testing.T, id, secret string) *vod.Client {
	t.Helper()
	c := new(vod.Client)
	require.NoError(t, c.InitWithAccessKey("cn-shanghai", id, secret))
	return c
}

// target points an SDK request at the emulator.
func target[R interface {
	SetDomain(string)
	SetScheme(string)
}](srv *Server, req R) R {
	req.SetDomain(srv.Host())
	req.SetScheme("http")
	return req
}

// signedParams builds a correctly signed call of action by hand, so tests
// can tamper with what the SDK never gets wrong. extra overrides the
// common parameters; an empty value removes one. Signature, when given in
// extra, replaces the computed one.
func signedParams(srv *Server, method, action string, extra map[string]string) url.Values {
	p := rpcParams{
		"Action":           action,
		"Version":          vodVersion,
		"Format":           "JSON",
		"AccessKeyId":      srv.AccessKeyID,
		"SignatureMethod":  "HMAC-SHA1",
		"SignatureVersion": "1.0",
		"SignatureNonce":   randomHex(16),
		"Timestamp":        time.Now().UTC().Format("2006-01-02T15:04:05Z"),
		"RegionId":         "cn-shanghai",
	}
	for k, v := range extra {
		if k == "Signature" {
			continue
		}
		if v == "" {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	p["Signature"] = signRPC(stringToSign(method, p), srv.AccessKeySecret)
	if sig, ok := extra["Signature"]; ok {
		p["Signature"] = sig
		if sig == "" {
			delete(p, "Signature")
		}
	}
	v := url.Values{}
	for k, val := range p {
		v.Set(k, val)
	}
	return v
}

// rawResult is a decoded RPC answer, error or not.
type rawResult struct {
	Status int
	Body   map[string]any
}

func (r rawResult) code() string {
	c, _ := r.Body["Code"].(string)
	return c
}

// rawCall sends params as a query string with GET.
func rawCall(t *testing.T, srv *Server, params url.Values) rawResult {
	t.Helper()
	resp, err := http.Get(srv.URL + "/?" + params.Encode())
	require.NoError(t, err)
	return readResult(t, resp)
}

func readResult(t *testing.T, resp *http.Response) rawResult {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	res := rawResult{Status: resp.StatusCode}
	require.NoError(t, json.Unmarshal(b, &res.Body), "body: %s", b)
	return res
}

func TestSDKSignatureAccepted(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	for _, title := range []string{
		"plain",
		"space and * star ~ tilde + plus & amp = eq / slash",
		"中文标题 ümlaut",
		"quote ' \" percent % hash # question ?",
	} {
		req := target(srv, vod.CreateCreateUploadVideoRequest())
		req.Title, req.FileName = title, "v.mp4"
		resp, err := client.CreateUploadVideo(req)
		require.NoError(t, err, "title %q", title)
		assert.Len(t, resp.VideoId, 32)
	}
}

func TestSDKRejected(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	tests := []struct {
		name       string
		id, secret string
		status     int
		code       string
	}{
		{"wrong secret", srv.AccessKeyID, "not-the-secret", 400, "SignatureDoesNotMatch"},
		{"unknown key", "LTAIunknown", srv.AccessKeySecret, 404, "InvalidAccessKeyId.NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := target(srv, vod.CreateGetVideoInfoRequest())
			req.VideoId = "0123456789abcdef0123456789abcdef"
			_, err := newVODClient(t, tt.id, tt.secret).GetVideoInfo(req)
			var se *errors.ServerError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.status, se.HttpStatus())
			assert.Equal(t, tt.code, se.ErrorCode())
			assert.NotEmpty(t, se.RequestId())
			assert.Equal(t, "vod.cn-shanghai.aliyuncs.com", se.HostId())
		})
	}
}

func TestRawRejected(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	old := time.Now().Add(-16 * time.Minute).UTC().Format("2006-01-02T15:04:05Z")
	future := time.Now().Add(16 * time.Minute).UTC().Format("2006-01-02T15:04:05Z")
	tests := []struct {
		name   string
		action string
		extra  map[string]string
		status int
		code   string
	}{
		{"stale timestamp", "GetVideoInfo", map[string]string{"Timestamp": old}, 400, "InvalidTimeStamp.Expired"},
		{"future timestamp", "GetVideoInfo", map[string]string{"Timestamp": future}, 400, "InvalidTimeStamp.Expired"},
		{"bad timestamp", "GetVideoInfo", map[string]string{"Timestamp": "yesterday"}, 400, "InvalidTimeStamp.Format"},
		{"no signature", "GetVideoInfo", map[string]string{"Signature": ""}, 400, "MissingSignature"},
		{"tampered signature", "GetVideoInfo", map[string]string{"Signature": "AAAA"}, 400, "SignatureDoesNotMatch"},
		{"no nonce", "GetVideoInfo", map[string]string{"SignatureNonce": ""}, 400, "MissingSignatureNonce"},
		{"no version", "GetVideoInfo", map[string]string{"Version": ""}, 400, "MissingVersion"},
		{"wrong version", "GetVideoInfo", map[string]string{"Version": "2014-01-01"}, 400, "InvalidVersion"},
		{"sha256", "GetVideoInfo", map[string]string{"SignatureMethod": "HMAC-SHA256"}, 400, "InvalidSignatureMethod"},
		{"unknown action", "DeleteEverything", nil, 404, "InvalidAction.NotFound"},
		{"unknown video", "GetVideoInfo", map[string]string{"VideoId": "feed"}, 404, "InvalidVideo.NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := rawCall(t, srv, signedParams(srv, http.MethodGet, tt.action, tt.extra))
			assert.Equal(t, tt.status, res.Status)
			assert.Equal(t, tt.code, res.code())
			assert.NotEmpty(t, res.Body["RequestId"])
			assert.NotEmpty(t, res.Body["Message"])
		})
	}
}

func TestReplayedNonceRejected(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	params := signedParams(srv, http.MethodGet, "CreateUploadVideo",
		map[string]string{"Title": "t", "FileName": "a.mp4"})
	first := rawCall(t, srv, params)
	require.Equal(t, http.StatusOK, first.Status)
	second := rawCall(t, srv, params)
	assert.Equal(t, http.StatusBadRequest, second.Status)
	assert.Equal(t, "SignatureNonceUsed", second.code())
	assert.EqualValues(t, 1, srv.Counters().Credentials, "a replay must not create a second video")
}

func TestFailedSignatureKeepsNonce(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	good := signedParams(srv, http.MethodGet, "GetVideoInfo", map[string]string{"VideoId": "x"})
	bad := url.Values{}
	for k, v := range good {
		bad[k] = v
	}
	bad.Set("Signature", "AAAA")
	assert.Equal(t, "SignatureDoesNotMatch", rawCall(t, srv, bad).code())
	assert.Equal(t, "InvalidVideo.NotFound", rawCall(t, srv, good).code(),
		"a forged request must not burn the genuine request's nonce")
}

func TestFormBodyAccepted(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	params := signedParams(srv, http.MethodPost, "CreateUploadVideo",
		map[string]string{"Title": "form body", "FileName": "a.mp4"})
	resp, err := http.Post(srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(params.Encode()))
	require.NoError(t, err)
	res := readResult(t, resp)
	assert.Equal(t, http.StatusOK, res.Status)
	assert.Len(t, res.Body["VideoId"], 32)
}

func TestXMLFormat(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	req := target(srv, vod.CreateCreateUploadVideoRequest())
	req.AcceptFormat = "XML"
	req.Title, req.FileName = "xml", "a.mp4"
	resp, err := client.CreateUploadVideo(req)
	require.NoError(t, err)
	assert.Len(t, resp.VideoId, 32)
	assert.Equal(t, srv.URL, decodeB64JSON(t, resp.UploadAddress)["Endpoint"])
	assert.Contains(t, resp.GetHttpContentString(), "<CreateUploadVideoResponse>")
}

func TestVODErrorRate(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{Faults: Faults{VODErrorRate: 1}})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	req := target(srv, vod.CreateCreateUploadVideoRequest())
	req.Title, req.FileName = "t", "a.mp4"
	_, err := client.CreateUploadVideo(req)
	var se *errors.ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusServiceUnavailable, se.HttpStatus())
	assert.Equal(t, "ServiceUnavailable", se.ErrorCode())
	c := srv.Counters()
	assert.Zero(t, c.Credentials, "a failed call must not create anything")
	assert.EqualValues(t, 1, c.Errors["ServiceUnavailable"])
}

func TestStringToSignMatchesSDK(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	req := target(srv, vod.CreateCreateUploadVideoRequest())
	req.Title, req.FileName, req.Tags = "a b*c~d", "x.mp4", "t1,t2"
	_, err := client.CreateUploadVideo(req)
	require.NoError(t, err)
	p := rpcParams{}
	for k, v := range req.QueryParams {
		p[k] = v
	}
	assert.Equal(t, req.GetStringToSign(), stringToSign(req.Method, p))
}
