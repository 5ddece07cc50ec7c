package emulator

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ossRequestID is the form of OSS request IDs (24 upper-case hex digits in
// every answer the reference shows).
var ossRequestID = regexp.MustCompile(`^[0-9A-F]{24}$`)

type rawError struct {
	Code, Message, RequestId, HostId, EC, RecommendDoc string
	Key, BucketName, UploadId, ArgumentName            string
	ArgumentValue, OSSAccessKeyId, SignatureProvided   string
	StringToSign, StringToSignBytes, ServerTime        string
}

// requireOSSError checks an error answer against the OSS reference
// ("Error responses"): status, Code, EC in body and x-oss-ec, RequestId
// equal to x-oss-request-id, HostId the request's Host, and the element
// order Code, Message, RequestId, HostId, <the error's own>, EC,
// RecommendDoc.
func requireOSSError(t *testing.T, resp *http.Response, body []byte, status int, code, ec string, own ...string) rawError {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, string(body))
	assert.Equal(t, "application/xml", resp.Header.Get("Content-Type"))
	assert.Regexp(t, ossRequestID, resp.Header.Get("x-oss-request-id"))
	assert.Equal(t, "AliyunOSS", resp.Header.Get("Server"))
	assert.Regexp(t, `^\d+$`, resp.Header.Get("x-oss-server-time"))
	assert.Equal(t, ec, resp.Header.Get("x-oss-ec"))
	assert.True(t, strings.HasPrefix(string(body), `<?xml version="1.0" encoding="UTF-8"?>`), string(body))
	var e rawError
	require.NoError(t, xml.Unmarshal(body, &e))
	assert.Equal(t, code, e.Code)
	assert.NotEmpty(t, e.Message)
	assert.Equal(t, resp.Header.Get("x-oss-request-id"), e.RequestId)
	assert.Equal(t, resp.Request.Host, e.HostId)
	want := append([]string{"Code", "Message", "RequestId", "HostId"}, own...)
	if ec != "" {
		want = append(want, "EC", "RecommendDoc")
		assert.Equal(t, ec, e.EC)
		assert.Equal(t, "https://api.aliyun.com/troubleshoot?q="+ec, e.RecommendDoc)
	}
	assert.Equal(t, want, childElements(t, body))
	return e
}

