package emulator

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPutGetObjectRoundTrip(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	keys := []string{
		"sv/5f1c/5f1c-01.mp4",
		"sv/dir with space/a+b%25&x=y?.mp4",
		"sv/中文/视频.mp4",
		"sv/../escape.mp4",
	}
	for i, key := range keys {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			data := randomBytes(300<<10+i, uint64(i))
			b := sdkBucket(t, srv, issue(srv, key))

			require.NoError(t, b.PutObject(key, bytes.NewReader(data)))

			rc, err := b.GetObject(key)
			require.NoError(t, err)
			got, err := io.ReadAll(rc)
			require.NoError(t, rc.Close())
			require.NoError(t, err)
			assert.Equal(t, data, got, "GetObject bytes")
			stored, err := srv.Object(testBucket, key)
			require.NoError(t, err)
			assert.Equal(t, data, stored, "stored under the unescaped key")
		})
	}
}

func TestGetObjectToFilePassesSDKCRCCheck(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	key := "sv/crc/file.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	data := randomBytes(1<<20, 7)
	require.NoError(t, b.PutObject(key, bytes.NewReader(data)))

	path := filepath.Join(t.TempDir(), "out.mp4")
	require.NoError(t, b.GetObjectToFile(key, path), "the SDK compares x-oss-hash-crc64ecma with what it read")
}

func TestGetObjectRange(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	key := "sv/range/r.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	data := randomBytes(1000, 3)
	require.NoError(t, b.PutObject(key, bytes.NewReader(data)))

	tests := []struct {
		name         string
		opts         []oss.Option
		status       int
		want         []byte
		contentRange string
	}{
		{"first and last", []oss.Option{oss.Range(10, 19)}, 206, data[10:20], "bytes 10-19/1000"},
		{"open end", []oss.Option{oss.NormalizedRange("990-")}, 206, data[990:], "bytes 990-999/1000"},
		{"suffix", []oss.Option{oss.NormalizedRange("-5")}, 206, data[995:], "bytes 995-999/1000"},
		{"end past object ignored by default", []oss.Option{oss.Range(500, 2000)}, 200, data, ""},
		{"start past object ignored by default", []oss.Option{oss.Range(1000, 2000)}, 200, data, ""},
		{"end past object clamped when standard", []oss.Option{oss.Range(500, 2000), oss.RangeBehavior("standard")}, 206, data[500:], "bytes 500-999/1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hdr http.Header
			rc, err := b.GetObject(key, append(tt.opts, oss.GetResponseHeader(&hdr))...)
			require.NoError(t, err)
			got, err := io.ReadAll(rc)
			require.NoError(t, rc.Close())
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.contentRange, hdr.Get("Content-Range"))
			assert.Equal(t, strconv.FormatUint(crcOf(data), 10), hdr.Get(crcHeader), "whole-object CRC")
		})
	}

	t.Run("start past object is 416 when standard", func(t *testing.T) {
		t.Parallel()
		_, err := b.GetObject(key, oss.Range(1000, 2000), oss.RangeBehavior("standard"))
		requireServiceError(t, err, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
	})
}

func TestHeadObjectReportsSizeCRCAndETag(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	key := "sv/head/h.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	data := randomBytes(4321, 5)
	var putHdr http.Header
	require.NoError(t, b.PutObject(key, bytes.NewReader(data), oss.GetResponseHeader(&putHdr)))

	h, err := b.GetObjectDetailedMeta(key)
	require.NoError(t, err)
	assert.Equal(t, "4321", h.Get("Content-Length"))
	assert.Equal(t, strconv.FormatUint(crcOf(data), 10), h.Get(crcHeader))
	assert.Equal(t, putHdr.Get("ETag"), h.Get("ETag"))
	assert.Equal(t, "video/mp4", h.Get("Content-Type"), "the SDK derives it from the extension")
	assert.Equal(t, "Normal", h.Get("x-oss-object-type"))
	size, crc, err := srv.ObjectInfo(testBucket, key)
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), size)
	assert.Equal(t, crcOf(data), crc)
}

func TestMissingObject(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	key := "sv/missing/m.mp4"
	b := sdkBucket(t, srv, issue(srv, key))

	_, err := b.GetObject(key)
	requireServiceError(t, err, http.StatusNotFound, "NoSuchKey")
	_, err = b.GetObjectDetailedMeta(key)
	requireServiceError(t, err, http.StatusNotFound, "NoSuchKey") // decoded from x-oss-err
	exists, err := b.IsObjectExist(key)
	require.NoError(t, err)
	assert.False(t, exists)
	assert.False(t, srv.objectExists(testBucket, key))
}

func TestDeleteObject(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	key := "sv/del/d.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	require.NoError(t, b.PutObject(key, strings.NewReader("x")))
	require.True(t, srv.objectExists(testBucket, key))

	require.NoError(t, b.DeleteObject(key))
	assert.False(t, srv.objectExists(testBucket, key))
	require.NoError(t, b.DeleteObject(key), "deleting a missing object is not an error in OSS")
}

func TestPresignedURL(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	key := "sv/signed/s.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	data := randomBytes(2048, 11)

	putURL, err := b.SignURL(key, oss.HTTPPut, 60)
	require.NoError(t, err)
	require.NoError(t, b.PutObjectWithURL(putURL, bytes.NewReader(data)))
	getURL, err := b.SignURL(key, oss.HTTPGet, 60)
	require.NoError(t, err)
	rc, err := b.GetObjectWithURL(getURL)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	require.NoError(t, err)
	assert.Equal(t, data, got)

	t.Run("tampered signature", func(t *testing.T) {
		_, err := b.GetObjectWithURL(strings.Replace(getURL, "Signature=", "Signature=AA", 1))
		requireServiceError(t, err, http.StatusForbidden, "SignatureDoesNotMatch")
	})
}

func TestErrorResponseShape(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	c := issue(srv, "sv/shape/x.mp4")
	req := signedRequest(t, srv, c, http.MethodGet, "sv/shape/x.mp4", nil, time.Now().UTC().Format(http.TimeFormat))

	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "application/xml", resp.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(string(body), `<?xml version="1.0" encoding="UTF-8"?>`), string(body))
	var e struct {
		Code, Message, RequestId, HostId string
	}
	require.NoError(t, xml.Unmarshal(body, &e))
	assert.Equal(t, "NoSuchKey", e.Code)
	assert.Equal(t, resp.Header.Get("x-oss-request-id"), e.RequestId)
	assert.Equal(t, srv.Host(), e.HostId)
	assert.NotContains(t, string(body), c.SecurityToken)
	assert.NotContains(t, string(body), c.AccessKeySecret)
}

func TestCountersCountOSSRequests(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	key := "sv/count/c.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	require.NoError(t, b.PutObject(key, bytes.NewReader(make([]byte, 1000))))
	_, err := b.GetObjectDetailedMeta(key)
	require.NoError(t, err)
	_, err = b.GetObject("sv/count/other.mp4")
	requireServiceError(t, err, http.StatusForbidden, "AccessDenied")

	c := srv.Counters()
	assert.Equal(t, int64(1), c.Requests["PutObject"])
	assert.Equal(t, int64(1), c.Requests["HeadObject"])
	assert.Equal(t, int64(1), c.Requests["GetObject"])
	assert.Equal(t, int64(1000), c.BytesReceived)
	assert.Equal(t, int64(1), c.Errors["AccessDenied"])
}
