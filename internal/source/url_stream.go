package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/vodupload/vodupload/internal/retry"
)

// urlStream is the download body as one reader that survives dropped
// connections. Read is not safe for concurrent use; Close may be called
// from another goroutine to stop a Read.
type urlStream struct {
	ctx        context.Context
	client     *http.Client
	url, shown string
	maxRetries int
	policy     retry.Policy

	// What the first response said, to resume the same representation.
	size         int64 // -1 until known
	etag         string
	lastModified string
	noRanges     bool // Accept-Ranges: none

	offset   int64 // bytes handed to the caller
	failures int   // resume attempts since the last byte arrived
	pending  error // error that came with the last bytes, handled next Read
	err      error // sticky: the stream is over

	mu     sync.Mutex
	body   io.ReadCloser
	closed bool
}

func (s *urlStream) get(from int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", s.shown, ErrInvalidURL)
	}
	// Transparent gzip would make byte offsets meaningless for Range.
	req.Header.Set("Accept-Encoding", "identity")
	if from > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(from, 10)+"-")
		if v := s.validator(); v != "" {
			req.Header.Set("If-Range", v)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// *url.Error quotes the full URL; our message names the redacted one.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("download %s: %w", s.shown, err)
	}
	return resp, nil
}

// validator is what If-Range may carry: a strong ETag (RFC 9110 forbids
// weak ones there) or else Last-Modified.
func (s *urlStream) validator() string {
	if s.etag != "" && !strings.HasPrefix(s.etag, "W/") {
		return s.etag
	}
	return s.lastModified
}

func (s *urlStream) acceptFirst(resp *http.Response) error {
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNonAuthoritativeInfo {
		return &HTTPStatusError{URL: s.shown, StatusCode: resp.StatusCode}
	}
	if err := s.checkEncoding(resp); err != nil {
		return err
	}
	if resp.ContentLength == 0 {
		return fmt.Errorf("download %s: %w", s.shown, ErrEmpty)
	}
	s.size = resp.ContentLength
	s.etag = resp.Header.Get("ETag")
	s.lastModified = resp.Header.Get("Last-Modified")
	s.noRanges = strings.EqualFold(strings.TrimSpace(resp.Header.Get("Accept-Ranges")), "none")
	return nil
}

// checkEncoding refuses compressed bodies: uploading them would store the
// compressed bytes as the video.
func (s *urlStream) checkEncoding(resp *http.Response) error {
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return fmt.Errorf("download %s: %w: %q", s.shown, ErrContentEncoded, ce)
	}
	return nil
}

// Read hands out the body; when the connection drops mid-body it resumes
// from the first byte not yet handed out.
func (s *urlStream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for s.err == nil {
		err := s.pending
		s.pending = nil
		if err == nil {
			var n int
			n, err = s.currentBody().Read(p)
			if n > 0 {
				s.offset += int64(n)
				s.failures = 0
				s.pending = err
				return n, nil
			}
			if err == nil {
				continue
			}
		}
		s.err = s.afterBody(err)
	}
	return 0, s.err
}

// afterBody decides how a body ended: done (io.EOF), resumed (nil) or failed.
func (s *urlStream) afterBody(err error) error {
	if errors.Is(err, io.EOF) {
		if s.size < 0 || s.offset >= s.size {
			return io.EOF
		}
		err = io.ErrUnexpectedEOF
	}
	if cerr := s.ctx.Err(); cerr != nil {
		return fmt.Errorf("download %s: %w", s.shown, cerr)
	}
	if s.isClosed() {
		return fmt.Errorf("download %s: %w", s.shown, ErrClosed)
	}
	return s.resume(err)
}

func (s *urlStream) resume(cause error) error {
	_ = s.swapBody(nil)
	if s.noRanges {
		return fmt.Errorf("download %s: connection lost at byte %d: %w (%w)", s.shown, s.offset, ErrRangeUnsupported, cause)
	}
	for {
		if s.failures >= s.maxRetries {
			if !errors.Is(cause, io.ErrUnexpectedEOF) {
				cause = fmt.Errorf("%w; last: %w", io.ErrUnexpectedEOF, cause)
			}
			return fmt.Errorf("download %s: gave up at byte %d after %d retries: %w", s.shown, s.offset, s.maxRetries, cause)
		}
		s.failures++
		if err := retry.Sleep(s.ctx, s.policy.Backoff(s.failures)); err != nil {
			return fmt.Errorf("download %s: %w", s.shown, err)
		}
		resp, err := s.get(s.offset)
		if err == nil {
			var body io.ReadCloser
			if body, err = s.resumedBody(resp); err != nil {
				_ = resp.Body.Close()
			} else {
				err = s.swapBody(body)
			}
		}
		if err == nil || s.ctx.Err() != nil || !retryable(err) {
			return err
		}
		cause = err
	}
}

