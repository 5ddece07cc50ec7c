package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
)

// requestInfo collects what the access log reports about one request.
// Handlers fill it in through the context; only the request's own
// goroutine touches it.
type requestInfo struct {
	client    string
	owner     string // what refresh tokens bind videos to; never logged
	mediaAttr string // "video_id", "image_id" or "media_id"
	mediaID   string
	vodReqID  string
	errCode   string
	err       error // logged only for 5xx; never carries a credential
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{} // outside accessLog: write-only sink
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (sr *statusRecorder) WriteHeader(code int) {
	if sr.status == 0 {
		sr.status = code
	}
	sr.ResponseWriter.WriteHeader(code)
}

func (sr *statusRecorder) Write(b []byte) (int, error) {
	if sr.status == 0 {
		sr.status = http.StatusOK
	}
	n, err := sr.ResponseWriter.Write(b)
	sr.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (sr *statusRecorder) Unwrap() http.ResponseWriter { return sr.ResponseWriter }

// accessLog writes one line per request. It logs the route pattern rather
// than the path, and IDs rather than payloads: neither the token nor any
// part of a ticket's credential can end up in the log.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{}
		rec := &statusRecorder{ResponseWriter: w}
		// The mux records the matched pattern on this very request value.
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, ri))
		next.ServeHTTP(rec, r)
		s.logRequest(r, ri, rec, time.Since(start))
	})
}

func (s *Server) logRequest(r *http.Request, ri *requestInfo, rec *statusRecorder, took time.Duration) {
	pattern := r.Pattern
	if pattern == "" {
		pattern = "unmatched"
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("pattern", pattern),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		slog.Int64("bytes", rec.bytes),
	}
	for _, kv := range [][2]string{{"client", ri.client}, {ri.mediaAttr, ri.mediaID},
		{"vod_request_id", ri.vodReqID}, {"error_code", ri.errCode}} {
		if kv[0] != "" && kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	level := slog.LevelInfo
	if status >= http.StatusInternalServerError {
		level = slog.LevelError
		if ri.err != nil {
			attrs = append(attrs, slog.String("error", ri.err.Error()))
		}
	}
	s.opts.Logger.LogAttrs(r.Context(), level, "request", attrs...)
}

// recoverPanics turns a handler panic into a 500 instead of a dropped
// connection, and logs the stack.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(v)
			}
			ri := infoFrom(r.Context())
			ri.err = fmt.Errorf("panic: %v", v)
			s.opts.Logger.Error("handler panic", "pattern", r.Pattern, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeError(w, &httpError{status: http.StatusInternalServerError,
				detail: errorDetail{Code: "InternalError", Message: "internal error"}})
		}()
		next.ServeHTTP(w, r)
	})
}

// protect authenticates and rate limits one route. The limit comes first
// and is keyed by IP for unauthenticated requests, so guessing tokens
// costs the guesser its budget.
func (s *Server) protect(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := s.tokens.Load().identify(r)
		ri := infoFrom(r.Context())
		ri.client, ri.owner = auth.key, auth.owner
		if ok, wait := s.limiters.allow(auth.key, s.opts.Now()); !ok {
			ri.errCode = "Throttling"
			writeError(w, &httpError{status: http.StatusTooManyRequests, retryAfter: wait,
				detail: errorDetail{Code: "Throttling", Message: "too many requests; retry after " + retryAfterSeconds(wait) + "s"}})
			return
		}
		if !auth.ok {
			ri.errCode = "Unauthorized"
			unauthorized(w, auth.problem)
			return
		}
		h(w, r)
	})
}

// retryAfterSeconds rounds up: a client that waits the advertised time
// must find a token.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
