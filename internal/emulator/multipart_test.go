package emulator

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUploadFileWithCheckpoint(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	const key = "sv/multi/big.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	data := randomBytes(5<<20+12345, 42)
	dir := t.TempDir()
	src := filepath.Join(dir, "big.mp4")
	require.NoError(t, os.WriteFile(src, data, 0o600))

	err := b.UploadFile(key, src, 200<<10, oss.Routines(3), oss.Checkpoint(true, filepath.Join(dir, "big.cp")))
	require.NoError(t, err, "the SDK checks every part's x-oss-hash-crc64ecma")

	got, err := srv.Object(testBucket, key)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	size, crc, err := srv.ObjectInfo(testBucket, key)
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), size)
	assert.Equal(t, crcOf(data), crc, "combined part CRCs equal the CRC of the whole")
	h, err := b.GetObjectDetailedMeta(key)
	require.NoError(t, err)
	wantParts := (len(data) + 200<<10 - 1) / (200 << 10)
	assert.True(t, strings.HasSuffix(h.Get("ETag"), "-"+strconv.Itoa(wantParts)+`"`), h.Get("ETag"))
	assert.Equal(t, "Multipart", h.Get("x-oss-object-type"))
	assert.Empty(t, srv.MultipartUploads(), "completed uploads are closed")

	c := srv.Counters()
	assert.Equal(t, int64(wantParts), c.Requests["UploadPart"])
	assert.Equal(t, int64(1), c.Requests["InitiateMultipartUpload"])
	assert.Equal(t, int64(1), c.Requests["CompleteMultipartUpload"])
	assert.Equal(t, int64(len(data)), c.BytesReceived)
	require.Len(t, c.Parts, 1)
	for id := range c.Parts {
		assert.Equal(t, int64(wantParts), c.PartsUploaded(id), "each part sent once")
	}
}

// multipartFixture is an initiated upload with two parts: 100 KiB and 10 bytes.
type multipartFixture struct {
	srv    *Server
	bucket *oss.Bucket
	imur   oss.InitiateMultipartUploadResult
	parts  []oss.UploadPart
}

func newMultipartFixture(t *testing.T, key string, sizes ...int) multipartFixture {
	t.Helper()
	srv := newOSSServer(t, Options{})
	b := sdkBucket(t, srv, issue(srv, key))
	imur, err := b.InitiateMultipartUpload(key)
	require.NoError(t, err)
	f := multipartFixture{srv: srv, bucket: b, imur: imur}
	for i, size := range sizes {
		p, err := b.UploadPart(imur, bytes.NewReader(randomBytes(size, uint64(i))), int64(size), i+1)
		require.NoError(t, err)
		f.parts = append(f.parts, p)
	}
	return f
}

func TestCompleteMultipartUploadRejects(t *testing.T) {
	t.Parallel()
	const key = "sv/complete/c.mp4"
	tests := []struct {
		name   string
		sizes  []int
		run    func(f multipartFixture) error
		status int
		code   string
	}{
		{
			name:  "malformed XML",
			sizes: []int{minPartSize, 10},
			run: func(f multipartFixture) error {
				return rawComplete(f, "<CompleteMultipartUpload><Part>")
			},
			status: http.StatusBadRequest, code: "MalformedXML",
		},
		{
			name:  "empty part list",
			sizes: []int{minPartSize, 10},
			run: func(f multipartFixture) error {
				return rawComplete(f, "<CompleteMultipartUpload></CompleteMultipartUpload>")
			},
			status: http.StatusBadRequest, code: "MalformedXML",
		},
		{
			name:  "parts out of order",
			sizes: []int{minPartSize, 10},
			run: func(f multipartFixture) error {
				return rawComplete(f, completeXML(f.parts[1], f.parts[0]))
			},
			status: http.StatusBadRequest, code: "InvalidPartOrder",
		},
		{
			name:  "unknown part ETag",
			sizes: []int{minPartSize, 10},
			run: func(f multipartFixture) error {
				bad := f.parts[1]
				bad.ETag = `"00000000000000000000000000000000"`
				_, err := f.bucket.CompleteMultipartUpload(f.imur, []oss.UploadPart{f.parts[0], bad})
				return err
			},
			status: http.StatusBadRequest, code: "InvalidPart",
		},
		{
			name:  "part never uploaded",
			sizes: []int{minPartSize, 10},
			run: func(f multipartFixture) error {
				extra := oss.UploadPart{PartNumber: 3, ETag: f.parts[1].ETag}
				_, err := f.bucket.CompleteMultipartUpload(f.imur, append(f.parts, extra))
				return err
			},
			status: http.StatusBadRequest, code: "InvalidPart",
		},
		{
			name:  "non-last part under 100 KiB",
			sizes: []int{minPartSize - 1, 10},
			run: func(f multipartFixture) error {
				_, err := f.bucket.CompleteMultipartUpload(f.imur, f.parts)
				return err
			},
			status: http.StatusBadRequest, code: "EntityTooSmall",
		},
		{
			name:  "after abort",
			sizes: []int{minPartSize, 10},
			run: func(f multipartFixture) error {
				if err := f.bucket.AbortMultipartUpload(f.imur); err != nil {
					return err
				}
				_, err := f.bucket.CompleteMultipartUpload(f.imur, f.parts)
				return err
			},
			status: http.StatusNotFound, code: "NoSuchUpload",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newMultipartFixture(t, key, tt.sizes...)

			err := tt.run(f)

			requireServiceError(t, err, tt.status, tt.code)
			assert.False(t, f.srv.objectExists(testBucket, key), "a rejected Complete creates no object")
		})
	}
}

