// Package m3u8 parses an HLS media playlist (RFC 8216) far enough to upload
// it to VOD: it finds every file the index references, names the OSS object
// each one becomes, and rewrites the index to point at those objects.
//
// It is deliberately not a general HLS library: tags it does not need are
// kept byte for byte and never interpreted.
package m3u8

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxIndexSize bounds how much of an index Parse reads. Real VOD indexes are
// a few hundred KiB even for day-long recordings; the bound keeps a hostile
// or mistaken source (a video passed as the index) from exhausting memory.
const MaxIndexSize = 16 << 20

// Kind says why the index references a resource.
type Kind int

const (
	Segment     Kind = iota + 1 // a media segment (the URI line after #EXTINF)
	InitSegment                 // #EXT-X-MAP URI: the fMP4/TS initialization section
	Key                         // #EXT-X-KEY URI: a decryption key stored next to the segments
	Part                        // LL-HLS #EXT-X-PART or #EXT-X-PRELOAD-HINT URI
)

func (k Kind) String() string {
	switch k {
	case Segment:
		return "segment"
	case InitSegment:
		return "init segment"
	case Key:
		return "key"
	case Part:
		return "part"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Resource is one file the index references.
type Resource struct {
	URI  string // exactly as written in the index
	Kind Kind   // the kind of its first reference
	Line int    // 1-based line of its first reference
}

// Playlist is a parsed media playlist.
type Playlist struct {
	// Segments lists every resource that must be uploaded with the index,
	// in order of first appearance, each URI once.
	Segments []Resource

	raw  []byte // the index without its byte order mark
	refs []ref  // every occurrence of a resource URI in raw, in order
}

// ref locates one occurrence of a resource URI in the raw index.
type ref struct {
	start, end int  // byte span replaced on rewrite
	res        int  // index into Segments
	attr       bool // span is an attribute value (quotes included), not a URI line
	quoted     bool // the attribute value was written as a quoted-string
}

// utf8BOM is the byte order mark some Windows editors prepend.
const utf8BOM = "\xef\xbb\xbf"

// Parse reads a media playlist. It accepts LF, CRLF and CR line endings, a
// leading UTF-8 byte order mark and blank lines. A master playlist yields a
// *MasterPlaylistError; syntax errors are *LineError values.
func Parse(r io.Reader) (*Playlist, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxIndexSize+1))
	if err != nil {
		return nil, fmt.Errorf("parse m3u8: read index: %w", err)
	}
	if len(data) > MaxIndexSize {
		return nil, fmt.Errorf("parse m3u8: %w: more than %d bytes", ErrTooLarge, MaxIndexSize)
	}
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if at := invalidUTF8At(data); at >= 0 {
		return nil, fmt.Errorf("parse m3u8: %w", &LineError{Line: lineOf(data, at), Err: ErrInvalidUTF8})
	}
	p := parser{pl: &Playlist{raw: data}, index: map[string]int{}}
	for ln := range lines(data) {
		if err := p.line(ln); err != nil {
			return nil, fmt.Errorf("parse m3u8: %w", err)
		}
	}
	if err := p.finish(); err != nil {
		return nil, fmt.Errorf("parse m3u8: %w", err)
	}
	return p.pl, nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// lineOf returns the 1-based line holding byte offset at, counting line
// endings the same way lines does.
func lineOf(b []byte, at int) int {
	n := 1
	for i := 0; i < at; i++ {
		switch {
		case b[i] == '\n':
			n++
		case b[i] == '\r' && (i+1 >= len(b) || b[i+1] != '\n'):
			n++
		}
	}
	return n
}
