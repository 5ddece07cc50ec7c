package checkpoint

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vodupload/vodupload/internal/osslimit"
)

// Kinds of media a Record can describe; the kind decides which VOD API a
// resume uses to obtain fresh credentials.
const (
	KindVideo    = "video"
	KindImage    = "image"
	KindAttached = "attached"
	KindM3U8     = "m3u8"
)

// maxStringLen bounds free-text fields (PATH_MAX on Linux); maxETagLen keeps
// a 10,000-part record small even when fed hostile input.
const (
	maxStringLen = 4096
	maxETagLen   = 128
)

// SourceIdentity says which bytes a checkpoint was taken from, so a resume
// notices a replaced or edited file instead of stitching old parts to new
// data.
type SourceIdentity struct {
	// Path is the absolute path of a file source; empty for streams.
	Path string `json:"path,omitempty"`
	// Name identifies a non-file source (for example a URL) to the caller.
	Name string `json:"name,omitempty"`
	// Size is the source length in bytes; sources of unknown size cannot be
	// resumed and so are never recorded.
	Size int64 `json:"size"`
	// ModTime is the file's modification time; zero for non-file sources.
	ModTime time.Time `json:"modTime,omitzero"`
	// SampleCRC is SampleCRC of the source at the time of the checkpoint.
	SampleCRC uint64 `json:"sampleCrc,omitempty"`
}

// Matches reports whether s and o describe the same bytes. It compares
// ModTime with Equal because a decoded time carries no monotonic reading
// and may differ in location from a fresh os.Stat.
func (s SourceIdentity) Matches(o SourceIdentity) bool {
	return s.Path == o.Path && s.Name == o.Name && s.Size == o.Size &&
		s.ModTime.Equal(o.ModTime) && s.SampleCRC == o.SampleCRC
}

// Part is one part OSS acknowledged.
type Part struct {
	Number int    `json:"n"`
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
	CRC64  uint64 `json:"crc,omitempty"`
}

// Record is the resumable state of one upload. It deliberately has no field
// for UploadAuth, AccessKeySecret or SecurityToken: a resume asks VOD for a
// fresh credential instead of trusting one from disk.
type Record struct {
	Kind   string         `json:"kind"`
	Source SourceIdentity `json:"source"`
	// MediaID is the VideoId, ImageId or MediaId VOD assigned.
	MediaID string `json:"mediaId"`
	// Endpoint, Bucket and ObjectKey come from the UploadAddress.
	Endpoint  string `json:"endpoint"`
	Bucket    string `json:"bucket"`
	ObjectKey string `json:"objectKey"`
	// UploadID is the OSS multipart upload ID; empty until it is initiated.
	UploadID string `json:"uploadId,omitempty"`
	PartSize int64  `json:"partSize,omitempty"`
	// Parts are the finished parts, sorted by Number, numbers unique.
	Parts []Part `json:"parts,omitempty"`
	// DestinationHash fingerprints the request metadata (title, tags, …) so
	// a changed request does not resume into the old media.
	DestinationHash string    `json:"destinationHash,omitempty"`
	Created         time.Time `json:"created,omitzero"`
	Updated         time.Time `json:"updated,omitzero"`
}

// clone returns a copy that shares no memory with r, so a snapshot can be
// encoded while workers keep adding parts.
func (r *Record) clone() Record {
	c := *r
	c.Parts = slices.Clone(r.Parts)
	return c
}

// normalize sorts parts by number so callers may append in completion
// order, and moves times to UTC, dropping monotonic readings and locations,
// so equal instants compare and encode identically whatever zone they came
// from.
func (r *Record) normalize() {
	r.Source.ModTime = r.Source.ModTime.UTC()
	r.Created, r.Updated = r.Created.UTC(), r.Updated.UTC()
	if len(r.Parts) == 0 {
		r.Parts = nil // "parts":[] and an absent field mean the same
	}
	slices.SortStableFunc(r.Parts, func(a, b Part) int { return a.Number - b.Number })
}

func (r *Record) validate() error {
	switch r.Kind {
	case KindVideo, KindImage, KindAttached, KindM3U8:
	default:
		return fmt.Errorf("unknown kind %q", truncate(r.Kind))
	}
	if err := r.Source.validate(); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if err := r.validateStrings(); err != nil {
		return err
	}
	if err := validateEndpoint(r.Endpoint); err != nil {
		return err
	}
	if err := validateTimes(r.Source.ModTime, r.Created, r.Updated); err != nil {
		return err
	}
	if r.PartSize < 0 || r.PartSize > osslimit.MaxPartSize {
		return fmt.Errorf("part size %d out of range 0..%d", r.PartSize, osslimit.MaxPartSize)
	}
	return r.validateParts()
}

