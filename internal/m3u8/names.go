package m3u8

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"
)

// maxNameLen is OSS's limit on an object key; the caller's prefix makes the
// real key longer, so it must check the joined key again.
const maxNameLen = 1023

// Object is one object to upload next to the index.
type Object struct {
	// Name is the object name relative to the index's directory (or the
	// upload address's ObjectPrefix): slash separated, never starting with
	// a slash, never containing "..".
	Name string
	// Resource is the first reference that produced Name.
	Resource Resource
	// Remote is true when the URI names a host (http, https or //host):
	// the bytes come from that URL, not from a file next to the index.
	Remote bool
}

// ObjectName returns the object name a URI from the index is uploaded under.
//
//   - A relative path keeps its directories: "seg/001.ts" → "seg/001.ts",
//     "./a%20b.ts" → "a b.ts" (percent-decoded, cleaned).
//   - The query and fragment are dropped: "001.ts?token=x" → "001.ts"; the
//     object is served without them.
//   - An http(s) URL, or a network-path reference "//host/…", is flattened
//     to its last path element: "https://cdn/x/y/001.ts" → "001.ts".
//   - A path that climbs out of the index's directory ("../x.ts"), an
//     absolute path ("/x.ts"), or one containing a backslash fails with
//     ErrUnsafeURI: uploading it would read files the index does not own.
//   - Other schemes (data:, file:, skd:, C:\…) and URIs naming a directory
//     fail with ErrUnsupportedURI.
func ObjectName(uri string) (string, error) {
	name, _, err := objectName(uri)
	return name, err
}

// objectName is ObjectName also returning the parsed URI.
func objectName(uri string) (string, *url.URL, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", nil, fmt.Errorf("%w %s: not a valid uri", ErrUnsupportedURI, redact(uri))
	}
	if u.Opaque != "" {
		return "", nil, fmt.Errorf("%w %s: opaque uri", ErrUnsupportedURI, redact(uri))
	}
	var name string
	switch {
	case u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "" && u.Host != "":
		name = path.Base(u.Path)
	case u.Scheme != "":
		return "", nil, fmt.Errorf("%w %s: scheme %q", ErrUnsupportedURI, redact(uri), u.Scheme)
	case strings.HasPrefix(u.Path, "/"):
		return "", nil, fmt.Errorf("%w %s: absolute path", ErrUnsafeURI, redact(uri))
	default:
		name = path.Clean(u.Path)
		if name == ".." || strings.HasPrefix(name, "../") {
			return "", nil, fmt.Errorf("%w %s: escapes the index directory", ErrUnsafeURI, redact(uri))
		}
	}
	if why, err := checkName(name, u.Path); err != nil {
		return "", nil, fmt.Errorf("%w %s: %s", err, redact(uri), why)
	}
	return name, u, nil
}

// checkName rejects names OSS or a player would treat differently from the
// file the index meant, returning why and the sentinel to report.
func checkName(name, p string) (string, error) {
	switch {
	case p == "" || strings.HasSuffix(p, "/") || name == "." || name == ".." || name == "/":
		return "names a directory, not a file", ErrUnsupportedURI
	case strings.ContainsRune(name, '\\'):
		// Windows reads "..\x" as a parent path; no safe meaning exists.
		return "backslash in path", ErrUnsafeURI
	case !utf8.ValidString(name):
		return "path is not utf-8 once decoded", ErrInvalidUTF8
	case len(name) > maxNameLen:
		return fmt.Sprintf("name longer than %d bytes", maxNameLen), ErrUnsupportedURI
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "control character in path", ErrUnsupportedURI
		}
	}
	return "", nil
}

// Reference returns the URI text that refers, from the index, to the object
// uploaded under name: the name percent-encoded where URI syntax needs it.
// ObjectName(Reference(n)) == n for every name ObjectName returns.
func Reference(name string) string {
	return (&url.URL{Path: name}).String()
}

// Objects names the object every resource is uploaded under, one Object per
// name in order of first appearance. Two different URIs that would land on
// one name fail with ErrNameCollision rather than silently overwrite each
// other; references that differ only in spelling ("a.ts", "./a.ts") share an
// object.
func (p *Playlist) Objects() ([]Object, error) {
	objs, _, err := p.plan()
	return objs, err
}

// plan returns the objects and, parallel to p.Segments, each resource's name.
func (p *Playlist) plan() ([]Object, []string, error) {
	objs := make([]Object, 0, len(p.Segments))
	names := make([]string, len(p.Segments))
	seen := make(map[string]int, len(p.Segments)) // name → index in objs
	sources := make(map[string]string, len(p.Segments))
	for i, r := range p.Segments {
		name, u, err := objectName(r.URI)
		if err != nil {
			return nil, nil, fmt.Errorf("name m3u8 objects: %w", &LineError{Line: r.Line, Err: fmt.Errorf("%v: %w", r.Kind, err)})
		}
		names[i] = name
		src := sourceKey(u, name)
		if j, ok := seen[name]; ok {
			if sources[name] != src {
				first := objs[j].Resource
				return nil, nil, fmt.Errorf("name m3u8 objects: %w", &LineError{Line: r.Line, Err: fmt.Errorf(
					"%w: %s and %s (line %d) both become %q", ErrNameCollision, redact(r.URI), redact(first.URI), first.Line, name)})
			}
			continue
		}
		seen[name] = len(objs)
		sources[name] = src
		objs = append(objs, Object{Name: name, Resource: r, Remote: u.Host != ""})
	}
	return objs, names, nil
}

// sourceKey identifies the bytes a URI fetches, so spellings of one file
// share an object while different files with one name collide.
func sourceKey(u *url.URL, name string) string {
	if u.Host == "" {
		return "local:" + name + "?" + u.RawQuery
	}
	v := *u
	v.Fragment, v.RawFragment = "", ""
	return v.String()
}
