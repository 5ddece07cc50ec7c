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

// MaxClientNameBytes bounds a client name; names appear in logs.
const MaxClientNameBytes = 64

// Client is one bearer token the AppServer accepts, and optionally the
// name of the client holding it.
type Client struct {
	// Name identifies the client in logs, for rate limiting and as the
	// owner of the videos it creates. Several tokens may share a name (a
	// client's old and new token during rotation); its uploads stay its
	// own across the change. Empty: the client is known by its token
	// alone, so replacing the token orphans its in-flight uploads.
	Name  string
	Token string
}

// tokenSet holds the SHA-256 digests of the accepted bearer tokens, never
// the tokens themselves.
type tokenSet struct {
	entries []tokenEntry
}

type tokenEntry struct {
	digest [sha256.Size]byte
	name   string
}

func newTokenSet(clients []Client) (*tokenSet, error) {
	if len(clients) == 0 {
		return nil, errors.New("no bearer token configured")
	}
	ts := &tokenSet{entries: make([]tokenEntry, 0, len(clients))}
	seen := make(map[[sha256.Size]byte]int, len(clients))
	for i, c := range clients {
		if len(c.Token) < MinTokenBytes {
			return nil, fmt.Errorf("token %d is shorter than %d bytes", i+1, MinTokenBytes)
		}
		if !validClientName(c.Name) {
			return nil, fmt.Errorf("client name of token %d must be 1 to %d letters, digits, '.', '-' or '_'", i+1, MaxClientNameBytes)
		}
		d := sha256.Sum256([]byte(c.Token))
		if j, dup := seen[d]; dup {
			return nil, fmt.Errorf("token %d repeats token %d", i+1, j+1)
		}
		seen[d] = i
		ts.entries = append(ts.entries, tokenEntry{digest: d, name: c.Name})
	}
	return ts, nil
}

func validClientName(n string) bool {
	if n == "" {
		return true // unnamed
	}
	if len(n) > MaxClientNameBytes {
		return false
	}
	for _, c := range n {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// match compares digests rather than tokens so the comparison takes the
// same time whatever the presented token's length, and checks every
// configured token so timing does not tell which one came close.
func (ts *tokenSet) match(digest [sha256.Size]byte) (tokenEntry, bool) {
	var found tokenEntry
	ok := 0
	for _, e := range ts.entries {
		if subtle.ConstantTimeCompare(e.digest[:], digest[:]) == 1 {
			found, ok = e, 1
		}
	}
	return found, ok == 1
}

// authResult is what identify learned about a request.
type authResult struct {
	// key names the client for rate limiting and logs: "client:" and its
	// name, or "token:" and a prefix of the token's digest, when
	// authenticated; else "ip:" and the remote IP.
	key string
	// owner is what a refresh token binds a video to: the client's name,
	// or else the whole digest of its token. Empty when not authenticated.
	owner string
	ok    bool
	// problem is the RFC 6750 error code for a token that was presented
	// but refused; empty when no token came.
	problem string
}

// identify checks the Authorization header. Unauthenticated requests are
// keyed by IP so that guessing tokens is rate limited too.
func (ts *tokenSet) identify(r *http.Request) authResult {
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
	e, ok := ts.match(digest)
	if !ok {
		return authResult{key: ipKey, problem: "invalid_token"}
	}
	if e.name != "" {
		return authResult{key: "client:" + e.name, owner: "name:" + e.name, ok: true}
	}
	return authResult{key: "token:" + hex.EncodeToString(digest[:6]), owner: "token:" + hex.EncodeToString(digest[:]), ok: true}
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
