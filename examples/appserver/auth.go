package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// MinTokenBytes is the shortest bearer token accepted: shorter ones could
// be guessed within the rate limit's patience.
const MinTokenBytes = 16

// tokenSet holds the SHA-256 digests of the accepted bearer tokens, never
// the tokens themselves.
type tokenSet struct {
	digests [][sha256.Size]byte
}

func newTokenSet(tokens []string) (tokenSet, error) {
	if len(tokens) == 0 {
		return tokenSet{}, errors.New("new server: no bearer token configured")
	}
	ts := tokenSet{digests: make([][sha256.Size]byte, 0, len(tokens))}
	for i, t := range tokens {
		if len(t) < MinTokenBytes {
			return tokenSet{}, fmt.Errorf("new server: token %d is shorter than %d bytes", i+1, MinTokenBytes)
		}
		ts.digests = append(ts.digests, sha256.Sum256([]byte(t)))
	}
	return ts, nil
}

// valid compares digests rather than tokens so the comparison takes the
// same time whatever the presented token's length, and checks every
// configured token so timing does not tell which one came close.
func (ts tokenSet) valid(digest [sha256.Size]byte) bool {
	match := 0
	for _, d := range ts.digests {
		match |= subtle.ConstantTimeCompare(d[:], digest[:])
	}
	return match == 1
}

// authResult is what identify learned about a request.
type authResult struct {
	// key names the client for rate limiting and logs: a prefix of the
	// token's digest when authenticated, else the remote IP.
	key string
	ok  bool
	// problem is the RFC 6750 error code for a token that was presented
	// but refused; empty when no token came.
	problem string
}

// identify checks the Authorization header. Unauthenticated requests are
// keyed by IP so that guessing tokens is rate limited too.
func (ts tokenSet) identify(r *http.Request) authResult {
	ipKey := "ip:" + remoteIP(r)
	h := r.Header.Get("Authorization")
	if h == "" {
		return authResult{key: ipKey}
	}
	scheme, token, found := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return authResult{key: ipKey, problem: "invalid_request"}
	}
	digest := sha256.Sum256([]byte(token))
	if !ts.valid(digest) {
		return authResult{key: ipKey, problem: "invalid_token"}
	}
	return authResult{key: "token:" + hex.EncodeToString(digest[:6]), ok: true}
}

// remoteIP is the peer address without port. X-Forwarded-For is ignored on
// purpose: trusting it lets any client pick its own rate limit key. Behind
// a proxy, authenticated clients are still told apart by token.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// unauthorized answers 401 with the challenge RFC 6750 prescribes.
func unauthorized(w http.ResponseWriter, problem string) {
	challenge := `Bearer realm="appserver"`
	msg := "missing bearer token"
	switch problem {
	case "invalid_request":
		challenge += `, error="invalid_request"`
		msg = `authorization header must be "Bearer <token>"`
	case "invalid_token":
		challenge += `, error="invalid_token"`
		msg = "invalid bearer token"
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, &httpError{status: http.StatusUnauthorized, detail: errorDetail{Code: "Unauthorized", Message: msg}})
}
