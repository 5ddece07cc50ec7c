package emulator

import (
	"bytes"
	"encoding/xml"
	"hash/crc64"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/require"
)

const testBucket = "outin-emulator-test"

func newOSSServer(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv
}

// sdkBucket returns an aliyun-oss-go-sdk bucket signed with c, the way the
// uploader will build one from an UploadAuth.
func sdkBucket(t *testing.T, srv *Server, c *stsCredential, opts ...oss.ClientOption) *oss.Bucket {
	t.Helper()
	opts = append([]oss.ClientOption{oss.SecurityToken(c.SecurityToken), oss.Timeout(5, 20)}, opts...)
	client, err := oss.New(srv.URL, c.AccessKeyID, c.AccessKeySecret, opts...)
	require.NoError(t, err)
	b, err := client.Bucket(c.Bucket)
	require.NoError(t, err)
	return b
}

// issue is srv.issueSTS for a video in the test bucket.
func issue(srv *Server, key string) *stsCredential {
	return srv.issueSTS("video-"+randomHex(4), testBucket, key, "")
}

// serviceError asserts err is an OSS error answer and returns it.
func serviceError(t *testing.T, err error) oss.ServiceError {
	t.Helper()
	require.Error(t, err)
	var se oss.ServiceError
	require.ErrorAs(t, err, &se, "want oss.ServiceError, got %T: %v", err, err)
	return se
}

func requireServiceError(t *testing.T, err error, status int, code string) {
	t.Helper()
	se := serviceError(t, err)
	require.Equal(t, code, se.Code, se.Message)
	require.Equal(t, status, se.StatusCode)
	require.NotEmpty(t, se.RequestID, "x-oss-request-id")
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func crcOf(b []byte) uint64 { return crc64.Checksum(b, crc64.MakeTable(crc64.ECMA)) }

// signedRequest builds a request signed like aliyun-oss-go-sdk would, for
// the few cases the SDK cannot produce (a skewed Date, a short body).
func signedRequest(t *testing.T, srv *Server, c *stsCredential, method, key string, body []byte, date string) *http.Request {
	t.Helper()
	u := srv.URL + "/" + c.Bucket + "/" + url.PathEscape(key)
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/octet-stream")
	signAt(req, c, key, date)
	return req
}

// rawOSS sends a path-style request signed with c the way
// aliyun-oss-go-sdk signs (V1, Date header), with rawQuery sent exactly as
// given so tests control empty parameters. It returns the answer with its
// body read.
func rawOSS(t *testing.T, srv *Server, c *stsCredential, method, key, rawQuery string, body []byte, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	u := srv.URL + "/" + c.Bucket + "/" + url.PathEscape(key)
	if key == "" {
		u = srv.URL + "/" + c.Bucket + "/"
	}
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header[k] = v
	}
	signNow(req, c, key)
	return doRaw(t, srv.Client(), req)
}

// signNow signs req for c's bucket and key with Date set to now.
func signNow(req *http.Request, c *stsCredential, key string) {
	signAt(req, c, key, time.Now().UTC().Format(http.TimeFormat))
}

// signAt signs req for c's bucket and key as aliyun-oss-go-sdk does: V1,
// Date set to date, the security token among the x-oss-* headers.
func signAt(req *http.Request, c *stsCredential, key, date string) {
	req.Header.Set("Date", date)
	req.Header.Set("x-oss-security-token", c.SecurityToken)
	sts := ossStringToSign(req, req.URL.Query(), c.Bucket, key, date)
	req.Header.Set("Authorization", "OSS "+c.AccessKeyID+":"+signOSS(c.AccessKeySecret, sts))
}

// readObject reads key through the SDK bucket b.
func readObject(t *testing.T, b *oss.Bucket, key string) []byte {
	t.Helper()
	rc, err := b.GetObject(key)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	require.NoError(t, err)
	return got
}

// doRaw sends req and reads the whole answer.
func doRaw(t *testing.T, hc *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// childElements returns the names of the root element's children, in
// document order, so tests can compare an answer's shape with the
// reference's.
func childElements(t *testing.T, body []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(body))
	var names []string
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return names
		}
		require.NoError(t, err, string(body))
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 1 {
				names = append(names, el.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}
