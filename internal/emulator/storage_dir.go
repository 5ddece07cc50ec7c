package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// dirStore keeps object bytes as files under root and their metadata in
// memory, so a directory left by an earlier run is not served again.
//
// Layout: root/<bucket>/<key> with bucket and key each escaped into one
// file name (see storeFileName), root/.parts/<blob> for multipart parts and
// root/.tmp for bodies being received. A body is written to a temporary
// file and renamed into place only once complete, so a failed upload never
// replaces or truncates an object.
type dirStore struct {
	root string
	// objectIndex's mutex also makes rename+metadata atomic.
	objectIndex
}

func newDirStore(root string) (*dirStore, error) {
	if root == "" {
		return nil, errors.New("emulator: StorageDir needs Options.Dir")
	}
	for _, sub := range []string{partsDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o700); err != nil {
			return nil, fmt.Errorf("emulator: create storage dir: %w", err)
		}
	}
	return &dirStore{root: root, objectIndex: newObjectIndex()}, nil
}

const (
	partsDir = ".parts"
	tmpDir   = ".tmp"
	// maxFileName keeps escaped names below the usual 255-byte limit.
	maxFileName = 200
)

// storeFileName maps a bucket or key to one safe file name: slashes and every
// other special byte are percent-escaped, a leading dot is escaped so no
// name is ".", ".." or hidden (the .parts and .tmp directories cannot
// collide with a bucket), and over-long names become "#" plus a SHA-256,
// which no escaped name can start with.
func storeFileName(s string) string {
	name := url.PathEscape(s)
	if strings.HasPrefix(name, ".") {
		name = "%2E" + name[1:]
	}
	if name == "" || len(name) > maxFileName {
		sum := sha256.Sum256([]byte(s))
		return "#" + hex.EncodeToString(sum[:])
	}
	return name
}

func (d *dirStore) objectPath(bucket, key string) string {
	return filepath.Join(d.root, storeFileName(bucket), storeFileName(key))
}

func (d *dirStore) partPath(blob string) (string, error) {
	if blob == "" || blob != filepath.Base(blob) || strings.HasPrefix(blob, ".") {
		return "", fmt.Errorf("emulator: invalid part blob %q", blob)
	}
	return filepath.Join(d.root, partsDir, blob), nil
}

// receiveFile writes body to a new file in dir and returns its path and digest;
// on any error the file is removed.
func receiveFile(dir, pattern string, body io.Reader) (string, digest, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", digest{}, fmt.Errorf("emulator: create file: %w", err)
	}
	dg, err := copyDigest(f, body)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("emulator: close %s: %w", f.Name(), cerr)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", digest{}, err
	}
	return f.Name(), dg, nil
}

func (d *dirStore) put(bucket, key string, body io.Reader, contentType string) (objectInfo, error) {
	tmp, dg, err := receiveFile(filepath.Join(d.root, tmpDir), "put-*", body)
	if err != nil {
		return objectInfo{}, err
	}
	info := dg.objectInfo(contentType)
	if err := d.install(bucket, key, tmp, info); err != nil {
		return objectInfo{}, err
	}
	return info, nil
}

// install renames a complete temporary file into place and records info.
func (d *dirStore) install(bucket, key, tmp string, info objectInfo) error {
	dst := d.objectPath(bucket, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("emulator: store %s/%s: %w", bucket, key, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("emulator: store %s/%s: %w", bucket, key, err)
	}
	d.objects[storeKey{bucket, key}] = info
	return nil
}

func (d *dirStore) open(bucket, key string) (objectInfo, io.ReadSeekCloser, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	info, ok := d.objects[storeKey{bucket, key}]
	if !ok {
		return objectInfo{}, nil, errNotFound
	}
	// Opened under the lock so the file matches info; a later rename over
	// it leaves this descriptor on the old bytes.
	f, err := os.Open(d.objectPath(bucket, key))
	if err != nil {
		return objectInfo{}, nil, fmt.Errorf("emulator: open %s/%s: %w", bucket, key, err)
	}
	return info, f, nil
}

func (d *dirStore) delete(bucket, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.forget(bucket, key); err != nil {
		return err
	}
	if err := os.Remove(d.objectPath(bucket, key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("emulator: delete %s/%s: %w", bucket, key, err)
	}
	return nil
}

func (d *dirStore) putPart(body io.Reader) (partInfo, error) {
	path, dg, err := receiveFile(filepath.Join(d.root, partsDir), "part-*", body)
	if err != nil {
		return partInfo{}, err
	}
	return dg.partInfo(filepath.Base(path)), nil
}

func (d *dirStore) assemble(bucket, key string, info objectInfo, blobs []string) error {
	out, err := os.CreateTemp(filepath.Join(d.root, tmpDir), "complete-*")
	if err != nil {
		return fmt.Errorf("emulator: assemble %s/%s: %w", bucket, key, err)
	}
	err = d.appendParts(out, blobs)
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(out.Name())
		return fmt.Errorf("emulator: assemble %s/%s: %w", bucket, key, err)
	}
	if err := d.install(bucket, key, out.Name(), info); err != nil {
		return err
	}
	d.dropParts(blobs...)
	return nil
}

// appendParts copies each part file onto out; on Linux io.Copy between
// files uses copy_file_range, so the bytes need not pass through memory.
func (d *dirStore) appendParts(out *os.File, blobs []string) error {
	for _, b := range blobs {
		path, err := d.partPath(b)
		if err != nil {
			return err
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, in)
		_ = in.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *dirStore) dropParts(blobs ...string) {
	for _, b := range blobs {
		if path, err := d.partPath(b); err == nil {
			_ = os.Remove(path)
		}
	}
}
