package emulator

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ossRequest is one OSS request as the handlers see it.
type ossRequest struct {
	r         *http.Request
	requestID string
	op        string // operation name, as counted in Counters.Requests
	bucket    string
	key       string // "" for bucket operations
	addr      ossAddress
	query     url.Values
	cred      stsCredential // the credential that signed the request
	faults    requestFaults
}

// ossOp is an OSS operation the emulator implements.
type ossOp struct {
	name   string
	handle func(s *Server, w http.ResponseWriter, q *ossRequest) error
	object bool // addresses an object: the key is validated and must be in the credential's scope
	upload bool // carries an object body, which an injected reset can cut
}

// serveOSS answers an OSS request, virtual-hosted or path style.
func (s *Server) serveOSS(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	q := &ossRequest{r: r, requestID: newOSSRequestID(), query: r.URL.Query()}
	h := w.Header()
	h.Set("x-oss-request-id", q.requestID)
	h.Set("Server", "AliyunOSS")
	sw := &ossStatusWriter{ResponseWriter: w, status: http.StatusOK, start: start}

	err := s.dispatchOSS(sw, q)
	switch {
	case errors.Is(err, errInjectedReset):
		s.countFault(faultReset)
		resetConnection(w, r)
		sw.status = 0
	case err != nil:
		s.writeOSSError(sw, r, q.requestID, asOSSError(err))
	}
	s.logOSS(q, sw.status, err, time.Since(start))
}

// dispatchOSS routes q, injects faults, authorizes and runs the operation.
// The order follows OSS: a missing bucket is reported before credentials
// are looked at, and injected faults hit before anything else.
func (s *Server) dispatchOSS(w http.ResponseWriter, q *ossRequest) error {
	addr, err := s.resolveOSS(q.r)
	if err != nil {
		return err
	}
	q.addr, q.bucket, q.key = addr, addr.bucket, addr.key
	if q.r.Method == http.MethodOptions {
		q.op = "Options"
		s.count(q.op)
		return s.preflight(w, q)
	}
	s.corsActual(w, q.r)
	op, err := routeOSS(q.r.Method, q.bucket, q.key, q.query)
	if err != nil {
		return err
	}
	q.op = op.name
	s.count(op.name)

	q.faults = s.faults.decide(op.upload)
	if err := ossDelay(q.r.Context(), q.faults.delay); err != nil {
		return err
	}
	if q.faults.err != nil {
		s.countFault(q.faults.kind)
		return q.faults.err
	}
	if err := s.authorizeOSS(q, op.object); err != nil {
		return err
	}
	if m := s.faults.malformation(op.name); m != 0 {
		return s.serveMalformed(w, q, op, m)
	}
	return op.handle(s, w, q)
}

// routeOSS picks the operation from method, key and sub-resources.
func routeOSS(method, bucket, key string, query url.Values) (ossOp, error) {
	has := func(k string) bool { _, ok := query[k]; return ok }
	if bucket == "" {
		return ossOp{}, errNotImplemented("service operations such as ListBuckets")
	}
	if key == "" {
		if method == http.MethodGet && has("uploads") {
			return ossOp{name: "ListMultipartUploads", handle: (*Server).listMultipartUploads}, nil
		}
		return ossOp{}, errNotImplemented("bucket operations other than ListMultipartUploads")
	}
	var op ossOp
	switch {
	case method == http.MethodPut && (has("partNumber") || has("uploadId")):
		op = ossOp{name: "UploadPart", handle: (*Server).uploadPart, upload: true}
	case method == http.MethodPut:
		op = ossOp{name: "PutObject", handle: (*Server).putObject, upload: true}
	case method == http.MethodPost && has("uploads"):
		op = ossOp{name: "InitiateMultipartUpload", handle: (*Server).initiateMultipartUpload}
	case method == http.MethodPost && has("uploadId"):
		op = ossOp{name: "CompleteMultipartUpload", handle: (*Server).completeMultipartUpload}
	case method == http.MethodGet && has("uploadId"):
		op = ossOp{name: "ListParts", handle: (*Server).listParts}
	case method == http.MethodGet:
		op = ossOp{name: "GetObject", handle: (*Server).getObject}
	case method == http.MethodHead:
		op = ossOp{name: "HeadObject", handle: (*Server).headObject}
	case method == http.MethodDelete && has("uploadId"):
		op = ossOp{name: "AbortMultipartUpload", handle: (*Server).abortMultipartUpload}
	case method == http.MethodDelete:
		op = ossOp{name: "DeleteObject", handle: (*Server).deleteObject}
	default:
		return ossOp{}, newOSSError(http.StatusMethodNotAllowed, "MethodNotAllowed",
			"The specified method is not allowed against this resource.")
	}
	if sub := unsupportedSubresource(query); sub != "" {
		return ossOp{}, errNotImplemented("the ?" + sub + " sub-resource")
	}
	op.object = true
	return op, nil
}

// unsupportedSubresource returns the first signed sub-resource in query
// that none of the implemented object operations use (?acl, ?tagging,
// ?append, ...), so such requests fail loudly instead of being taken for a
// plain GetObject or PutObject.
func unsupportedSubresource(query url.Values) string {
	for k := range query {
		switch {
		case k == "uploads", k == "uploadId", k == "partNumber", k == "security-token",
			k == "objectMeta", strings.HasPrefix(k, "response-"):
		case isOSSSubresource(k):
			return k
		}
	}
	return ""
}

// validateObjectKey applies OSS's object naming rules.
func validateObjectKey(key string) error {
	switch {
	case key == "":
		return newOSSError(http.StatusBadRequest, "InvalidObjectName", "The Object name can not be empty")
	case len(key) > 1023:
		return newOSSError(http.StatusBadRequest, "InvalidObjectName", "The Length of Object name must be less than 1024")
	case strings.HasPrefix(key, "/"), strings.HasPrefix(key, `\`), !utf8.ValidString(key):
		return newOSSError(http.StatusBadRequest, "InvalidObjectName", "The specified object is not valid.")
	}
	return nil
}

// newOSSRequestID returns an x-oss-request-id in OSS's form: 24
// upper-case hex digits (e.g. 534B371674E88A4D8906****).
func newOSSRequestID() string { return strings.ToUpper(randomHex(12)) }

// ossDelay waits d unless the client goes away first.
func ossDelay(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ossStatusWriter remembers the status for the request log and stamps
// x-oss-server-time, the milliseconds OSS spent on the request, which OSS
// sends with every answer ("Common response headers"; the reference's
// examples show it on successes and errors).
type ossStatusWriter struct {
	http.ResponseWriter
	status int
	start  time.Time
}

func (w *ossStatusWriter) WriteHeader(status int) {
	w.status = status
	w.Header().Set("x-oss-server-time", strconv.FormatInt(time.Since(w.start).Milliseconds(), 10))
	w.ResponseWriter.WriteHeader(status)
}

// logOSS writes one debug line per request; keys are logged, credentials
// never are.
func (s *Server) logOSS(q *ossRequest, status int, err error, took time.Duration) {
	ctx := q.r.Context()
	if !s.opts.Logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", q.op), slog.String("method", q.r.Method),
		slog.String("bucket", q.bucket), slog.String("key", q.key),
		slog.Int("status", status), slog.String("request_id", q.requestID),
		slog.Duration("took", took),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	s.opts.Logger.LogAttrs(ctx, slog.LevelDebug, "oss request", attrs...)
}
