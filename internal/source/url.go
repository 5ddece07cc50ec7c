package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vodupload/vodupload/internal/retry"
)

// Defaults for URL sources.
const (
	DefaultURLRetries    = 5
	DefaultURLRetryDelay = 200 * time.Millisecond
	maxURLRetryDelay     = 5 * time.Second
	maxURLRedirects      = 10
)

// Errors a URL download can end with, besides *HTTPStatusError.
var (
	ErrInvalidURL       = errors.New("invalid url")
	ErrTooManyRedirects = errors.New("too many redirects")
	ErrRangeUnsupported = errors.New("server cannot resume a download: no byte-range support")
	ErrBadContentRange  = errors.New("server resumed the download at the wrong offset")
	ErrSourceChanged    = errors.New("remote file changed during the download")
	ErrContentEncoded   = errors.New("server sent a content-encoded body")
	ErrClosed           = errors.New("download closed")
)

// HTTPStatusError is a download answered with a status other than success.
type HTTPStatusError struct {
	URL        string // redacted: no userinfo, no query string
	StatusCode int
}

func (e *HTTPStatusError) Error() string {
	return fmt.Sprintf("download %s: http status %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// Temporary reports whether the server may answer differently if asked again.
func (e *HTTPStatusError) Temporary() bool {
	return e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusTooManyRequests ||
		e.StatusCode >= 500
}

// URL is a file on an HTTP(S) server. It is streamed into the upload as it
// downloads: no temp file, memory bounded by the engine's part buffers. A
// dropped connection is resumed with a Range request, so the upload sees one
// exact byte stream.
type URL struct {
	URL string
	// Client sends the requests; nil uses a client on http.DefaultTransport.
	// Give it no overall Timeout: the body is read for as long as the upload
	// lasts. A nil CheckRedirect is replaced by one that stops after 10 hops
	// with ErrTooManyRedirects.
	Client *http.Client
	// Name overrides the file name found from Content-Disposition or the
	// URL path.
	Name string
	// MaxRetries bounds the resume attempts in a row that bring no new
	// byte; 0 means DefaultURLRetries, negative means never resume.
	MaxRetries int
	// RetryDelay is the first backoff ceiling (full jitter, doubling up to
	// 5 s); 0 means DefaultURLRetryDelay.
	RetryDelay time.Duration
}

func (u URL) String() string { return "url " + redactURL(u.URL) }

// Open starts the download, so a bad URL or a missing file fails before
// any VOD call. The returned stream reads under ctx: cancelling it stops the
// download.
func (u URL) Open(ctx context.Context) (*Opened, error) {
	target, err := url.Parse(u.URL)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		// url.Parse's error quotes the whole URL, signature included.
		return nil, fmt.Errorf("download %s: %w", redactURL(u.URL), ErrInvalidURL)
	}
	s := &urlStream{
		ctx: ctx, client: u.client(), url: u.URL, shown: redactURL(u.URL),
		maxRetries: u.maxRetries(), size: -1,
		policy: retry.Policy{BaseDelay: u.retryDelay(), MaxDelay: maxURLRetryDelay},
	}
	resp, err := s.get(0)
	if err != nil {
		return nil, err
	}
	if err := s.acceptFirst(resp); err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	s.body = resp.Body
	return &Opened{Name: u.name(target, resp), Size: s.size, Stream: s, closer: s}, nil
}

func (u URL) client() *http.Client {
	c := &http.Client{}
	if u.Client != nil {
		cp := *u.Client
		c = &cp
	}
	if c.CheckRedirect == nil {
		c.CheckRedirect = limitRedirects
	}
	return c
}

// limitRedirects replaces net/http's default, whose error can only be
// matched by its text.
func limitRedirects(_ *http.Request, via []*http.Request) error {
	if len(via) >= maxURLRedirects {
		return ErrTooManyRedirects
	}
	return nil
}

func (u URL) maxRetries() int {
	switch {
	case u.MaxRetries == 0:
		return DefaultURLRetries
	case u.MaxRetries < 0:
		return 0
	}
	return u.MaxRetries
}

func (u URL) retryDelay() time.Duration {
	if u.RetryDelay > 0 {
		return u.RetryDelay
	}
	return DefaultURLRetryDelay
}

// name prefers, in order: the caller's Name, Content-Disposition, the last
// segment of the URL path, or of the redirected-to path when the first has
// no extension (download?id=… links).
func (u URL) name(target *url.URL, resp *http.Response) string {
	if u.Name != "" {
		return u.Name
	}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		// filename* (RFC 5987) is decoded into "filename" and wins over it.
		if n := baseName(params["filename"]); n != "" {
			return n
		}
	}
	n := baseName(target.Path)
	if path.Ext(n) == "" && resp.Request != nil && resp.Request.URL != nil {
		if final := baseName(resp.Request.URL.Path); final != "" {
			return final
		}
	}
	return n
}

// baseName keeps only the last path element, whichever separator a server
// used, so a hostile name cannot smuggle directories into an object key.
func baseName(p string) string {
	n := strings.TrimSpace(p[strings.LastIndexAny(p, `/\`)+1:])
	if n == "." || n == ".." {
		return ""
	}
	return n
}

// redactURL drops userinfo, query string and fragment, which often carry
// credentials or signatures, so the result is safe in errors and logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// parseContentRange reads "bytes first-last/total"; total is -1 for "*".
func parseContentRange(v string) (first, total int64, err error) {
	var last int64
	var size string
	_, err = fmt.Sscanf(v, "bytes %d-%d/%s", &first, &last, &size)
	total = -1
	if err == nil && size != "*" {
		total, err = strconv.ParseInt(size, 10, 64)
	}
	if err != nil || first < 0 || last < first || (total >= 0 && last >= total) {
		return 0, 0, fmt.Errorf("malformed content-range %q", v)
	}
	return first, total, nil
}

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
