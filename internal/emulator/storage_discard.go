package emulator

import (
	"io"
	"sync"
)

// discardBufferSize is the discard store's read size: reads from the
// socket this large take fewer system calls per GiB than copyBufferSize,
// and the buffers are recycled, so their size costs nothing per request.
const discardBufferSize = 256 << 10

// discardStore hashes bodies and keeps only objectInfo, so multi-gigabyte
// uploads run with flat memory. It computes CRC64 but not MD5: ETags are
// derived from the CRC and size (see standInMD5), so the stand-in costs a
// benchmark little more than the loopback copy. Parts keep no bytes at all:
// their metadata lives in the multipartUpload. open returns errDiscarded,
// which GetObject answers with 501 NotImplemented; HeadObject works.
type discardStore struct {
	objectIndex
	// bufs recycles copy buffers: a benchmark process that hosts the
	// emulator should see the client's garbage, not one buffer per part.
	bufs sync.Pool
}

func newDiscardStore() *discardStore {
	d := &discardStore{objectIndex: newObjectIndex()}
	d.bufs.New = func() any { return new([discardBufferSize]byte) }
	return d
}

// digest reads body through a recycled buffer.
func (d *discardStore) digest(body io.Reader) (digest, error) {
	buf := d.bufs.Get().(*[discardBufferSize]byte)
	defer d.bufs.Put(buf)
	return crcDigest(body, buf[:])
}

func (d *discardStore) put(bucket, key string, body io.Reader, contentType string) (objectInfo, error) {
	dg, err := d.digest(body)
	if err != nil {
		return objectInfo{}, err
	}
	info := dg.objectInfo(contentType)
	d.mu.Lock()
	d.objects[storeKey{bucket, key}] = info
	d.mu.Unlock()
	return info, nil
}

func (d *discardStore) open(bucket, key string) (objectInfo, io.ReadSeekCloser, error) {
	if _, err := d.stat(bucket, key); err != nil {
		return objectInfo{}, nil, err
	}
	return objectInfo{}, nil, errDiscarded
}

func (d *discardStore) putPart(body io.Reader) (partInfo, error) {
	dg, err := d.digest(body)
	if err != nil {
		return partInfo{}, err
	}
	return dg.partInfo(""), nil
}

func (d *discardStore) assemble(bucket, key string, info objectInfo, _ []string) error {
	d.mu.Lock()
	d.objects[storeKey{bucket, key}] = info
	d.mu.Unlock()
	return nil
}

func (d *discardStore) dropParts(...string) {}