// rawComplete sends body as the CompleteMultipartUpload XML, which the SDK
// would otherwise always build well-formed and sorted.
func rawComplete(f multipartFixture, body string) error {
	_, err := f.bucket.Do("POST", f.imur.Key, map[string]any{"uploadId": f.imur.UploadID}, nil,
		strings.NewReader(body), nil)
	return err
}

func completeXML(parts ...oss.UploadPart) string {
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for _, p := range parts {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", p.PartNumber, p.ETag)
	}
	b.WriteString("</CompleteMultipartUpload>")
	return b.String()
}

func TestAbortDropsUpload(t *testing.T) {
	t.Parallel()
	f := newMultipartFixture(t, "sv/abort/a.mp4", minPartSize)
	require.Equal(t, []string{f.imur.UploadID}, f.srv.MultipartUploads())

	require.NoError(t, f.bucket.AbortMultipartUpload(f.imur))

	assert.Empty(t, f.srv.MultipartUploads())
	_, err := f.bucket.UploadPart(f.imur, strings.NewReader("late"), 4, 2)
	requireServiceError(t, err, http.StatusNotFound, "NoSuchUpload")
	err = f.bucket.AbortMultipartUpload(f.imur)
	requireServiceError(t, err, http.StatusNotFound, "NoSuchUpload")
}

func TestUploadPartRejectsBadPartNumber(t *testing.T) {
	t.Parallel()
	f := newMultipartFixture(t, "sv/partno/p.mp4")
	for _, n := range []int{0, 10001} {
		_, err := f.bucket.UploadPart(f.imur, strings.NewReader("x"), 1, n)
		requireServiceError(t, err, http.StatusBadRequest, "InvalidArgument")
	}
}

func TestResentPartReplacesEarlierCopy(t *testing.T) {
	t.Parallel()
	const key = "sv/resend/r.mp4"
	f := newMultipartFixture(t, key, minPartSize, 10)
	second := randomBytes(20, 99)
	p2, err := f.bucket.UploadPart(f.imur, bytes.NewReader(second), int64(len(second)), 2)
	require.NoError(t, err)

	_, err = f.bucket.CompleteMultipartUpload(f.imur, []oss.UploadPart{f.parts[0], p2})
	require.NoError(t, err)

	got, err := f.srv.Object(testBucket, key)
	require.NoError(t, err)
	assert.Equal(t, append(randomBytes(minPartSize, 0), second...), got)
	assert.Equal(t, map[int]int64{1: 1, 2: 2}, f.srv.Counters().Parts[f.imur.UploadID])
}

func TestListPartsPaging(t *testing.T) {
	t.Parallel()
	f := newMultipartFixture(t, "sv/list/l.mp4", 5, 6, 7, 8, 9)

	var numbers []int
	marker := 0
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5, "paging must terminate")
		res, err := f.bucket.ListUploadedParts(f.imur, oss.MaxParts(2), oss.PartNumberMarker(marker))
		require.NoError(t, err)
		assert.Equal(t, "sv/list/l.mp4", res.Key, "decoded from encoding-type=url")
		for _, p := range res.UploadedParts {
			numbers = append(numbers, p.PartNumber)
			assert.Equal(t, f.parts[p.PartNumber-1].ETag, p.ETag)
			assert.Equal(t, p.PartNumber+4, p.Size)
		}
		if !res.IsTruncated {
			break
		}
		marker, err = strconv.Atoi(res.NextPartNumberMarker)
		require.NoError(t, err)
	}
	assert.Equal(t, []int{1, 2, 3, 4, 5}, numbers)
}

func TestListMultipartUploadsShowsOnlyScopedKeys(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	mine := sdkBucket(t, srv, issue(srv, "sv/mine/with space.mp4"))
	other := sdkBucket(t, srv, issue(srv, "sv/other/o.mp4"))
	imur1, err := mine.InitiateMultipartUpload("sv/mine/with space.mp4")
	require.NoError(t, err)
	imur2, err := mine.InitiateMultipartUpload("sv/mine/with space.mp4")
	require.NoError(t, err)
	_, err = other.InitiateMultipartUpload("sv/other/o.mp4")
	require.NoError(t, err)

	res, err := mine.ListMultipartUploads(oss.MaxUploads(1))
	require.NoError(t, err)
	require.Len(t, res.Uploads, 1)
	assert.True(t, res.IsTruncated)
	assert.Equal(t, "sv/mine/with space.mp4", res.Uploads[0].Key)
	next, err := mine.ListMultipartUploads(oss.KeyMarker(res.NextKeyMarker), oss.UploadIDMarker(res.NextUploadIDMarker))
	require.NoError(t, err)
	require.Len(t, next.Uploads, 1)
	assert.False(t, next.IsTruncated)
	assert.ElementsMatch(t, []string{imur1.UploadID, imur2.UploadID},
		[]string{res.Uploads[0].UploadID, next.Uploads[0].UploadID})
	assert.Len(t, srv.MultipartUploads(), 3)
}

func TestCRC64Combine(t *testing.T) {
	t.Parallel()
	data := randomBytes(300_001, 5)
	for _, cut := range []int{0, 1, 8, 4096, 150_000, 300_000, 300_001} {
		a, b := data[:cut], data[cut:]
		got := crc64Combine(crcOf(a), crcOf(b), int64(len(b)))
		assert.Equal(t, crcOf(data), got, "cut at %d", cut)
	}
}
