package emulator

import (
	"net/http"
	"strconv"
	"strings"
)

// The CORS rule of the buckets VOD allocates, as the emulator applies it
// to every bucket. VOD documents no rule of its own; this is what OSS tells
// browser clients to configure ("Install OSS SDK for Browser.js"; ali-oss
// README "Setup"): the origins (Options.CORSOrigins, "*" by default), the
// methods GET, PUT, POST, DELETE and HEAD, every request header ("*"), and
// ETag, x-oss-request-id and x-oss-version-id exposed — ali-oss needs ETag
// to complete a multipart upload. OSS evaluates a rule per request (OSS
// "Options" reference; PutBucketCors): a preflight that matches gets 200
// with the Access-Control-* headers, one that does not gets 403
// AccessForbidden, and a real request from an allowed origin gets the
// Allow-Origin and Expose-Headers headers, error answers included.
const (
	corsAllowedMethods = "GET, PUT, POST, DELETE, HEAD"
	corsExposeHeaders  = "ETag, x-oss-request-id, x-oss-version-id"
)

// errCORSForbidden is OSS's answer to a preflight no rule allows (its 403
// troubleshooting page; the full text as OSS-compatible services echo it).
func errCORSForbidden() *ossError {
	return newOSSError(http.StatusForbidden, "AccessForbidden",
		"CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "+
			"request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted "+
			"by the resource's CORS spec.")
}

// corsOriginAllowed matches origin against the configured origins, OSS's
// AllowedOrigin syntax: "*", or an origin with at most one "*" wildcard.
func (s *Server) corsOriginAllowed(origin string) bool {
	if origin == "" {
		return false
	}
	for _, pattern := range s.opts.CORSOrigins {
		before, after, wild := strings.Cut(pattern, "*")
		switch {
		case !wild && pattern == origin:
			return true
		case wild && len(origin) >= len(before)+len(after) &&
			strings.HasPrefix(origin, before) && strings.HasSuffix(origin, after):
			return true
		}
	}
	return false
}

func corsMethodAllowed(method string) bool {
	switch method {
	case http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodHead:
		return true
	}
	return false
}

// setCORSHeaders adds what OSS adds to a request from an allowed origin.
func (s *Server) setCORSHeaders(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", corsAllowedMethods)
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	if s.opts.CORSMaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(s.opts.CORSMaxAge))
	}
}

// corsActual adds the CORS headers to a real (non-preflight) request's
// answer when its origin and method are allowed.
func (s *Server) corsActual(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); s.corsOriginAllowed(origin) && corsMethodAllowed(r.Method) {
		s.setCORSHeaders(w.Header(), origin)
	}
}

// preflight answers an OPTIONS request on a bucket or any object in it.
// The bucket must exist; no signature is checked, as a browser sends
// none.
func (s *Server) preflight(w http.ResponseWriter, q *ossRequest) error {
	if q.bucket == "" {
		return errCORSForbidden()
	}
	if !s.ossBucketExists(q.bucket) {
		return errNoSuchBucket(q.bucket)
	}
	if q.addr.wrongEndpoint {
		return s.errWrongEndpoint(q.bucket)
	}
	origin := q.r.Header.Get("Origin")
	if !s.corsOriginAllowed(origin) || !corsMethodAllowed(q.r.Header.Get("Access-Control-Request-Method")) {
		return errCORSForbidden()
	}
	h := w.Header()
	s.setCORSHeaders(h, origin)
	// AllowedHeader "*" allows whatever the browser asks for; OSS answers
	// with the list it was asked about.
	if asked := q.r.Header.Get("Access-Control-Request-Headers"); asked != "" {
		h.Set("Access-Control-Allow-Headers", asked)
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}