// retryable: failed connections and server hiccups are; answers about the
// file itself are not.
func retryable(err error) bool {
	var he *HTTPStatusError
	if errors.As(err, &he) {
		return he.Temporary()
	}
	for _, permanent := range []error{
		ErrTooManyRedirects, ErrInvalidURL, ErrRangeUnsupported, ErrBadContentRange,
		ErrSourceChanged, ErrContentEncoded, ErrClosed,
	} {
		if errors.Is(err, permanent) {
			return false
		}
	}
	return true
}

// resumedBody checks the answer to a Range request continues exactly the
// representation first read.
func (s *urlStream) resumedBody(resp *http.Response) (io.ReadCloser, error) {
	if err := s.checkEncoding(resp); err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		cr := resp.Header.Get("Content-Range")
		first, total, err := parseContentRange(cr)
		if err != nil || first != s.offset {
			return nil, fmt.Errorf("download %s: asked for bytes from %d, got content-range %q: %w", s.shown, s.offset, cr, ErrBadContentRange)
		}
		if s.changed(resp, total) {
			return nil, fmt.Errorf("download %s: %w", s.shown, ErrSourceChanged)
		}
		if s.size < 0 {
			s.size = total
		}
		return resp.Body, nil
	case http.StatusOK, http.StatusNonAuthoritativeInfo:
		return s.skipToOffset(resp)
	case http.StatusRequestedRangeNotSatisfiable:
		return nil, fmt.Errorf("download %s: range from %d not satisfiable: %w", s.shown, s.offset, ErrSourceChanged)
	}
	return nil, &HTTPStatusError{URL: s.shown, StatusCode: resp.StatusCode}
}

// changed compares what a resumed response says about the file with the
// first response; servers that ignore If-Range are caught here.
func (s *urlStream) changed(resp *http.Response, total int64) bool {
	differ := func(a, b string) bool { return a != "" && b != "" && a != b }
	return differ(s.etag, resp.Header.Get("ETag")) ||
		differ(s.lastModified, resp.Header.Get("Last-Modified")) ||
		(s.size >= 0 && total >= 0 && total != s.size)
}

// skipToOffset handles a full (200) answer to a Range request. If-Range
// turns a changed file into a 200, so it is only safe to discard the bytes
// already handed out when the same strong ETag proves the file is the same;
// otherwise the download cannot be resumed.
func (s *urlStream) skipToOffset(resp *http.Response) (io.ReadCloser, error) {
	etag := resp.Header.Get("ETag")
	switch {
	case s.changed(resp, resp.ContentLength):
		return nil, fmt.Errorf("download %s: %w", s.shown, ErrSourceChanged)
	case etag == "" || etag != s.etag || strings.HasPrefix(etag, "W/"):
		return nil, fmt.Errorf("download %s: connection lost at byte %d: %w", s.shown, s.offset, ErrRangeUnsupported)
	}
	if _, err := io.CopyN(io.Discard, resp.Body, s.offset); err != nil {
		return nil, fmt.Errorf("download %s: skip %d bytes: %w", s.shown, s.offset, err)
	}
	return resp.Body, nil
}

// currentBody is never nil while Read runs: resume installs a body or ends
// the stream, and Close leaves the closed body to fail the next Read.
func (s *urlStream) currentBody() io.Reader {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.body
}

// swapBody closes the current body and installs b, unless Close came first.
func (s *urlStream) swapBody(b io.ReadCloser) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.body != nil {
		_ = s.body.Close()
	}
	s.body = b
	if s.closed && b != nil {
		s.body = nil
		_ = b.Close()
		return fmt.Errorf("download %s: %w", s.shown, ErrClosed)
	}
	return nil
}

func (s *urlStream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close closes the current body; a Read in progress returns ErrClosed.
func (s *urlStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.body == nil {
		s.closed = true
		return nil
	}
	s.closed = true
	return s.body.Close()
}
