package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A refresh token binds a video to the client that created it, with no
// database: it is an HMAC-SHA256, under a server key, of the owner (the
// client's name, or its token's digest), the VideoId and an expiry. Only
// the AppServer can make one, a token made for one client or video proves
// nothing about another, and it survives a restart as long as the key does.
//
// Format: "r1.<expiry, Unix seconds>.<base64url MAC>".

// MinRefreshKeyBytes is the shortest key accepted: HMAC-SHA256 keys
// shorter than its 32-byte output weaken it.
const MinRefreshKeyBytes = 32

// DefaultRefreshTTL is how long a refresh token stays valid. Each refresh
// returns a new one, so an upload that renews its credential at least this
// often (VOD's credentials last 3000 s) never sees one lapse; the expiry
// bounds how long an abandoned ticket stays usable.
const DefaultRefreshTTL = 24 * time.Hour

const (
	refreshTokenVersion = "r1"
	refreshMACDomain    = "vodupload appserver refresh token v1"
)

// refreshKeys signs with the first key and accepts any: a new key goes
// first, the old one stays until every token signed with it has expired
// or been replaced.
type refreshKeys struct {
	keys [][]byte
	// ephemeral is set when no key was configured and a random one was
	// made for this process: its tokens die with it.
	ephemeral bool
}

func newRefreshKeys(keys [][]byte) (*refreshKeys, error) {
	if len(keys) == 0 {
		k := make([]byte, MinRefreshKeyBytes)
		_, _ = rand.Read(k) // never fails (crypto/rand documents it)
		return &refreshKeys{keys: [][]byte{k}, ephemeral: true}, nil
	}
	out := &refreshKeys{keys: make([][]byte, len(keys))}
	for i, k := range keys {
		if len(k) < MinRefreshKeyBytes {
			return nil, fmt.Errorf("refresh key %d is shorter than %d bytes", i+1, MinRefreshKeyBytes)
		}
		out.keys[i] = append([]byte(nil), k...)
	}
	return out, nil
}

// issue returns a refresh token for owner's video, valid until expires.
func (k *refreshKeys) issue(owner, videoID string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return refreshTokenVersion + "." + exp + "." + base64.RawURLEncoding.EncodeToString(refreshMAC(k.keys[0], owner, videoID, exp))
}

// valid reports whether token was issued by this server, with any of its
// keys, for owner's video videoID and has not expired at now. Every way
// of failing returns the same false, and every key is tried, so neither
// the answer nor its timing tells which check failed.
func (k *refreshKeys) valid(token, owner, videoID string, now time.Time) bool {
	version, rest, _ := strings.Cut(token, ".")
	exp, mac64, _ := strings.Cut(rest, ".")
	expires, err := strconv.ParseInt(exp, 10, 64)
	if version != refreshTokenVersion || err != nil || strconv.FormatInt(expires, 10) != exp {
		return false
	}
	mac, err := base64.RawURLEncoding.DecodeString(mac64)
	if err != nil || len(mac) != sha256.Size {
		return false
	}
	match := 0
	for _, key := range k.keys {
		match |= subtle.ConstantTimeCompare(refreshMAC(key, owner, videoID, exp), mac)
	}
	return match == 1 && now.Unix() < expires
}

// refreshMAC signs the three fields, separated by NUL, which none of them
// can contain (names and VideoIds are checked, the expiry is digits).
func refreshMAC(key []byte, owner, videoID, exp string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(refreshMACDomain + "\x00" + owner + "\x00" + videoID + "\x00" + exp))
	return h.Sum(nil)
}

// errRefreshRefused is what every refused refresh answers — not this
// client's video, a forged, expired or stale token, or no such video — so
// that a refusal says nothing about whether the video exists. It is VOD's
// own code for an unknown video.
var errRefreshRefused = &httpError{status: 404,
	detail: errorDetail{Code: "InvalidVideo.NotFound", Message: "The video does not exist."}}

// errUploadComplete answers the creator's refresh of a finished upload.
// Only a valid refresh token reaches this answer, so it tells nothing to
// anyone but the video's owner.
var errUploadComplete = &httpError{status: 409,
	detail: errorDetail{Code: "UploadComplete", Message: "the video's upload is complete; its credential is not renewed"}}
