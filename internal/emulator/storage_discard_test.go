package emulator

import (
	"bytes"
	"crypto/md5"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestETagsByStorageMode pins what each mode promises about ETags: memory
// (like dir and OSS) reports the MD5 of the bytes; discard skips MD5 but
// keeps the format and still tells different bodies apart.
func TestETagsByStorageMode(t *testing.T) {
	t.Parallel()
	a, b := randomBytes(300<<10, 7), randomBytes(300<<10, 8)
	md5Of := func(p []byte) string { s := md5.Sum(p); return md5ETag(s[:]) }
	tests := []struct {
		name  string
		mode  StorageMode
		isMD5 bool
	}{
		{"memory", StorageMemory, true},
		{"discard", StorageDiscard, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newOSSServer(t, Options{Storage: tt.mode})
			const key = "sv/etag/x.mp4"
			bucket := sdkBucket(t, srv, issue(srv, key))
			put := func(data []byte) http.Header {
				var h http.Header
				require.NoError(t, bucket.PutObject(key, bytes.NewReader(data), oss.GetResponseHeader(&h)))
				return h
			}
			ha, ha2, hb := put(a), put(a), put(b)
			etagA, etagB := ha.Get("ETag"), hb.Get("ETag")
			assert.Regexp(t, regexp.MustCompile(`^"[0-9A-F]{32}"$`), etagA)
			assert.Equal(t, etagA, ha2.Get("ETag"), "same bytes, same ETag")
			assert.NotEqual(t, etagA, etagB, "different bytes, different ETag")
			assert.Equal(t, tt.isMD5, etagA == md5Of(a), "ETag is the MD5 of the bytes")
			assert.Equal(t, formatCRC(crcOf(b)), hb.Get(crcHeader))
		})
	}
}

// BenchmarkDiscardDigest is the discard store's cost per byte: CRC64 only.
func BenchmarkDiscardDigest(b *testing.B) {
	const size = 64 << 20
	b.SetBytes(size)
	for b.Loop() {
		if _, err := crcDigest(io.LimitReader(zeroReader{}, size), make([]byte, copyBufferSize)); err != nil {
			b.Fatal(err)
		}
	}
}
