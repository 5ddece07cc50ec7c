package m3u8

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels callers match with errors.Is. Most arrive wrapped in a
// *LineError naming the line that caused them.
var (
	// ErrMasterPlaylist reports a master (multivariant) playlist: it lists
	// other playlists rather than media, so there is no single video to
	// upload. The error unwraps from a *MasterPlaylistError.
	ErrMasterPlaylist = errors.New("master playlist")
	// ErrMissingHeader reports that the first line is not #EXTM3U.
	ErrMissingHeader = errors.New("missing #EXTM3U header")
	// ErrNoSegments reports a media playlist without media segments.
	ErrNoSegments = errors.New("no media segments")
	// ErrTooLarge reports an index larger than MaxIndexSize.
	ErrTooLarge = errors.New("index too large")
	// ErrInvalidUTF8 reports bytes that are not UTF-8, which RFC 8216
	// requires and OSS object names need.
	ErrInvalidUTF8 = errors.New("invalid utf-8")
	// ErrSyntax reports a malformed tag.
	ErrSyntax = errors.New("syntax error")
	// ErrUnsafeURI reports a URI that would read or write outside the
	// index's directory (../, absolute paths, backslashes).
	ErrUnsafeURI = errors.New("unsafe uri")
	// ErrUnsupportedURI reports a URI with no object name to give it, such as
	// a data: URI used as a segment or a URI naming a directory.
	ErrUnsupportedURI = errors.New("unsupported uri")
	// ErrNameCollision reports two different URIs that would be uploaded
	// under one object name, so one would overwrite the other.
	ErrNameCollision = errors.New("object name collision")
	// ErrInvalidName reports a replacement URI that Rewrite cannot write
	// into the index without changing its structure.
	ErrInvalidName = errors.New("invalid replacement uri")
)

// LineError ties an error to a line of the index (1-based).
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// MasterPlaylistError lists what a master playlist points at, so the caller
// can tell the user which variant playlist to upload instead.
type MasterPlaylistError struct {
	Line     int      // the first master-only tag
	Variants []string // variant and rendition URIs, query strings removed
}

// maxListedVariants keeps the message readable for ladders with many rungs.
const maxListedVariants = 8

func (e *MasterPlaylistError) Error() string {
	msg := fmt.Sprintf("line %d: %v", e.Line, ErrMasterPlaylist)
	if len(e.Variants) == 0 {
		return msg
	}
	shown := e.Variants
	if len(shown) > maxListedVariants {
		shown = shown[:maxListedVariants]
	}
	msg += " listing " + strings.Join(shown, ", ")
	if more := len(e.Variants) - len(shown); more > 0 {
		msg += fmt.Sprintf(" and %d more", more)
	}
	return msg + "; upload a media playlist instead"
}

func (e *MasterPlaylistError) Unwrap() error { return ErrMasterPlaylist }

// redact drops the parts of a URI that commonly carry credentials (signed
// query strings, user:password@) so URIs can appear in error text.
func redact(uri string) string {
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	if scheme, rest, ok := strings.Cut(uri, "//"); ok {
		host, path, _ := strings.Cut(rest, "/")
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			host = host[at+1:]
		}
		uri = scheme + "//" + host
		if path != "" || strings.Contains(rest, "/") {
			uri += "/" + path
		}
	}
	return fmt.Sprintf("%q", uri)
}