func TestOSSErrorAnswers(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	const key = "sv/errors/e.mp4"
	c := issue(srv, key)
	initiate := func(t *testing.T) string {
		resp, body := rawOSS(t, srv, c, http.MethodPost, key, "uploads", nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		var r struct{ UploadId string }
		require.NoError(t, xml.Unmarshal(body, &r))
		return r.UploadId
	}

	t.Run("NoSuchKey names the key", func(t *testing.T) {
		t.Parallel()
		resp, body := rawOSS(t, srv, c, http.MethodGet, key, "", nil, nil)
		e := requireOSSError(t, resp, body, http.StatusNotFound, "NoSuchKey", "0026-00000001", "Key")
		assert.Equal(t, key, e.Key)
		assert.Equal(t, "The specified key does not exist.", e.Message)
	})
	t.Run("HEAD carries the error in x-oss-err", func(t *testing.T) {
		t.Parallel()
		resp, body := rawOSS(t, srv, c, http.MethodHead, key, "", nil, nil)
		assert.Empty(t, body)
		doc, err := base64.StdEncoding.DecodeString(resp.Header.Get("x-oss-err"))
		require.NoError(t, err)
		requireOSSError(t, resp, doc, http.StatusNotFound, "NoSuchKey", "0026-00000001", "Key")
	})
	t.Run("NoSuchBucket names the bucket", func(t *testing.T) {
		t.Parallel()
		other := *c
		other.Bucket = "outin-nobody"
		resp, body := rawOSS(t, srv, &other, http.MethodGet, key, "", nil, nil)
		e := requireOSSError(t, resp, body, http.StatusNotFound, "NoSuchBucket", "0015-00000101", "BucketName")
		assert.Equal(t, "outin-nobody", e.BucketName)
	})
	t.Run("UploadPart to no upload", func(t *testing.T) {
		t.Parallel()
		resp, body := rawOSS(t, srv, c, http.MethodPut, key, "partNumber=1&uploadId=0004B999EF5A239BB9138C6227D69F95", []byte("x"), nil)
		e := requireOSSError(t, resp, body, http.StatusNotFound, "NoSuchUpload", "0017-00000244", "UploadId")
		assert.Equal(t, "0004B999EF5A239BB9138C6227D69F95", e.UploadId)
	})
	t.Run("ListParts of no upload has no documented EC", func(t *testing.T) {
		t.Parallel()
		resp, body := rawOSS(t, srv, c, http.MethodGet, key, "uploadId=00AB", nil, nil)
		requireOSSError(t, resp, body, http.StatusNotFound, "NoSuchUpload", "", "UploadId")
	})
	t.Run("part number out of range", func(t *testing.T) {
		t.Parallel()
		id := initiate(t)
		resp, body := rawOSS(t, srv, c, http.MethodPut, key, "partNumber=10001&uploadId="+id, []byte("x"), nil)
		e := requireOSSError(t, resp, body, http.StatusBadRequest, "InvalidArgument", "0017-00000220", "ArgumentName", "ArgumentValue")
		assert.Equal(t, "PartNumber", e.ArgumentName)
		assert.Equal(t, "10001", e.ArgumentValue)
		assert.Equal(t, "Part number must be an integer between 1 and 10000, inclusive.", e.Message)
	})
	t.Run("Content-MD5 not an MD5", func(t *testing.T) {
		t.Parallel()
		resp, body := rawOSS(t, srv, c, http.MethodPut, key, "", []byte("x"), http.Header{"Content-Md5": {"bm90LW1kNQ=="}})
		requireOSSError(t, resp, body, http.StatusBadRequest, "InvalidDigest", "0017-00000502")
	})
	t.Run("Content-MD5 of other bytes", func(t *testing.T) {
		t.Parallel()
		sum := md5.Sum([]byte("y"))
		resp, body := rawOSS(t, srv, c, http.MethodPut, key, "", []byte("x"),
			http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(sum[:])}})
		requireOSSError(t, resp, body, http.StatusBadRequest, "InvalidDigest", "0017-00000503")
	})
	t.Run("key outside the credential", func(t *testing.T) {
		t.Parallel()
		resp, body := rawOSS(t, srv, c, http.MethodPut, "sv/errors/other.mp4", "", []byte("x"), nil)
		e := requireOSSError(t, resp, body, http.StatusForbidden, "AccessDenied", "0003-00000301")
		assert.Equal(t, "Access denied by authorizer's policy.", e.Message)
	})
	t.Run("wrong secret gets what OSS signed", func(t *testing.T) {
		t.Parallel()
		bad := *c
		bad.AccessKeySecret = "not-the-secret"
		resp, body := rawOSS(t, srv, &bad, http.MethodGet, key, "", nil, nil)
		e := requireOSSError(t, resp, body, http.StatusForbidden, "SignatureDoesNotMatch", "0002-00000040",
			"OSSAccessKeyId", "SignatureProvided", "StringToSign", "StringToSignBytes")
		assert.Equal(t, c.AccessKeyID, e.OSSAccessKeyId)
		want := "GET\n\n\n" + resp.Request.Header.Get("Date") + "\nx-oss-security-token:" + c.SecurityToken +
			"\n/" + testBucket + "/" + key
		assert.Equal(t, want, e.StringToSign)
		assert.Equal(t, fmt.Sprintf("% X ", want), e.StringToSignBytes)
		assert.Equal(t, strings.TrimPrefix(resp.Request.Header.Get("Authorization"), "OSS "+c.AccessKeyID+":"), e.SignatureProvided)
		assert.NotContains(t, string(body), c.AccessKeySecret)
	})
	t.Run("unknown AccessKeyId", func(t *testing.T) {
		t.Parallel()
		bad := *c
		bad.AccessKeyID = "STS.unknown"
		resp, body := rawOSS(t, srv, &bad, http.MethodGet, key, "", nil, nil)
		requireOSSError(t, resp, body, http.StatusForbidden, "InvalidAccessKeyId", "0002-00000902")
	})
	t.Run("stale date", func(t *testing.T) {
		t.Parallel()
		req := signedRequest(t, srv, c, http.MethodGet, key, nil, time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
		resp, body := doRaw(t, srv.Client(), req)
		e := requireOSSError(t, resp, body, http.StatusForbidden, "RequestTimeTooSkewed", "0002-00000504", "ServerTime")
		assert.Regexp(t, ossXMLTime, e.ServerTime)
	})
	t.Run("expired presigned URL", func(t *testing.T) {
		t.Parallel()
		q := url.Values{"OSSAccessKeyId": {c.AccessKeyID}, "Expires": {strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)},
			"Signature": {"x"}, "security-token": {c.SecurityToken}}
		resp, body := doRaw(t, srv.Client(), mustRequest(t, http.MethodGet, srv.URL+"/"+testBucket+"/"+key+"?"+q.Encode()))
		requireOSSError(t, resp, body, http.StatusForbidden, "AccessDenied", "0002-00000069")
	})
	t.Run("anonymous", func(t *testing.T) {
		t.Parallel()
		resp, body := doRaw(t, srv.Client(), mustRequest(t, http.MethodGet, srv.URL+"/"+testBucket+"/"+key))
		requireOSSError(t, resp, body, http.StatusForbidden, "AccessDenied", "")
	})
	t.Run("expired credential", func(t *testing.T) {
		t.Parallel()
		s2 := newOSSServer(t, Options{})
		c2 := issue(s2, key)
		s2.ExpireCredentials()
		resp, body := rawOSS(t, s2, c2, http.MethodGet, key, "", nil, nil)
		requireOSSError(t, resp, body, http.StatusForbidden, "SecurityTokenExpired", "0002-00000007")
	})
}

