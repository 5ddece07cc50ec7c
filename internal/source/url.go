package source

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
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
// RedactURL drops userinfo, query and fragment, which carry credentials and
// signatures, so a URL can go into an error or a log.
func RedactURL(raw string) string { return redactURL(raw) }

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
