package emulator

import (
	"fmt"
	"io"
	"slices"
)

// Object returns the bytes of a stored object, for tests to compare. It
// fails when the object does not exist and always with StorageDiscard,
// which keeps no bytes.
func (s *Server) Object(bucket, key string) ([]byte, error) {
	_, rc, err := s.store.open(bucket, key)
	if err != nil {
		return nil, fmt.Errorf("emulator: object %s/%s: %w", bucket, key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("emulator: read object %s/%s: %w", bucket, key, err)
	}
	return b, nil
}

// ObjectInfo returns a stored object's size and CRC64-ECMA (the value OSS
// reports as x-oss-hash-crc64ecma); it works in every storage mode.
func (s *Server) ObjectInfo(bucket, key string) (size int64, crc64 uint64, err error) {
	info, err := s.store.stat(bucket, key)
	if err != nil {
		return 0, 0, fmt.Errorf("emulator: object %s/%s: %w", bucket, key, err)
	}
	return info.Size, info.CRC64, nil
}

// MultipartUploads returns the IDs of the multipart uploads that are
// neither completed nor aborted, sorted.
func (s *Server) MultipartUploads() []string {
	s.mu.Lock()
	ids := make([]string, 0, len(s.uploads))
	for id := range s.uploads {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	slices.Sort(ids)
	return ids
}

// objectExists reports whether bucket/key holds a complete object.
func (s *Server) objectExists(bucket, key string) bool {
	_, err := s.store.stat(bucket, key)
	return err == nil
}
