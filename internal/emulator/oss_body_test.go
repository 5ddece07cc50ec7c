package emulator

import (
	"bufio"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContentMD5(t *testing.T) {
	t.Parallel()
	body := "checked body"
	sum := md5.Sum([]byte(body))
	wrong := md5.Sum([]byte("another body"))
	tests := []struct {
		name   string
		md5    string
		stored bool
	}{
		{"matching", base64.StdEncoding.EncodeToString(sum[:]), true},
		{"mismatching", base64.StdEncoding.EncodeToString(wrong[:]), false},
		{"not base64", "%%%", false},
		{"wrong length", base64.StdEncoding.EncodeToString(sum[:8]), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newOSSServer(t, Options{})
			const key = "sv/md5/m.mp4"
			b := sdkBucket(t, srv, issue(srv, key))

			err := b.PutObject(key, strings.NewReader(body), oss.ContentMD5(tt.md5))

			if tt.stored {
				require.NoError(t, err)
			} else {
				requireServiceError(t, err, http.StatusBadRequest, "InvalidDigest")
			}
			assert.Equal(t, tt.stored, srv.objectExists(testBucket, key))
		})
	}
}

func TestBodyShorterThanContentLength(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	const key = "sv/short/s.mp4"
	c := issue(srv, key)
	req := signedRequest(t, srv, c, http.MethodPut, key, nil, time.Now().UTC().Format(http.TimeFormat))

	conn, err := net.Dial("tcp", srv.Host())
	require.NoError(t, err)
	defer conn.Close()
	// Declare 100 bytes, send 50, then half-close: the server sees the
	// body end early but can still answer.
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n", req.URL.RequestURI(), srv.Host())
	for k := range req.Header {
		fmt.Fprintf(conn, "%s: %s\r\n", k, req.Header.Get(k))
	}
	fmt.Fprintf(conn, "\r\n%s", strings.Repeat("x", 50))
	require.NoError(t, conn.(*net.TCPConn).CloseWrite())

	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var se oss.ServiceError
	require.NoError(t, xml.Unmarshal(raw, &se))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "IncompleteBody", se.Code)
	assert.False(t, srv.objectExists(testBucket, key), "a short body stores nothing")
	assert.Zero(t, srv.Counters().BytesReceived)
}

func TestChunkedBodyAccepted(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	const key = "sv/chunked/c.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	data := randomBytes(100<<10, 8)
	pr, pw := io.Pipe()
	go func() {
		_, err := pw.Write(data)
		pw.CloseWithError(err)
	}()

	// A pipe has no length, so the SDK sends Transfer-Encoding: chunked.
	require.NoError(t, b.PutObject(key, pr))

	got, err := srv.Object(testBucket, key)
	require.NoError(t, err)
	assert.Equal(t, data, got)
}
