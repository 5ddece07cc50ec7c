package vodupload

import (
	"context"
	"io"
	"net/url"

	"github.com/vodupload/vodupload/internal/source"
)

// Source is what an upload reads: a local file (FileSource), an io.Reader
// (ReaderSource) or an http(s) URL (URLSource).
//
// Source is sealed: besides String its method is unexported, so only
// those three implement it. Opening a source is a contract with the upload
// engine (whether the bytes can be read at any offset, so parts go out
// concurrently straight from the file, or only in order, into part
// buffers; and a file's identity for checkpoints) that must stay free to
// grow without breaking code outside this package. Anything else reaches
// an upload through ReaderSource: an io.Reader is read in order, an
// io.ReaderAt or io.Seeker of known size is read like a file.
type Source interface {
	// String names the source in errors and logs.
	String() string
	open(ctx context.Context) (*source.Opened, error)
}

// opener is the Source of every constructor: an internal source.
type opener struct{ s source.Source }

func (o opener) String() string                                   { return o.s.String() }
func (o opener) open(ctx context.Context) (*source.Opened, error) { return o.s.Open(ctx) }

// FileSource uploads a local file. Parts are read straight from the file
// at their offsets, concurrently, never copied into memory.
func FileSource(path string) Source { return opener{source.File{Path: path}} }

// ReaderSource uploads from r. size is its length, or -1 when unknown.
// Readers that are also io.ReaderAt (with a known size) or io.Seeker are
// read like files; others are read in order into at most Concurrency+1 part
// buffers. name (e.g. "movie.mp4") supplies the file extension VOD needs
// when the metadata carries no FileName; it may be empty otherwise.
func ReaderSource(r io.Reader, size int64, name string) Source {
	return opener{source.Reader{R: r, Size: size, Name: name}}
}

// URLSource uploads a file from an http(s) URL, streamed from the
// download into the upload: no temp file, memory bounded like any stream.
// The request is made when the upload starts, so a 404 fails before VOD
// is called. A dropped download resumes with Range requests. The file name
// (for its extension) comes from Content-Disposition or the URL path;
// VideoMeta.FileName overrides it. Query strings never appear in errors or
// logs.
func URLSource(rawURL string) Source { return opener{source.URL{URL: rawURL}} }

// httpURL parses raw as an absolute http(s) URL, the only kind a URL
// upload or a VOD pull can fetch.
func httpURL(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}
