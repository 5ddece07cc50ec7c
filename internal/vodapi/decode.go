package vodapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// ErrMalformed is wrapped by every DecodeAddress and DecodeAuth error.
// Those errors never quote the input: an UploadAuth is a credential.
var ErrMalformed = errors.New("malformed upload address or auth")

// UploadAddress is the decoded UploadAddress of a Create*/Refresh call:
// where the media object goes.
type UploadAddress struct {
	Endpoint     string // OSS endpoint, e.g. https://oss-cn-shanghai.aliyuncs.com
	Bucket       string
	FileName     string // the object key
	ObjectPrefix string // set by VOD for some uploads (M3U8); may be ""
}

// Dir is where objects next to FileName go, such as the segments of an
// M3U8 index: ObjectPrefix when VOD gave one, else FileName's directory
// with a trailing slash ("" for a key without a directory).
func (a UploadAddress) Dir() string {
	if a.ObjectPrefix != "" {
		return a.ObjectPrefix
	}
	if d := path.Dir(a.FileName); d != "." && d != "/" {
		return d + "/"
	}
	return ""
}

// UploadAuth is the decoded UploadAuth: an STS credential scoped to one
// media object.
type UploadAuth struct {
	AccessKeyID     string
	AccessKeySecret Secret
	SecurityToken   Secret
	// Lifetime is the validity VOD announced (Expiration, in seconds).
	Lifetime time.Duration
	// Expires is ExpireUTCTime when VOD sent it, else the time the
	// response was received plus Lifetime.
	Expires time.Time
	Region  string // "" when VOD did not say
}

// DecodeAddress decodes a base64 JSON UploadAddress. Endpoint, Bucket and
// FileName are required; ObjectPrefix is optional.
func DecodeAddress(b64 string) (UploadAddress, error) {
	const op = "decode upload address"
	var raw struct {
		Endpoint     string `json:"Endpoint"`
		Bucket       string `json:"Bucket"`
		FileName     string `json:"FileName"`
		ObjectPrefix string `json:"ObjectPrefix"`
	}
	if err := decodeB64JSON(op, b64, &raw); err != nil {
		return UploadAddress{}, err
	}
	if err := requireFields(op, "Endpoint", raw.Endpoint, "Bucket", raw.Bucket, "FileName", raw.FileName); err != nil {
		return UploadAddress{}, err
	}
	return UploadAddress(raw), nil
}

// DecodeAuth decodes a base64 JSON UploadAuth received at the given time.
// AccessKeyId, AccessKeySecret, SecurityToken and a validity (Expiration or
// ExpireUTCTime) are required; Region is optional.
func DecodeAuth(b64 string, received time.Time) (UploadAuth, error) {
	const op = "decode upload auth"
	var raw struct {
		AccessKeyID     string  `json:"AccessKeyId"`
		AccessKeySecret string  `json:"AccessKeySecret"`
		SecurityToken   string  `json:"SecurityToken"`
		Expiration      seconds `json:"Expiration"`
		ExpireUTCTime   string  `json:"ExpireUTCTime"`
		Region          string  `json:"Region"`
	}
	if err := decodeB64JSON(op, b64, &raw); err != nil {
		return UploadAuth{}, err
	}
	if err := requireFields(op, "AccessKeyId", raw.AccessKeyID,
		"AccessKeySecret", raw.AccessKeySecret, "SecurityToken", raw.SecurityToken); err != nil {
		return UploadAuth{}, err
	}
	auth := UploadAuth{
		AccessKeyID:     raw.AccessKeyID,
		AccessKeySecret: Secret(raw.AccessKeySecret),
		SecurityToken:   Secret(raw.SecurityToken),
		Lifetime:        time.Duration(raw.Expiration) * time.Second,
		Region:          raw.Region,
	}
	if raw.ExpireUTCTime != "" {
		t, err := time.Parse(time.RFC3339, raw.ExpireUTCTime)
		if err != nil {
			return UploadAuth{}, fmt.Errorf("%s: ExpireUTCTime is not an RFC 3339 time: %w", op, ErrMalformed)
		}
		auth.Expires = t
	}
	switch {
	case auth.Lifetime > 0 && auth.Expires.IsZero():
		auth.Expires = received.Add(auth.Lifetime)
	case auth.Lifetime <= 0 && !auth.Expires.IsZero():
		auth.Lifetime = auth.Expires.Sub(received)
	case auth.Lifetime <= 0:
		return UploadAuth{}, fmt.Errorf("%s: missing Expiration: %w", op, ErrMalformed)
	}
	return auth, nil
}

// decodeB64JSON decodes base64 (standard or URL alphabet, padded or not)
// then JSON into v. Its errors describe where the input broke, never what
// it contained: the standard library's JSON syntax errors quote a
// character, so they are not wrapped.
func decodeB64JSON(op, b64 string, v any) error {
	b64 = strings.TrimSpace(b64)
	if b64 == "" {
		return fmt.Errorf("%s: empty: %w", op, ErrMalformed)
	}
	raw, err := decodeBase64(b64)
	if err != nil {
		return fmt.Errorf("%s: not base64: %w", op, ErrMalformed)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("%s: not valid JSON at offset %d: %w", op, se.Offset, ErrMalformed)
		case errors.As(err, &te) && te.Field != "":
			return fmt.Errorf("%s: field %s is not a %s: %w", op, te.Field, te.Type, ErrMalformed)
		case errors.Is(err, errBadSeconds):
			return fmt.Errorf("%s: %w: %w", op, errBadSeconds, ErrMalformed)
		}
		return fmt.Errorf("%s: not a JSON object: %w", op, ErrMalformed)
	}
	return nil
}

func decodeBase64(s string) ([]byte, error) {
	var firstErr error
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		b, err := enc.DecodeString(s)
		if err == nil {
			return b, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// requireFields takes name, value pairs and reports the first empty one
// by name.
func requireFields(op string, nameValues ...string) error {
	for i := 0; i+1 < len(nameValues); i += 2 {
		if nameValues[i+1] == "" {
			return fmt.Errorf("%s: missing %s: %w", op, nameValues[i], ErrMalformed)
		}
	}
	return nil
}

var errBadSeconds = errors.New("expiration is not a number of seconds")

// seconds decodes VOD's Expiration, which arrives as "3000" or 3000.
type seconds int64

func (s *seconds) UnmarshalJSON(b []byte) error {
	v := strings.Trim(string(b), `"`)
	if v == "" || v == "null" {
		*s = 0
		return nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || !(n >= 0 && n <= 1e9) { // also rejects NaN
		return errBadSeconds
	}
	*s = seconds(n)
	return nil
}