func TestCompleteMultipartUploadErrorECs(t *testing.T) {
	t.Parallel()
	const key = "sv/complete/ec.mp4"
	cases := []struct {
		name   string
		sizes  []int
		body   func(f multipartFixture) string
		code   string
		ec     string
		status int
	}{
		{"malformed", []int{minPartSize, 10}, func(multipartFixture) string { return "<CompleteMultipartUpload><Part>" },
			"MalformedXML", "0042-00000205", http.StatusBadRequest},
		{"out of order", []int{minPartSize, 10}, func(f multipartFixture) string { return completeXML(f.parts[1], f.parts[0]) },
			"InvalidPartOrder", "0042-00000209", http.StatusBadRequest},
		{"small part", []int{minPartSize - 1, 10}, func(f multipartFixture) string { return completeXML(f.parts...) },
			"EntityTooSmall", "0042-00000213", http.StatusBadRequest},
		{"unknown part has no documented EC", []int{minPartSize, 10}, func(f multipartFixture) string {
			p := f.parts[1]
			p.PartNumber = 3
			return completeXML(f.parts[0], p)
		}, "InvalidPart", "", http.StatusBadRequest},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newMultipartFixture(t, key, tt.sizes...)
			c := f.srv.credentialForTest(t, testBucket)
			resp, body := rawOSS(t, f.srv, c, http.MethodPost, key, "uploadId="+f.imur.UploadID, []byte(tt.body(f)), nil)
			requireOSSError(t, resp, body, tt.status, tt.code, tt.ec)
		})
	}
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	require.NoError(t, err)
	return req
}

func TestOSSSuccessHeaders(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	const key = "sv/headers/h.mp4"
	c := issue(srv, key)
	data := []byte("header check")
	sum := md5.Sum(data)

	resp, body := rawOSS(t, srv, c, http.MethodPut, key, "", data, http.Header{"Content-Type": {"video/mp4"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Regexp(t, ossRequestID, resp.Header.Get("x-oss-request-id"))
	assert.Equal(t, "AliyunOSS", resp.Header.Get("Server"))
	assert.Regexp(t, `^\d+$`, resp.Header.Get("x-oss-server-time"))
	_, err := http.ParseTime(resp.Header.Get("Date"))
	assert.NoError(t, err, "Date in HTTP (RFC 1123 GMT) form")
	assert.Equal(t, `"`+strings.ToUpper(fmt.Sprintf("%x", sum))+`"`, resp.Header.Get("ETag"))
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), resp.Header.Get("Content-MD5"))
	assert.Equal(t, strconv.FormatUint(crcOf(data), 10), resp.Header.Get(crcHeader))
	assert.Equal(t, "0", resp.Header.Get("Content-Length"))

	resp, _ = rawOSS(t, srv, c, http.MethodHead, key, "", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	lm, err := http.ParseTime(resp.Header.Get("Last-Modified"))
	require.NoError(t, err, "Last-Modified in HTTP (RFC 1123 GMT) form")
	assert.WithinDuration(t, time.Now(), lm, time.Minute)
	assert.Equal(t, strconv.Itoa(len(data)), resp.Header.Get("Content-Length"))
	assert.Equal(t, "video/mp4", resp.Header.Get("Content-Type"))
	assert.Equal(t, "Normal", resp.Header.Get("x-oss-object-type"))
}
