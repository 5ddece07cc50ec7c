package m3u8

import (
	"bytes"
	"fmt"
	"strings"
)

// Rewrite returns the index with every resource URI replaced by
// rename(resource). Everything else is kept byte for byte, line endings
// included, except the byte order mark, which RFC 8216 forbids and is
// dropped. An unquoted attribute value (RFC 8216 wants it quoted, some
// writers skip the quotes) stays unquoted unless the new one holds a comma.
//
// rename is called once per reference. A replacement that would change the
// index's structure fails with ErrInvalidName: it must not be empty, hold
// CR or LF, start with '#' or blanks on a URI line, or hold '"' inside an
// attribute.
func (p *Playlist) Rewrite(rename func(Resource) string) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(p.raw))
	last := 0
	for _, r := range p.refs {
		res := p.Segments[r.res]
		uri := rename(res)
		if err := checkReplacement(uri, r.attr); err != nil {
			return nil, fmt.Errorf("rewrite m3u8: %w", &LineError{Line: lineOf(p.raw, r.start), Err: err})
		}
		out.Write(p.raw[last:r.start])
		if r.attr && (r.quoted || strings.ContainsRune(uri, ',')) {
			out.WriteByte('"')
			out.WriteString(uri)
			out.WriteByte('"')
		} else {
			out.WriteString(uri)
		}
		last = r.end
	}
	out.Write(p.raw[last:])
	return out.Bytes(), nil
}

func checkReplacement(uri string, attr bool) error {
	switch {
	case uri == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case strings.ContainsAny(uri, "\r\n"):
		return fmt.Errorf("%w: line break", ErrInvalidName)
	case attr && strings.ContainsRune(uri, '"'):
		return fmt.Errorf("%w: quote in attribute", ErrInvalidName)
	case !attr && (uri[0] == '#' || strings.Trim(uri, " \t") != uri):
		return fmt.Errorf("%w: would not read back as a uri line", ErrInvalidName)
	}
	return nil
}

// Localize names the objects to upload (see Objects) and rewrites the index
// to reference them relative to itself, so the index works once uploaded
// into the same directory. References that already lead to their object
// (relative, no query or fragment) are left as written.
func (p *Playlist) Localize() ([]byte, []Object, error) {
	objs, names, err := p.plan()
	if err != nil {
		return nil, nil, err
	}
	refs := make(map[string]string, len(p.Segments))
	for i, r := range p.Segments {
		refs[r.URI] = localRef(r.URI, names[i])
	}
	index, err := p.Rewrite(func(r Resource) string { return refs[r.URI] })
	if err != nil {
		return nil, nil, err
	}
	return index, objs, nil
}

// localRef is the reference the localized index uses for uri.
func localRef(uri, name string) string {
	if !strings.ContainsAny(uri, "?#") && !strings.HasPrefix(uri, "//") && !hasScheme(uri) {
		return uri // relative and already names the object; keep the author's spelling
	}
	return Reference(name)
}
