// Package source opens the things users upload from: local files, readers
// and http(s) URLs. An opened source says whether its bytes can be
// read at any offset (files, io.ReaderAt), which lets the engine send parts
// concurrently without copying them, or only in order (streams), which needs
// part buffers.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Source is something to upload. Open is called once per upload, before any
// network call, so bad input fails early.
type Source interface {
	Open(ctx context.Context) (*Opened, error)
	// String names the source in errors and logs.
	String() string
}

// Opened is a source ready to be read.
type Opened struct {
	// Name is the base file name including its extension; it becomes VOD's
	// FileName unless the caller overrides it. Empty when unknown.
	Name string
	// Size is the length in bytes, or -1 when unknown until the end.
	Size int64
	// At reads any range; nil for sequential-only sources.
	At io.ReaderAt
	// Stream is the sequential reader when At is nil.
	Stream io.Reader
	// Path and ModTime identify a local file (for checkpoints); empty
	// otherwise.
	Path    string
	ModTime time.Time

	closer io.Closer
}

// Close releases the source.
func (o *Opened) Close() error {
	if o.closer == nil {
		return nil
	}
	return o.closer.Close()
}

// Errors for input that can be rejected before any network call.
var (
	ErrEmpty       = errors.New("source is empty")
	ErrNotRegular  = errors.New("source is not a regular file")
	ErrInvalidSize = errors.New("invalid source size")
)

// File is a local file.
type File struct{ Path string }

func (f File) String() string { return "file " + f.Path }

// Open checks the file is a readable, non-empty regular file and opens it.
func (f File) Open(context.Context) (*Opened, error) {
	abs, err := filepath.Abs(f.Path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Path, err)
	}
	fh, err := os.Open(abs)
	if err != nil {
		return nil, asGiven("open", f.Path, err)
	}
	st, err := fh.Stat()
	if err != nil {
		_ = fh.Close()
		return nil, asGiven("stat", f.Path, err)
	}
	if !st.Mode().IsRegular() {
		_ = fh.Close()
		return nil, fmt.Errorf("open %s: %w", f.Path, ErrNotRegular)
	}
	if st.Size() == 0 {
		_ = fh.Close()
		return nil, fmt.Errorf("open %s: %w", f.Path, ErrEmpty)
	}
	return &Opened{
		Name: filepath.Base(abs), Size: st.Size(), At: fh,
		Path: abs, ModTime: st.ModTime(), closer: fh,
	}, nil
}

// asGiven is the error of a file operation on the path as the caller gave
// it: os's own error names the absolute path, and wrapping it would name
// the file twice ("open a.mp4: open /home/me/a.mp4: ...").
func asGiven(op, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: op, Path: path, Err: pe.Err}
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// Reader is an io.Reader of known (≥ 0) or unknown (-1) size.
type Reader struct {
	R    io.Reader
	Size int64
	Name string
}

func (r Reader) String() string {
	if r.Name != "" {
		return "stream " + r.Name
	}
	return "stream"
}

// Open uses random access when the reader offers it (io.ReaderAt with a
// known size, or an io.Seeker whose size can be found), so such readers are
// read zero-copy like files; anything else is read in order.
func (r Reader) Open(context.Context) (*Opened, error) {
	if r.R == nil {
		return nil, fmt.Errorf("open stream: %w: nil reader", ErrInvalidSize)
	}
	if r.Size < -1 {
		return nil, fmt.Errorf("open stream: %w: %d", ErrInvalidSize, r.Size)
	}
	if r.Size == 0 {
		return nil, fmt.Errorf("open stream: %w", ErrEmpty)
	}
	o := &Opened{Name: r.Name, Size: r.Size, Stream: r.R}
	if s, ok := r.R.(io.Seeker); ok && r.Size < 0 {
		if size, err := remaining(s); err == nil {
			o.Size = size
		}
	}
	if at, ok := r.R.(io.ReaderAt); ok && o.Size > 0 {
		base := int64(0)
		if s, ok := r.R.(io.Seeker); ok {
			if cur, err := s.Seek(0, io.SeekCurrent); err == nil {
				base = cur
			}
		}
		o.At, o.Stream = io.NewSectionReader(at, base, o.Size), nil
	}
	if o.Size == 0 {
		return nil, fmt.Errorf("open stream: %w", ErrEmpty)
	}
	return o, nil
}

func remaining(s io.Seeker) (int64, error) {
	cur, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	end, err := s.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if _, err := s.Seek(cur, io.SeekStart); err != nil {
		return 0, err
	}
	return end - cur, nil
}
