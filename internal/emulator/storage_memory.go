package emulator

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// memoryStore keeps objects and parts as byte slices, so tests can compare
// bytes. Its mutex guards only the maps; bodies are read outside it.
type memoryStore struct {
	mu      sync.Mutex // guards objects and parts, not the slices they hold
	objects map[storeKey]memoryObject
	parts   map[string][]byte // by blob handle
}

type memoryObject struct {
	info objectInfo
	data []byte
}

func newMemoryStore() *memoryStore {
	return &memoryStore{
		objects: make(map[storeKey]memoryObject),
		parts:   make(map[string][]byte),
	}
}

func (m *memoryStore) put(bucket, key string, body io.Reader, contentType string) (objectInfo, error) {
	var buf bytes.Buffer
	d, err := copyDigest(&buf, body)
	if err != nil {
		return objectInfo{}, err
	}
	info := d.objectInfo(contentType)
	m.mu.Lock()
	m.objects[storeKey{bucket, key}] = memoryObject{info: info, data: buf.Bytes()}
	m.mu.Unlock()
	return info, nil
}

func (m *memoryStore) open(bucket, key string) (objectInfo, io.ReadSeekCloser, error) {
	m.mu.Lock()
	o, ok := m.objects[storeKey{bucket, key}]
	m.mu.Unlock()
	if !ok {
		return objectInfo{}, nil, errNotFound
	}
	// The slice is never written after put, so readers can share it.
	return o.info, nopSeekCloser{bytes.NewReader(o.data)}, nil
}

func (m *memoryStore) stat(bucket, key string) (objectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[storeKey{bucket, key}]
	if !ok {
		return objectInfo{}, errNotFound
	}
	return o.info, nil
}

func (m *memoryStore) delete(bucket, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := storeKey{bucket, key}
	if _, ok := m.objects[k]; !ok {
		return errNotFound
	}
	delete(m.objects, k)
	return nil
}

func (m *memoryStore) putPart(body io.Reader) (partInfo, error) {
	var buf bytes.Buffer
	d, err := copyDigest(&buf, body)
	if err != nil {
		return partInfo{}, err
	}
	blob := randomHex(12)
	m.mu.Lock()
	m.parts[blob] = buf.Bytes()
	m.mu.Unlock()
	return d.partInfo(blob), nil
}

func (m *memoryStore) assemble(bucket, key string, info objectInfo, blobs []string) error {
	// Parts are immutable and owned by this completion, so the copy runs
	// outside the lock.
	m.mu.Lock()
	parts := make([][]byte, len(blobs))
	for i, b := range blobs {
		p, ok := m.parts[b]
		if !ok {
			m.mu.Unlock()
			return fmt.Errorf("emulator: assemble %s/%s: part blob %s: %w", bucket, key, b, errNotFound)
		}
		parts[i] = p
	}
	m.mu.Unlock()
	data := make([]byte, 0, info.Size)
	for _, p := range parts {
		data = append(data, p...)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range blobs {
		delete(m.parts, b)
	}
	m.objects[storeKey{bucket, key}] = memoryObject{info: info, data: data}
	return nil
}

func (m *memoryStore) dropParts(blobs ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range blobs {
		delete(m.parts, b)
	}
}

type nopSeekCloser struct{ io.ReadSeeker }

func (nopSeekCloser) Close() error { return nil }
