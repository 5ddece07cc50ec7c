package emulator

import (
	"io"
	"time"
)

// objectInfo describes a stored object.
type objectInfo struct {
	Size        int64
	CRC64       uint64 // CRC64-ECMA of the whole object, as x-oss-hash-crc64ecma
	ETag        string // quoted upper-case hex, as OSS returns it
	ContentType string
	Modified    time.Time
}

// objectStore keeps object bytes for the emulated OSS. Implementations are
// safe for concurrent use. Lookups of a missing object return errNotFound.
type objectStore interface {
	// put stores body under bucket/key, replacing any previous object, and
	// returns what it stored. A body that fails mid-way stores nothing.
	put(bucket, key string, body io.Reader, contentType string) (objectInfo, error)
	// open returns the object and a reader of its bytes; the discard store
	// returns errDiscarded.
	open(bucket, key string) (objectInfo, io.ReadSeekCloser, error)
	stat(bucket, key string) (objectInfo, error)
	delete(bucket, key string) error
	// partStore holds multipart parts in the same mode as objects.
	partStore
}
