package emulator

// STUB: replaced by the storage implementations.
func newObjectStore(mode StorageMode, dir string) (objectStore, error) { return nil, nil }
