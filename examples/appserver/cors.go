package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CORS lets pages of the listed origins call the API from a browser. The
// bearer token travels in the Authorization header, never in a cookie, so
// no request carries ambient credentials and Access-Control-Allow-
// Credentials is never sent. Preflights carry no token and are answered
// without one; the requests they clear are authenticated as always.

// corsMaxAge is how long (seconds) a browser may cache a preflight.
const corsMaxAge = "600"

// corsAllowHeaders are the request headers the API reads.
const corsAllowHeaders = "Authorization, Content-Type"

// corsExposeHeaders are the response headers a page may read: when to
// retry after 429/503 and why a token was refused.
const corsExposeHeaders = "Retry-After, WWW-Authenticate"

type corsPolicy struct {
	origins map[string]bool // serialized origins, e.g. "https://app.example.com"
}

// newCORSPolicy checks each origin is scheme://host[:port], as browsers
// send it in the Origin header (RFC 6454 serialization).
func newCORSPolicy(origins []string) (corsPolicy, error) {
	p := corsPolicy{origins: make(map[string]bool, len(origins))}
	for _, o := range origins {
		norm, err := normalizeOrigin(o)
		if err != nil {
			return corsPolicy{}, err
		}
		p.origins[norm] = true
	}
	return p, nil
}

func normalizeOrigin(o string) (string, error) {
	if o == "*" {
		return "", fmt.Errorf("CORS origin %q: list the origins explicitly", o)
	}
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("CORS origin %q must be scheme://host[:port], e.g. https://app.example.com", o)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

func (p corsPolicy) enabled() bool { return len(p.origins) > 0 }

func (p corsPolicy) allows(origin string) bool {
	return origin != "" && p.origins[strings.ToLower(origin)]
}

// withCORS marks answers to listed origins as readable by their pages.
func (s *Server) withCORS(next http.Handler) http.Handler {
	if !s.cors.enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin") // the answer differs by Origin: caches must not mix them
		if origin := r.Header.Get("Origin"); s.cors.allows(origin) {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// preflight answers OPTIONS on an endpoint: which methods and headers a
// page of an allowed origin may use. A plain OPTIONS (no preflight) gets
// the Allow header.
func (s *Server) preflight(methods []string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Allow", allow)
		origin := r.Header.Get("Origin")
		if origin == "" || r.Header.Get("Access-Control-Request-Method") == "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !s.cors.allows(origin) {
			infoFrom(r.Context()).errCode = "CORSOriginNotAllowed"
			writeError(w, &httpError{status: http.StatusForbidden, detail: errorDetail{Code: "CORSOriginNotAllowed",
				Message: "origin " + origin + " may not call this API from a browser; add it with -cors-origin"}})
			return
		}
		h.Set("Access-Control-Allow-Methods", allow)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
	})
}
