package m3u8

import (
	"errors"
	"fmt"
	"strings"
)

// parser holds the state of one Parse call.
type parser struct {
	pl     *Playlist
	index  map[string]int // URI → position in pl.Segments
	header bool
	media  bool // a media segment URI line was seen

	masterLine    int      // first master-only tag, 0 if none
	variants      []string // what the master playlist lists
	expectVariant bool     // the previous tag was #EXT-X-STREAM-INF
}

// masterOnly reports tags RFC 8216 allows only in master playlists; any one
// of them means the index lists playlists, not media.
func masterOnly(tag string) bool {
	switch tag {
	case "EXT-X-STREAM-INF", "EXT-X-I-FRAME-STREAM-INF", "EXT-X-MEDIA",
		"EXT-X-SESSION-DATA", "EXT-X-SESSION-KEY", "EXT-X-CONTENT-STEERING":
		return true
	}
	return false
}

func (p *parser) line(ln line) error {
	switch {
	case ln.text == "":
		return nil
	case !p.header:
		if ln.text != "#EXTM3U" {
			return &LineError{Line: ln.num, Err: ErrMissingHeader}
		}
		p.header = true
		return nil
	case strings.HasPrefix(ln.text, "#EXT"):
		return p.tag(ln)
	case strings.HasPrefix(ln.text, "#"):
		return nil // a comment
	case p.expectVariant:
		p.expectVariant = false
		p.variants = append(p.variants, redact(ln.text))
		return nil
	}
	p.media = true
	p.add(ln.text, Segment, ln.num, ref{start: ln.start, end: ln.start + len(ln.text)})
	return nil
}

func (p *parser) tag(ln line) error {
	name, attrs, _ := strings.Cut(ln.text[1:], ":")
	attrsAt := ln.start + 1 + len(name) + 1
	if masterOnly(name) {
		return p.masterTag(ln, name, attrs)
	}
	var kind Kind
	switch name {
	case "EXT-X-MAP":
		kind = InitSegment
	case "EXT-X-KEY":
		kind = Key
	case "EXT-X-PART", "EXT-X-PRELOAD-HINT":
		kind = Part
	default:
		return nil // kept verbatim, never interpreted
	}
	a, err := uriAttr(attrs)
	if err != nil {
		return &LineError{Line: ln.num, Err: fmt.Errorf("#%s: %w", name, err)}
	}
	if !a.found {
		if kind == Key {
			return nil // METHOD=NONE has no key to upload
		}
		return &LineError{Line: ln.num, Err: fmt.Errorf("#%s: %w: no URI attribute", name, ErrSyntax)}
	}
	if a.value == "" {
		return &LineError{Line: ln.num, Err: fmt.Errorf("#%s: %w: empty URI", name, ErrSyntax)}
	}
	if kind == Key && (hasScheme(a.value) || strings.HasPrefix(a.value, "//")) {
		// data: and skd: carry the key inline or name a DRM system, and an
		// https key server usually guards the key; copying any of them into
		// the bucket would change who can decrypt the video.
		return nil
	}
	p.add(a.value, kind, ln.num, ref{start: attrsAt + a.start, end: attrsAt + a.end, attr: true, quoted: a.quoted})
	return nil
}

func (p *parser) masterTag(ln line, name, attrs string) error {
	if p.masterLine == 0 {
		p.masterLine = ln.num
	}
	switch name {
	case "EXT-X-STREAM-INF":
		p.expectVariant = true
	case "EXT-X-I-FRAME-STREAM-INF", "EXT-X-MEDIA":
		// Best effort: the variants only decorate the error message.
		if a, err := uriAttr(attrs); err == nil && a.found && a.value != "" {
			p.variants = append(p.variants, redact(a.value))
		}
	}
	return nil
}

func (p *parser) add(uri string, kind Kind, lineNum int, r ref) {
	i, ok := p.index[uri]
	if !ok {
		i = len(p.pl.Segments)
		p.index[uri] = i
		p.pl.Segments = append(p.pl.Segments, Resource{URI: uri, Kind: kind, Line: lineNum})
	}
	r.res = i
	p.pl.refs = append(p.pl.refs, r)
}

func (p *parser) finish() error {
	switch {
	case !p.header:
		return &LineError{Line: 1, Err: ErrMissingHeader}
	case p.masterLine != 0:
		return &MasterPlaylistError{Line: p.masterLine, Variants: p.variants}
	case !p.media:
		return ErrNoSegments
	}
	return nil
}

// hasScheme reports whether uri starts with an RFC 3986 scheme.
func hasScheme(uri string) bool {
	for i := 0; i < len(uri); i++ {
		c := uri[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// attr is the URI attribute found in an attribute list.
type attr struct {
	value      string
	start, end int // span of the value in the list, quotes included
	found      bool
	quoted     bool
}

// uriAttr scans an RFC 8216 attribute list (NAME=VALUE pairs separated by
// commas, where a quoted-string value may itself contain commas) and returns
// its first URI attribute.
func uriAttr(list string) (attr, error) {
	var found attr
	for pos := 0; pos < len(list); {
		for pos < len(list) && (list[pos] == ' ' || list[pos] == '\t') {
			pos++
		}
		eq := strings.IndexByte(list[pos:], '=')
		if eq <= 0 || strings.ContainsAny(list[pos:pos+eq], `,"`) {
			return attr{}, fmt.Errorf("%w: attribute without a name=value pair", ErrSyntax)
		}
		name := list[pos : pos+eq]
		start := pos + eq + 1
		value, end, err := attrValue(list, start)
		if err != nil {
			return attr{}, fmt.Errorf("%w: attribute %s: %w", ErrSyntax, name, err)
		}
		if name == "URI" && !found.found {
			quoted := start < len(list) && list[start] == '"'
			found = attr{value: value, start: start, end: end, found: true, quoted: quoted}
		}
		pos = end
		if pos < len(list) {
			pos++ // the comma
		}
	}
	return found, nil
}

// attrValue reads the value starting at start and returns it with the offset
// just past it, which is the end of list or a comma.
func attrValue(list string, start int) (string, int, error) {
	if start < len(list) && list[start] == '"' {
		closing := strings.IndexByte(list[start+1:], '"')
		if closing < 0 {
			return "", 0, errors.New("unterminated quoted string")
		}
		end := start + 1 + closing + 1
		if end < len(list) && list[end] != ',' {
			return "", 0, errors.New("text after quoted string")
		}
		return list[start+1 : end-1], end, nil
	}
	end := len(list)
	if i := strings.IndexByte(list[start:], ','); i >= 0 {
		end = start + i
	}
	value := list[start:end]
	if strings.ContainsRune(value, '"') {
		return "", 0, errors.New("quote inside unquoted value")
	}
	return value, end, nil
}
