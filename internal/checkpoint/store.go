package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Store persists encoded checkpoints by key. It is deliberately small so a
// fleet can back it with shared storage (a database row, an object store).
type Store interface {
	// Load returns the last saved bytes; an error matching ErrNotExist (and
	// fs.ErrNotExist) when nothing is saved under key.
	Load(ctx context.Context, key string) ([]byte, error)
	// Save replaces the bytes under key atomically: a concurrent or later
	// Load sees the old bytes or the new ones, never a mix.
	Save(ctx context.Context, key string, data []byte) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// ErrNotExist is returned by Load for a missing key. It wraps fs.ErrNotExist
// so callers may test either; other Store implementations need only return
// something matching fs.ErrNotExist.
var ErrNotExist = fmt.Errorf("checkpoint does not exist: %w", fs.ErrNotExist)

// ErrInvalidKey rejects keys that are not plain file-name-safe tokens, so a
// key can never escape the store directory.
var ErrInvalidKey = errors.New("invalid checkpoint key")

// ErrLocked means another process (or another Lock in this one) holds the key.
var ErrLocked = errors.New("checkpoint locked by another upload")

const (
	fileSuffix = ".ckpt"
	lockSuffix = ".lock"
	// tempInfix marks in-flight writes; keys cannot contain '.', so the temp
	// files of one key never match another key's pattern.
	tempInfix = fileSuffix + ".tmp-"
	// staleTempAge is far longer than any single write, so a temp file this
	// old belongs to a process that died mid-save.
	staleTempAge = time.Hour
	maxKeyLen    = 128
)

// DirStore keeps one file per key in a private directory: <key>.ckpt (0600)
// written by temp file, fsync, rename and directory fsync, so a SIGKILL at
// any instant leaves either the previous record or the new one.
type DirStore struct {
	dir string
}

// NewDirStore opens (creating with mode 0700 if needed) the directory dir and
// removes temp files left by processes killed mid-save. An existing directory
// keeps its mode: tightening a shared directory the user chose is not ours
// to do.
func NewDirStore(dir string) (*DirStore, error) {
	if dir == "" {
		return nil, errors.New("open checkpoint dir: empty path")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("open checkpoint dir %s: %w", abs, err)
	}
	d := &DirStore{dir: abs}
	if err := d.removeStaleTemps(time.Now().Add(-staleTempAge)); err != nil {
		return nil, fmt.Errorf("open checkpoint dir %s: %w", abs, err)
	}
	return d, nil
}

// Dir returns the absolute directory the store writes to.
func (d *DirStore) Dir() string { return d.dir }

// Load implements Store.
func (d *DirStore) Load(ctx context.Context, key string) ([]byte, error) {
	if err := d.check(ctx, key); err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", key, err)
	}
	b, err := os.ReadFile(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load checkpoint %s: %w", key, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", key, err)
	}
	return b, nil
}

// Save implements Store.
func (d *DirStore) Save(ctx context.Context, key string, data []byte) error {
	if err := d.check(ctx, key); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", key, err)
	}
	if err := d.writeAtomic(key, data); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", key, err)
	}
	return nil
}

func (d *DirStore) writeAtomic(key string, data []byte) (err error) {
	// os.CreateTemp creates with mode 0600 and a unique name, so concurrent
	// savers never share a temp file.
	f, err := os.CreateTemp(d.dir, key+tempInfix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	// Without this fsync a crash after the rename could expose a renamed
	// but empty file on filesystems that reorder metadata and data.
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, d.path(key)); err != nil {
		return err
	}
	// The rename is durable only once the directory entry is.
	return syncDir(d.dir)
}

// Delete implements Store. It also removes temp files of key left by a
// killed saver; the lock file belongs to Lock and is left alone.
func (d *DirStore) Delete(ctx context.Context, key string) error {
	if err := d.check(ctx, key); err != nil {
		return fmt.Errorf("delete checkpoint %s: %w", key, err)
	}
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete checkpoint %s: %w", key, err)
	}
	temps, _ := filepath.Glob(filepath.Join(d.dir, key+tempInfix+"*"))
	for _, t := range temps {
		_ = os.Remove(t)
	}
	return nil
}

func (d *DirStore) check(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return validateKey(key)
}

func (d *DirStore) path(key string) string     { return filepath.Join(d.dir, key+fileSuffix) }
func (d *DirStore) lockPath(key string) string { return filepath.Join(d.dir, key+lockSuffix) }

// removeStaleTemps deletes temp files older than cutoff; younger ones may be
// a live save in another process. Removal is best effort: a leftover temp
// file is never read, only wasted space.
func (d *DirStore) removeStaleTemps(cutoff time.Time) error {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.Contains(e.Name(), tempInfix) {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(d.dir, e.Name()))
		}
	}
	return nil
}

// validateKey accepts what Key produces and any similar token: lower-case
// ASCII letters, digits, '-' and '_'. No '.' or separators, so no traversal;
// no upper case, so keys cannot collide on case-insensitive filesystems.
func validateKey(key string) error {
	if key == "" || len(key) > maxKeyLen {
		return fmt.Errorf("%w: length %d", ErrInvalidKey, len(key))
	}
	for _, c := range key {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return fmt.Errorf("%w: character %q", ErrInvalidKey, c)
		}
	}
	return nil
}
