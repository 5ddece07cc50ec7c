package emulator

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// crcHeader carries the CRC64-ECMA of a body or object, in decimal.
const crcHeader = "x-oss-hash-crc64ecma"

// defaultContentType is what OSS records when a PUT names none.
const defaultContentType = "application/octet-stream"

func (s *Server) putObject(w http.ResponseWriter, q *ossRequest) error {
	body, err := uploadBody(q)
	if err != nil {
		return err
	}
	info, err := s.store.put(q.bucket, q.key, body, contentTypeOf(q.r))
	if err != nil {
		return fmt.Errorf("put object %s/%s: %w", q.bucket, q.key, err)
	}
	s.mu.Lock()
	s.counters.bytesReceived += info.Size
	s.mu.Unlock()
	h := w.Header()
	h.Set("ETag", info.ETag)
	h.Set(crcHeader, formatCRC(info.CRC64))
	s.setContentMD5(h, info.ETag)
	w.WriteHeader(http.StatusOK)
	return nil
}

// setContentMD5 sends the body's MD5 in base64, as OSS answers PutObject
// and UploadPart (Content-MD5 in the recorded answers of
// alibabacloud-oss-go-sdk-v2). StorageDiscard computes no MD5, so it
// sends none.
func (s *Server) setContentMD5(h http.Header, etag string) {
	if s.opts.Storage == StorageDiscard {
		return
	}
	sum, err := hex.DecodeString(strings.Trim(etag, `"`))
	if err != nil {
		return
	}
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum))
}

func (s *Server) getObject(w http.ResponseWriter, q *ossRequest) error {
	info, rc, err := s.store.open(q.bucket, q.key)
	switch {
	case errors.Is(err, errNotFound):
		return errNoSuchKey(q.key)
	case errors.Is(err, errDiscarded):
		return errNotImplemented("GetObject with StorageDiscard, which keeps no object bytes")
	case err != nil:
		return fmt.Errorf("get object %s/%s: %w", q.bucket, q.key, err)
	}
	defer rc.Close()
	off, n, partial, err := objectRange(q.r.Header, info.Size)
	if err != nil {
		return err
	}
	if _, err := rc.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("get object %s/%s: %w", q.bucket, q.key, err)
	}
	h := w.Header()
	setObjectHeaders(h, info)
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, info.Size))
	}
	w.WriteHeader(status)
	// A failed copy means the client went away; the status is already sent.
	_, _ = io.CopyN(w, rc, n)
	return nil
}

func (s *Server) headObject(w http.ResponseWriter, q *ossRequest) error {
	info, err := s.store.stat(q.bucket, q.key)
	if errors.Is(err, errNotFound) {
		return errNoSuchKey(q.key)
	}
	if err != nil {
		return fmt.Errorf("head object %s/%s: %w", q.bucket, q.key, err)
	}
	h := w.Header()
	setObjectHeaders(h, info)
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteObject answers 204 whether or not the object existed, as OSS does.
func (s *Server) deleteObject(w http.ResponseWriter, q *ossRequest) error {
	if err := s.store.delete(q.bucket, q.key); err != nil && !errors.Is(err, errNotFound) {
		return fmt.Errorf("delete object %s/%s: %w", q.bucket, q.key, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func setObjectHeaders(h http.Header, info objectInfo) {
	objectType := "Normal"
	if strings.Contains(info.ETag, "-") {
		objectType = "Multipart"
	}
	h.Set("Content-Type", info.ContentType)
	h.Set("ETag", info.ETag)
	h.Set("Last-Modified", info.Modified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set(crcHeader, formatCRC(info.CRC64))
	h.Set("x-oss-object-type", objectType)
	h.Set("x-oss-storage-class", "Standard")
}

func contentTypeOf(r *http.Request) string {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return defaultContentType
}

func formatCRC(crc uint64) string { return strconv.FormatUint(crc, 10) }

// objectRange resolves a Range header against an object of size bytes the
// way OSS does. By default a malformed or unsatisfiable range is ignored
// and the whole object is sent with 200. With "x-oss-range-behavior:
// standard" an end past the object is clamped (206) and a start past it is
// 416 InvalidRange. Only the first of several ranges is honoured.
func objectRange(h http.Header, size int64) (off, n int64, partial bool, err error) {
	spec, ok := strings.CutPrefix(h.Get("Range"), "bytes=")
	if !ok {
		return 0, size, false, nil
	}
	spec, _, _ = strings.Cut(spec, ",")
	first, last, ok := parseByteRange(strings.TrimSpace(spec), size)
	if !ok {
		return 0, size, false, nil
	}
	standard := strings.EqualFold(h.Get("x-oss-range-behavior"), "standard")
	switch {
	case first >= size && standard:
		return 0, 0, false, newOSSError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange",
			"The requested range cannot be satisfied")
	case first >= size:
		return 0, size, false, nil
	case last >= size && !standard:
		return 0, size, false, nil
	}
	last = min(last, size-1)
	return first, last - first + 1, true, nil
}

// parseByteRange parses "a-b", "a-" or "-n" into inclusive offsets, before
// any comparison with size except for the suffix form.
func parseByteRange(spec string, size int64) (first, last int64, ok bool) {
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	if a == "" { // the last b bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(0, size-n), size - 1, n <= size || size == 0
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 {
		return 0, 0, false
	}
	if b == "" {
		return first, max(first, size-1), true
	}
	last, err = strconv.ParseInt(b, 10, 64)
	if err != nil || last < first {
		return 0, 0, false
	}
	return first, last, true
}