func (r *Record) validateStrings() error {
	type field struct{ name, v string }
	required := []field{
		{"media id", r.MediaID}, {"endpoint", r.Endpoint},
		{"bucket", r.Bucket}, {"object key", r.ObjectKey},
	}
	for _, f := range required {
		if f.v == "" {
			return fmt.Errorf("%s is empty", f.name)
		}
	}
	all := append(required, field{"upload id", r.UploadID}, field{"destination hash", r.DestinationHash})
	for _, f := range all {
		if err := validateString(f.name, f.v, maxStringLen); err != nil {
			return err
		}
	}
	return nil
}

func (r *Record) validateParts() error {
	if len(r.Parts) == 0 {
		return nil
	}
	if r.UploadID == "" || r.PartSize == 0 {
		return errors.New("parts recorded without upload id and part size")
	}
	prev := 0
	for i, p := range r.Parts {
		if err := p.validate(); err != nil {
			return fmt.Errorf("parts[%d]: %w", i, err)
		}
		if p.Number <= prev {
			return fmt.Errorf("parts[%d]: number %d not after %d (unsorted or duplicate)", i, p.Number, prev)
		}
		prev = p.Number
		if p.Size > r.PartSize {
			return fmt.Errorf("part %d: size %d exceeds part size %d", p.Number, p.Size, r.PartSize)
		}
		// Bounded by osslimit.MaxParts×osslimit.MaxPartSize, so this cannot overflow.
		if end := int64(p.Number-1)*r.PartSize + p.Size; end > r.Source.Size {
			return fmt.Errorf("part %d: ends at %d beyond source size %d", p.Number, end, r.Source.Size)
		}
	}
	return nil
}

func (p Part) validate() error {
	if p.Number < 1 || p.Number > osslimit.MaxParts {
		return fmt.Errorf("number %d out of range 1..%d", p.Number, osslimit.MaxParts)
	}
	if p.Size < 0 || p.Size > osslimit.MaxPartSize {
		return fmt.Errorf("size %d out of range 0..%d", p.Size, osslimit.MaxPartSize)
	}
	if p.ETag == "" {
		return errors.New("etag is empty")
	}
	return validateString("etag", p.ETag, maxETagLen)
}

func (s SourceIdentity) validate() error {
	if s.Path == "" && s.Name == "" {
		return errors.New("neither path nor name is set")
	}
	if s.Path != "" && !filepath.IsAbs(s.Path) {
		return fmt.Errorf("path %q is not absolute", truncate(s.Path))
	}
	if s.Size < 0 {
		return fmt.Errorf("size %d is negative", s.Size)
	}
	if err := validateString("path", s.Path, maxStringLen); err != nil {
		return err
	}
	return validateString("name", s.Name, maxStringLen)
}

// validateTimes refuses instants JSON cannot carry once in UTC (RFC 3339
// allows only years 0..9999), so every record Decode accepts re-encodes.
func validateTimes(ts ...time.Time) error {
	for _, t := range ts {
		if y := t.UTC().Year(); y < 0 || y > 9999 {
			return fmt.Errorf("time year %d out of range 0..9999", y)
		}
	}
	return nil
}

// validateString rejects invalid UTF-8 because JSON would silently replace
// it, and the decoded record would then no longer match its source.
func validateString(name, v string, limit int) error {
	if len(v) > limit {
		return fmt.Errorf("%s longer than %d bytes", name, limit)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8", name)
	}
	return nil
}

// validateEndpoint refuses "@" (URL user info): the endpoint is the one field
// a caller could accidentally smuggle a credential into, and real OSS
// endpoints never contain it. The value is not echoed for the same reason.
func validateEndpoint(endpoint string) error {
	if strings.Contains(endpoint, "@") {
		return errors.New("endpoint carries user info")
	}
	return nil
}

// truncate keeps hostile input from bloating error messages.
func truncate(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	// Cut between characters: a broken UTF-8 sequence prints as escapes.
	return strings.ToValidUTF8(s[:limit], "") + "…"
}
