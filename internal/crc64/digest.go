package crc64

import (
	"encoding/binary"
	"errors"
	"hash"
)

// The marshaled state matches hash/crc64's digest for the ECMA table, so a
// checkpoint written by either package can be resumed by the other.
const (
	stateMagic = "crc\x02"
	// ecmaTableSum identifies the ECMA table in hash/crc64's state format.
	ecmaTableSum = 0x60269a52e1b7fe65
	stateSize    = len(stateMagic) + 8 + 8
)

// digest is the running CRC; its zero value is the checksum of no bytes.
type digest struct {
	crc uint64
}

// New returns a hash.Hash64 computing the CRC-64/ECMA checksum. Its Sum64
// equals hash/crc64's for the same input, and it implements
// encoding.BinaryMarshaler, encoding.BinaryUnmarshaler, encoding.BinaryAppender
// and hash.Cloner with hash/crc64's state format.
func New() hash.Hash64 {
	return &digest{}
}

func (d *digest) Size() int { return Size }

func (d *digest) BlockSize() int { return 1 }

func (d *digest) Reset() { d.crc = 0 }

func (d *digest) Write(p []byte) (int, error) {
	d.crc = update(d.crc, p)
	return len(p), nil
}

func (d *digest) Sum64() uint64 { return d.crc }

// Sum appends the checksum big-endian, as hash/crc64 does.
func (d *digest) Sum(in []byte) []byte {
	return binary.BigEndian.AppendUint64(in, d.crc)
}

func (d *digest) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, stateMagic...)
	b = binary.BigEndian.AppendUint64(b, ecmaTableSum)
	return binary.BigEndian.AppendUint64(b, d.crc), nil
}

func (d *digest) MarshalBinary() ([]byte, error) {
	return d.AppendBinary(make([]byte, 0, stateSize))
}

func (d *digest) UnmarshalBinary(b []byte) error {
	switch {
	case len(b) < len(stateMagic) || string(b[:len(stateMagic)]) != stateMagic:
		return errors.New("crc64: unmarshal state: invalid identifier")
	case len(b) != stateSize:
		return errors.New("crc64: unmarshal state: invalid size")
	case binary.BigEndian.Uint64(b[len(stateMagic):]) != ecmaTableSum:
		return errors.New("crc64: unmarshal state: not an ECMA-182 checksum")
	}
	d.crc = binary.BigEndian.Uint64(b[len(stateMagic)+8:])
	return nil
}

func (d *digest) Clone() (hash.Cloner, error) {
	c := *d
	return &c, nil
}
