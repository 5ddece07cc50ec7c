package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Magic opens every checkpoint file; Version is the layout this package
// writes and the only one it reads.
const (
	Magic   = "vodupload/checkpoint"
	Version = 1
)

// MaxEncodedSize bounds what Decode will hash and parse. The largest valid
// record (10,000 parts with maximal ETags) stays well below it, so anything
// bigger is damage or a foreign file, not progress worth reading.
const MaxEncodedSize = 16 << 20

// Errors returned by Decode and Encode; match them with errors.Is.
var (
	// ErrMagic means the bytes are not a checkpoint at all.
	ErrMagic = errors.New("not a checkpoint")
	// ErrVersion means a checkpoint written in a layout this build cannot read.
	ErrVersion = errors.New("unsupported checkpoint version")
	// ErrCorrupt means a checkpoint that is truncated, fails its checksum or
	// holds values no real upload could have.
	ErrCorrupt = errors.New("corrupt checkpoint")
	// ErrInvalid means Encode was handed a record that could not be resumed.
	ErrInvalid = errors.New("invalid checkpoint record")
)

var versionField = strconv.Itoa(Version)

// Encode serialises r with magic, version and a SHA-256 of the payload. The
// output is deterministic for equal records; parts may be in any order but
// their numbers must be unique.
func Encode(r *Record) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil record", ErrInvalid)
	}
	c := r.clone()
	c.normalize()
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	payload, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	out := seal(versionField, payload)
	if len(out) > MaxEncodedSize {
		return nil, fmt.Errorf("%w: encoded size %d exceeds %d", ErrInvalid, len(out), MaxEncodedSize)
	}
	return out, nil
}

// seal frames payload; split out so tests can build well-checksummed
// envelopes around arbitrary payloads and versions.
func seal(version string, payload []byte) []byte {
	sum := sha256.Sum256(payload)
	var b bytes.Buffer
	b.Grow(len(Magic) + len(version) + 2*sha256.Size + 3 + len(payload))
	b.WriteString(Magic)
	b.WriteByte(' ')
	b.WriteString(version)
	b.WriteByte(' ')
	b.WriteString(hex.EncodeToString(sum[:]))
	b.WriteByte('\n')
	b.Write(payload)
	return b.Bytes()
}

// Decode parses and verifies a checkpoint. It never panics; every failure
// matches ErrMagic, ErrVersion or ErrCorrupt.
func Decode(b []byte) (*Record, error) {
	payload, err := open(b)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	// Unknown fields are refused so a hand-edited file cannot smuggle a
	// credential in, and so the checksum-valid payload means exactly what
	// this version wrote.
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrCorrupt, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after payload", ErrCorrupt)
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	// Validation has proved the parts sorted, so this only moves times to
	// UTC: a decoded record then equals the one that was encoded.
	r.normalize()
	return &r, nil
}

// open checks the frame and returns the payload. Magic is checked before the
// version, and the version before the checksum, so each failure gets the
// error that tells the caller what to do.
func open(b []byte) ([]byte, error) {
	if len(b) > MaxEncodedSize {
		return nil, fmt.Errorf("%w: size %d exceeds %d", ErrCorrupt, len(b), MaxEncodedSize)
	}
	prefix := Magic + " "
	if len(b) < len(prefix) {
		if bytes.HasPrefix([]byte(prefix), b) {
			return nil, fmt.Errorf("%w: truncated in magic", ErrCorrupt)
		}
		return nil, ErrMagic
	}
	if string(b[:len(prefix)]) != prefix {
		return nil, ErrMagic
	}
	rest := b[len(prefix):]
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return nil, fmt.Errorf("%w: truncated in header", ErrCorrupt)
	}
	if err := checkVersion(rest[:sp]); err != nil {
		return nil, err
	}
	rest = rest[sp+1:]
	const sumLen = 2 * sha256.Size
	if len(rest) < sumLen+1 {
		return nil, fmt.Errorf("%w: truncated in checksum", ErrCorrupt)
	}
	want := make([]byte, sha256.Size)
	if _, err := hex.Decode(want, rest[:sumLen]); err != nil || rest[sumLen] != '\n' {
		return nil, fmt.Errorf("%w: malformed checksum", ErrCorrupt)
	}
	payload := rest[sumLen+1:]
	got := sha256.Sum256(payload)
	if subtle.ConstantTimeCompare(got[:], want) != 1 {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return payload, nil
}

func checkVersion(v []byte) error {
	if string(v) == versionField {
		return nil
	}
	if len(v) == 0 || len(v) > 9 {
		return fmt.Errorf("%w: malformed version", ErrCorrupt)
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: malformed version", ErrCorrupt)
		}
	}
	return fmt.Errorf("%w: version %s, want %d", ErrVersion, v, Version)
}
