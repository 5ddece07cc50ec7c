package emulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loopbackClient dials every host name to the emulator's listener, the
// way a resolver that maps *.localhost (or a hosts file) would, so tests
// can use virtual-hosted names Go cannot resolve on its own.
func loopbackClient(srv *Server) *http.Client {
	tr := srv.Client().Transport.(*http.Transport)
	addr := srv.listener.Addr().String()
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr}
}

// rawVirtual sends a V1-signed request for key to the listener with the
// given Host, as ali-oss does for an IP endpoint.
func rawVirtual(t *testing.T, srv *Server, c *stsCredential, host, method, key string, body []byte) (*http.Response, []byte) {
	t.Helper()
	return rawVirtualQuery(t, srv, c, host, method, key, "", body)
}

func rawVirtualQuery(t *testing.T, srv *Server, c *stsCredential, host, method, key, rawQuery string, body []byte) (*http.Response, []byte) {
	t.Helper()
	u := "http://" + srv.listener.Addr().String() + "/" + url.PathEscape(key)
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	require.NoError(t, err)
	req.Host = host
	signNow(req, c, key)
	return doRaw(t, srv.Client(), req)
}

func TestGoSDKVirtualHostedStyle(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{Hostname: "localhost"})
	require.True(t, strings.HasPrefix(srv.URL, "http://localhost:"), srv.URL)
	const key = "sv/virtual/big.mp4"
	c := issue(srv, key)

	var addr struct{ Endpoint string }
	raw, err := base64.StdEncoding.DecodeString(srv.uploadAddress(testBucket, key, ""))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &addr))
	assert.Equal(t, srv.URL, addr.Endpoint, "UploadAddress advertises the host name")

	// The SDK sees a host name and sends Host: <bucket>.localhost:<port>.
	b := sdkBucket(t, srv, c, oss.HTTPClient(loopbackClient(srv)))
	data := randomBytes(700<<10+3, 9)
	dir := t.TempDir()
	src := filepath.Join(dir, "big.mp4")
	require.NoError(t, os.WriteFile(src, data, 0o600))
	require.NoError(t, b.UploadFile(key, src, 200<<10, oss.Routines(2), oss.Checkpoint(true, filepath.Join(dir, "cp"))))
	got, err := srv.Object(testBucket, key)
	require.NoError(t, err)
	assert.Equal(t, data, got)

	assert.Equal(t, data, readObject(t, b, key))

	imur, err := b.InitiateMultipartUpload(key)
	require.NoError(t, err)
	_, err = b.UploadPart(imur, bytes.NewReader([]byte("p")), 1, 1)
	require.NoError(t, err)
	parts, err := b.ListUploadedParts(imur)
	require.NoError(t, err)
	assert.Len(t, parts.UploadedParts, 1)
	ups, err := b.ListMultipartUploads()
	require.NoError(t, err, "bucket operation on the virtual host")
	assert.Len(t, ups.Uploads, 1)
	require.NoError(t, b.AbortMultipartUpload(imur))
	require.NoError(t, b.DeleteObject(key))
	assert.False(t, srv.objectExists(testBucket, key))
	assert.Positive(t, srv.Counters().Requests["ListMultipartUploads"])

	t.Run("path style on the same host name", func(t *testing.T) {
		pb := sdkBucket(t, srv, c, oss.HTTPClient(loopbackClient(srv)), oss.ForcePathStyle(true))
		require.NoError(t, pb.PutObject(key, strings.NewReader("path")))
		got, err := srv.Object(testBucket, key)
		require.NoError(t, err)
		assert.Equal(t, "path", string(got))
	})
}

func TestOSSHostAddressing(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	const key = "sv/host/h.mp4"
	c := issue(srv, key)
	tests := []struct {
		name   string
		host   string
		key    string
		status int
		code   string
	}{
		{"ali-oss with region set", testBucket + ".oss-cn-shanghai.aliyuncs.com", key, http.StatusOK, ""},
		{"internal endpoint of the region", testBucket + ".oss-cn-shanghai-internal.aliyuncs.com", key, http.StatusOK, ""},
		{"localhost subdomain with port", testBucket + ".localhost:8080", key, http.StatusOK, ""},
		{"upper-case host", strings.ToUpper(testBucket) + ".LOCALHOST", key, http.StatusOK, ""},
		{"ali-oss default region is another region's endpoint", testBucket + ".oss-cn-hangzhou.aliyuncs.com", key, http.StatusForbidden, "AccessDenied"},
		{"unknown bucket", "outin-nobody.localhost", key, http.StatusNotFound, "NoSuchBucket"},
		{"invalid bucket name", "Bad_Bucket.localhost", key, http.StatusBadRequest, "InvalidBucketName"},
		{"the path is the key once Host names the bucket", testBucket + ".localhost", testBucket + "/" + key, http.StatusForbidden, "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tt.name)
			resp, raw := rawVirtual(t, srv, c, tt.host, http.MethodPut, tt.key, body)
			require.Equal(t, tt.status, resp.StatusCode, string(raw))
			if tt.code == "" {
				return
			}
			e := requireOSSErrorCode(t, raw, tt.code)
			if tt.code == "AccessDenied" && strings.Contains(tt.host, "hangzhou") {
				assert.Equal(t, []string{"Code", "Message", "RequestId", "HostId", "Bucket", "Endpoint"}, childElements(t, raw))
				assert.Equal(t, "oss-cn-shanghai.aliyuncs.com", e.Endpoint)
				assert.Equal(t, tt.host, e.HostId)
			}
		})
	}

	t.Run("Go SDK pointed at OSS endpoint names", func(t *testing.T) {
		t.Parallel()
		bucketAt := func(endpoint string) *oss.Bucket {
			client, err := oss.New(endpoint, c.AccessKeyID, c.AccessKeySecret,
				oss.SecurityToken(c.SecurityToken), oss.HTTPClient(loopbackClient(srv)))
			require.NoError(t, err)
			b, err := client.Bucket(testBucket)
			require.NoError(t, err)
			return b
		}
		require.NoError(t, bucketAt("http://oss-cn-shanghai.aliyuncs.com").PutObject(key, strings.NewReader("named")),
			"the emulator's region, as a hosts-file entry would reach it")
		err := bucketAt("http://oss-cn-hangzhou.aliyuncs.com").PutObject(key, strings.NewReader("named"))
		se := serviceError(t, err)
		assert.Equal(t, "AccessDenied", se.Code)
		assert.Equal(t, "oss-cn-shanghai.aliyuncs.com", se.Endpoint)
	})
	t.Run("path style with an IP Host is unchanged", func(t *testing.T) {
		t.Parallel()
		resp, raw := rawOSS(t, srv, c, http.MethodPut, key, "", []byte("ip"), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	})
	t.Run("VOD is not served on a bucket host", func(t *testing.T) {
		t.Parallel()
		req := mustRequest(t, http.MethodGet, "http://"+srv.listener.Addr().String()+"/?Action=CreateUploadVideo")
		req.Host = testBucket + ".localhost"
		resp, raw := doRaw(t, srv.Client(), req)
		assert.Equal(t, "application/xml", resp.Header.Get("Content-Type"), "an OSS answer: %s", raw)
		assert.Contains(t, string(raw), "<Error>")
	})
}

type hostError struct {
	Code, HostId, Bucket, Endpoint string
}

func requireOSSErrorCode(t *testing.T, body []byte, code string) hostError {
	t.Helper()
	var e hostError
	require.NoError(t, xml.Unmarshal(body, &e))
	require.Equal(t, code, e.Code, string(body))
	return e
}
