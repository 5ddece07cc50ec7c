package emulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOSSRejectsBadCredentials(t *testing.T) {
	t.Parallel()
	const key = "sv/auth/a.mp4"
	tests := []struct {
		name   string
		client func(t *testing.T, srv *Server, c *stsCredential) *oss.Bucket
		key    string
		status int
		code   string
	}{
		{
			name: "wrong secret",
			client: func(t *testing.T, srv *Server, c *stsCredential) *oss.Bucket {
				bad := *c
				bad.AccessKeySecret = "not-the-secret"
				return sdkBucket(t, srv, &bad)
			},
			status: http.StatusForbidden, code: "SignatureDoesNotMatch",
		},
		{
			name: "unknown AccessKeyId",
			client: func(t *testing.T, srv *Server, c *stsCredential) *oss.Bucket {
				bad := *c
				bad.AccessKeyID = "STS.unknown"
				return sdkBucket(t, srv, &bad)
			},
			status: http.StatusForbidden, code: "InvalidAccessKeyId",
		},
		{
			name: "missing security token",
			client: func(t *testing.T, srv *Server, c *stsCredential) *oss.Bucket {
				client, err := oss.New(srv.URL, c.AccessKeyID, c.AccessKeySecret)
				require.NoError(t, err)
				b, err := client.Bucket(c.Bucket)
				require.NoError(t, err)
				return b
			},
			status: http.StatusForbidden, code: "InvalidAccessKeyId",
		},
		{
			name: "wrong security token",
			client: func(t *testing.T, srv *Server, c *stsCredential) *oss.Bucket {
				bad := *c
				bad.SecurityToken = "CAIS-forged"
				return sdkBucket(t, srv, &bad)
			},
			status: http.StatusForbidden, code: "InvalidSecurityToken",
		},
		{
			name: "expired credential",
			client: func(t *testing.T, srv *Server, c *stsCredential) *oss.Bucket {
				srv.ExpireCredentials()
				return sdkBucket(t, srv, c)
			},
			status: http.StatusForbidden, code: "SecurityTokenExpired",
		},
		{
			name: "key outside the credential's scope",
			client: func(t *testing.T, srv *Server, c *stsCredential) *oss.Bucket {
				return sdkBucket(t, srv, c)
			},
			key:    "sv/auth/other.mp4",
			status: http.StatusForbidden, code: "AccessDenied",
		},
		{
			name: "unknown bucket",
			client: func(t *testing.T, srv *Server, c *stsCredential) *oss.Bucket {
				client, err := oss.New(srv.URL, c.AccessKeyID, c.AccessKeySecret, oss.SecurityToken(c.SecurityToken))
				require.NoError(t, err)
				b, err := client.Bucket("outin-nobody-issued-this")
				require.NoError(t, err)
				return b
			},
			status: http.StatusNotFound, code: "NoSuchBucket",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newOSSServer(t, Options{})
			c := issue(srv, key)
			b := tt.client(t, srv, c)
			target := key
			if tt.key != "" {
				target = tt.key
			}

			err := b.PutObject(target, strings.NewReader("payload"))

			requireServiceError(t, err, tt.status, tt.code)
			assert.False(t, srv.objectExists(testBucket, target), "a rejected PUT stores nothing")
			assert.NotContains(t, serviceError(t, err).RawMessage, c.AccessKeySecret)
			if tt.code != "SignatureDoesNotMatch" { // its StringToSign holds x-oss-security-token, as OSS's does
				assert.NotContains(t, serviceError(t, err).RawMessage, c.SecurityToken)
			}
		})
	}
}

func TestOSSCredentialExpiresWithClock(t *testing.T) {
	t.Parallel()
	var skew atomic.Int64 // how far the emulator's clock is ahead
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	srv := newOSSServer(t, Options{STSTTL: time.Minute, Now: clock})
	c := issue(srv, "sv/clock/c.mp4")
	b := sdkBucket(t, srv, c)
	require.NoError(t, b.PutObject("sv/clock/c.mp4", strings.NewReader("fresh")))

	skew.Store(int64(2 * time.Minute)) // the SDK still sends the real time: no skew error

	err := b.PutObject("sv/clock/c.mp4", strings.NewReader("stale"))
	requireServiceError(t, err, http.StatusForbidden, "SecurityTokenExpired")
}

func TestOSSRequestTimeTooSkewed(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	c := issue(srv, "sv/skew/s.mp4")
	tests := []struct {
		name   string
		date   string
		status int
		code   string
	}{
		{"20 minutes old", time.Now().Add(-20 * time.Minute).UTC().Format(http.TimeFormat), http.StatusForbidden, "RequestTimeTooSkewed"},
		{"20 minutes ahead", time.Now().Add(20 * time.Minute).UTC().Format(http.TimeFormat), http.StatusForbidden, "RequestTimeTooSkewed"},
		{"missing", "", http.StatusForbidden, "AccessDenied"},
		{"10 minutes old is fine, object just missing", time.Now().Add(-10 * time.Minute).UTC().Format(http.TimeFormat), http.StatusNotFound, "NoSuchKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := signedRequest(t, srv, c, http.MethodGet, "sv/skew/s.mp4", nil, tt.date)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			var se oss.ServiceError
			require.NoError(t, xml.Unmarshal(body, &se))
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.code, se.Code)
		})
	}
}

