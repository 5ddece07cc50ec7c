package emulator

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// stsCredential is one temporary credential issued with an upload address.
// It may write exactly one object key, or, for an M3U8 index, any key under
// Prefix as well.
type stsCredential struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	Expires         time.Time
	Issued          time.Time
	Bucket          string
	Key             string
	Prefix          string // "" unless the credential also covers a directory
	MediaID         string
	authStrings     []string // UploadAuth values that carried it, for Secrets
}

// allows reports whether the credential may touch bucket/key.
func (c *stsCredential) allows(bucket, key string) bool {
	if bucket != c.Bucket {
		return false
	}
	if key == c.Key {
		return true
	}
	return c.Prefix != "" && strings.HasPrefix(key, c.Prefix) && key != c.Prefix
}

// issueSTS creates and records a fresh credential for mediaID's object.
// prefix is non-empty for M3U8 uploads.
func (s *Server) issueSTS(mediaID, bucket, key, prefix string) *stsCredential {
	now := s.now()
	c := &stsCredential{
		AccessKeyID:     "STS." + randomHex(12),
		AccessKeySecret: randomHex(16),
		SecurityToken:   "CAIS" + randomHex(48),
		Expires:         now.Add(s.opts.STSTTL),
		Issued:          now,
		Bucket:          bucket,
		Key:             key,
		Prefix:          prefix,
		MediaID:         mediaID,
	}
	s.mu.Lock()
	s.sts[c.AccessKeyID] = c
	s.mu.Unlock()
	return c
}

// lookupSTS returns the credential for an AccessKeyId, or nil.
func (s *Server) lookupSTS(id string) *stsCredential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sts[id]
}

// ExpireCredentials makes every credential issued so far expired, as if its
// lifetime had passed. Credentials issued afterwards are unaffected.
func (s *Server) ExpireCredentials() { s.expireCredentials(0, func(*mediaRecord) bool { return true }) }

// ExpireVideoCredentials expires only what RefreshUploadVideo can renew:
// the credentials of videos, M3U8 included. Image and attached-media
// credentials keep their lifetime. VOD cannot renew those, and a real one
// never dies moments after it was issued, which is what expiring them at
// arbitrary instants would model.
func (s *Server) ExpireVideoCredentials() { s.ExpireVideoCredentialsOlderThan(0) }

// ExpireVideoCredentialsOlderThan is ExpireVideoCredentials for the video
// credentials issued at least age ago. A test that revokes credentials on a
// timer uses it so a credential always lives long enough to be used, even
// on a machine slow enough that issuing and using one spans a tick: a real
// credential is never revoked the moment it is issued, every time.
func (s *Server) ExpireVideoCredentialsOlderThan(age time.Duration) {
	s.expireCredentials(age, func(m *mediaRecord) bool { return m != nil && m.Kind == kindVideo })
}

// expireCredentials expires the credentials at least minAge old whose
// media (nil when it was deleted) matches.
func (s *Server) expireCredentials(minAge time.Duration, match func(*mediaRecord) bool) {
	now := s.now()
	past := now.Add(-time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sts {
		if now.Sub(c.Issued) >= minAge && match(s.media[c.MediaID]) {
			c.Expires = past
		}
	}
}

// uploadAuth encodes c the way VOD's UploadAuth field does.
func (s *Server) uploadAuth(c *stsCredential) string {
	// Expires is read under s.mu: ExpireCredentials rewrites it while a
	// refresh may be encoding the same credential.
	s.mu.Lock()
	expires := c.Expires
	s.mu.Unlock()
	v := struct {
		AccessKeyID     string `json:"AccessKeyId"`
		AccessKeySecret string `json:"AccessKeySecret"`
		SecurityToken   string `json:"SecurityToken"`
		Expiration      string `json:"Expiration"`
		ExpireUTCTime   string `json:"ExpireUTCTime"`
		Region          string `json:"Region"`
	}{
		AccessKeyID:     c.AccessKeyID,
		AccessKeySecret: c.AccessKeySecret,
		SecurityToken:   c.SecurityToken,
		Expiration:      formatSeconds(s.opts.STSTTL),
		ExpireUTCTime:   expires.UTC().Format(time.RFC3339),
		Region:          s.opts.Region,
	}
	auth := encodeJSONBase64(v)
	s.mu.Lock()
	c.authStrings = append(c.authStrings, auth)
	s.mu.Unlock()
	return auth
}

// uploadAddress encodes an object location the way VOD's UploadAddress does.
func (s *Server) uploadAddress(bucket, key, prefix string) string {
	v := struct {
		Endpoint     string `json:"Endpoint"`
		Bucket       string `json:"Bucket"`
		FileName     string `json:"FileName"`
		ObjectPrefix string `json:"ObjectPrefix,omitempty"`
	}{Endpoint: s.URL, Bucket: bucket, FileName: key, ObjectPrefix: prefix}
	return encodeJSONBase64(v)
}

func encodeJSONBase64(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs of strings are encoded
	}
	return base64.StdEncoding.EncodeToString(b)
}

func formatSeconds(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Second), 10)
}
