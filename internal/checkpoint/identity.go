package checkpoint

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"os"
	"path/filepath"
)

// keyHexLen is 128 bits of SHA-256: collision-free for any realistic number
// of uploads while keeping file names short.
const keyHexLen = 32

// Key returns a stable, file-name-safe identifier (lower-case hex) for the
// checkpoint of uploading src as kind to the destination fingerprinted by
// destinationHash.
//
// Key deliberately ignores Size, ModTime and SampleCRC: when the file is
// edited between attempts the caller still finds the stale record under the
// same key, can log why it cannot resume, and deletes it instead of leaving
// an orphan behind.
func Key(kind string, src SourceIdentity, destinationHash string) string {
	h := sha256.New()
	for _, field := range []string{Magic, kind, src.Path, src.Name, destinationHash} {
		// Length prefixes keep ("ab","c") and ("a","bc") apart.
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(field)))
		h.Write(n[:])
		h.Write([]byte(field))
	}
	return hex.EncodeToString(h.Sum(nil))[:keyHexLen]
}

// sampleBlock is the size of each sampled block; three of them cost one
// small read each, however large the file.
const sampleBlock = 64 << 10

// SampleCRC returns the CRC64-ECMA of the size followed by the first, middle
// and last 64 KiB of r (all of r when it is at most 192 KiB). It notices a
// replaced, truncated, extended or locally edited file without re-reading
// 20 GB; an edit confined to unsampled bytes with an unchanged ModTime goes
// unnoticed, which is why ModTime is part of SourceIdentity too.
func SampleCRC(r io.ReaderAt, size int64) (uint64, error) {
	if size < 0 {
		return 0, fmt.Errorf("sample crc: negative size %d", size)
	}
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(size))
	h.Write(n[:])
	buf := make([]byte, sampleBlock)
	for _, off := range sampleOffsets(size) {
		chunk := buf[:min(sampleBlock, size-off)]
		if err := readFullAt(r, chunk, off); err != nil {
			return 0, fmt.Errorf("sample crc: read at %d: %w", off, err)
		}
		h.Write(chunk)
	}
	return h.Sum64(), nil
}

// sampleOffsets returns non-overlapping block offsets covering the whole
// source when it is small, so no byte is hashed twice.
func sampleOffsets(size int64) []int64 {
	if size <= 3*sampleBlock {
		offs := make([]int64, 0, 3)
		for off := int64(0); off < size; off += sampleBlock {
			offs = append(offs, off)
		}
		return offs
	}
	return []int64{0, size/2 - sampleBlock/2, size - sampleBlock}
}

// readFullAt tolerates the io.EOF a ReaderAt may return alongside a full read
// of the final bytes, and reports a short source as io.ErrUnexpectedEOF.
func readFullAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// IdentifyFile stats and samples the file at path, returning the identity a
// Record stores and a resume compares with Matches.
func IdentifyFile(path string) (SourceIdentity, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return SourceIdentity{}, fmt.Errorf("identify %s: %w", path, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return SourceIdentity{}, fmt.Errorf("identify %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return SourceIdentity{}, fmt.Errorf("identify %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return SourceIdentity{}, fmt.Errorf("identify %s: not a regular file", path)
	}
	crc, err := SampleCRC(f, fi.Size())
	if err != nil {
		return SourceIdentity{}, fmt.Errorf("identify %s: %w", path, err)
	}
	return SourceIdentity{Path: abs, Size: fi.Size(), ModTime: fi.ModTime(), SampleCRC: crc}, nil
}