func TestOSSAnonymousRequestDenied(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	issue(srv, "sv/anon/a.mp4")
	resp, err := http.Get(srv.URL + "/" + testBucket + "/sv%2Fanon%2Fa.mp4")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestM3U8CredentialScope(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	c := srv.issueSTS("video-m3u8", testBucket, "sv/m3u8/index.m3u8", "sv/m3u8/")
	b := sdkBucket(t, srv, c)
	tests := []struct {
		key     string
		allowed bool
	}{
		{"sv/m3u8/index.m3u8", true},
		{"sv/m3u8/seg-00001.ts", true},
		{"sv/m3u8/sub/seg-00002.ts", true},
		{"sv/other/seg-00001.ts", false},
		{"sv/m3u8", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			err := b.PutObject(tt.key, bytes.NewReader([]byte("#EXTM3U")))
			if tt.allowed {
				require.NoError(t, err)
				assert.True(t, srv.objectExists(testBucket, tt.key))
				return
			}
			requireServiceError(t, err, http.StatusForbidden, "AccessDenied")
		})
	}
}

func TestOSSStringToSignCanonicalization(t *testing.T) {
	t.Parallel()
	req, err := http.NewRequest(http.MethodPut,
		"http://127.0.0.1/b/k?partNumber=3&uploadId=ABC&max-parts=5&uploads", nil)
	require.NoError(t, err)
	req.Header.Set("Content-MD5", "md5==")
	req.Header.Set("Content-Type", "video/mp4")
	req.Header.Set("X-OSS-Security-Token", "tok")
	req.Header.Set("x-oss-meta-b", "2")
	req.Header.Set("x-oss-meta-a", "1")
	req.Header.Set("X-Other", "ignored")

	got := ossStringToSign(req, req.URL.Query(), "b", "dir/k y.mp4", "Thu, 01 Jan 2026 00:00:00 GMT")

	want := "PUT\nmd5==\nvideo/mp4\nThu, 01 Jan 2026 00:00:00 GMT\n" +
		"x-oss-meta-a:1\nx-oss-meta-b:2\nx-oss-security-token:tok\n" +
		"/b/dir/k y.mp4?partNumber=3&uploadId=ABC&uploads"
	assert.Equal(t, want, got)
}

// aliOSSRequest builds a PUT the way ali-oss 6.23.0 does
// (lib/common/utils/createRequest.js, lib/common/signUtils.js): the time
// goes in x-oss-date only and fills the Date slot of the string to sign,
// where x-oss-date also appears among the canonical x-oss-* headers. The
// string to sign is written out here rather than taken from the emulator.
func aliOSSRequest(t *testing.T, srv *Server, c *stsCredential, key string, body []byte, xOSSDate, date, signedDate string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, srv.URL+"/"+c.Bucket+"/"+key, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "video/mp4")
	req.Header.Set("x-oss-user-agent", "aliyun-sdk-js/6.23.0 Chrome 120.0 on OS X 10.15")
	req.Header.Set("x-oss-security-token", c.SecurityToken)
	if xOSSDate != "" {
		req.Header.Set("x-oss-date", xOSSDate)
	}
	if date != "" {
		req.Header.Set("Date", date)
	}
	canon := ""
	if xOSSDate != "" {
		canon += "x-oss-date:" + xOSSDate + "\n"
	}
	canon += "x-oss-security-token:" + c.SecurityToken + "\n" +
		"x-oss-user-agent:aliyun-sdk-js/6.23.0 Chrome 120.0 on OS X 10.15\n"
	sts := "PUT\n\nvideo/mp4\n" + signedDate + "\n" + canon + "/" + c.Bucket + "/" + key
	mac := hmac.New(sha1.New, []byte(c.AccessKeySecret))
	mac.Write([]byte(sts))
	req.Header.Set("Authorization", "OSS "+c.AccessKeyID+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return req
}

func TestOSSSigningDateXOSSDate(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	const key = "sv/xdate/x.mp4"
	c := issue(srv, key)
	now := time.Now().UTC().Format(http.TimeFormat)
	stale := time.Now().Add(-20 * time.Minute).UTC().Format(http.TimeFormat)
	tests := []struct {
		name                   string
		xOSSDate, date, signed string
		status                 int
		code                   string
	}{
		{"x-oss-date only, as ali-oss sends", now, "", now, http.StatusOK, ""},
		{"x-oss-date wins over a stale Date", now, stale, now, http.StatusOK, ""},
		{"a stale x-oss-date is skewed even with a fresh Date", stale, now, stale, http.StatusForbidden, "RequestTimeTooSkewed"},
		{"signing Date when x-oss-date is present", now, stale, stale, http.StatusForbidden, "SignatureDoesNotMatch"},
		{"unparsable x-oss-date", "yesterday", "", "yesterday", http.StatusForbidden, "AccessDenied"},
		{"neither header", "", "", "", http.StatusForbidden, "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte("browser upload")
			req := aliOSSRequest(t, srv, c, key, body, tt.xOSSDate, tt.date, tt.signed)
			resp, raw := doRaw(t, srv.Client(), req)
			require.Equal(t, tt.status, resp.StatusCode, string(raw))
			if tt.code != "" {
				assert.Contains(t, string(raw), "<Code>"+tt.code+"</Code>")
				return
			}
			got, err := srv.Object(testBucket, key)
			require.NoError(t, err)
			assert.Equal(t, body, got)
		})
	}
}
