package crc64

import (
	"encoding"
	"hash"
	"hash/crc64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDigestMatchesStdlib(t *testing.T) {
	t.Parallel()
	data := randomBytes(t, 20_000, 6)
	tests := []struct {
		name  string
		chunk int
	}{
		{name: "one write", chunk: len(data)},
		{name: "odd chunks", chunk: 4093},
		{name: "byte at a time", chunk: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ours, theirs := New(), crc64.New(crc64.MakeTable(crc64.ECMA))
			for rest := data; len(rest) > 0; {
				n := min(tt.chunk, len(rest))
				written, err := ours.Write(rest[:n])
				require.NoError(t, err)
				require.Equal(t, n, written)
				_, _ = theirs.Write(rest[:n])
				rest = rest[n:]
			}
			assert.Equal(t, theirs.Sum64(), ours.Sum64())
			assert.Equal(t, theirs.Sum([]byte("prefix")), ours.Sum([]byte("prefix")))
			assert.Equal(t, theirs.Size(), ours.Size())
			assert.Equal(t, theirs.BlockSize(), ours.BlockSize())
		})
	}
}

func TestDigestReset(t *testing.T) {
	t.Parallel()
	d := New()
	_, _ = d.Write([]byte("discarded"))
	d.Reset()
	_, _ = d.Write([]byte("123456789"))
	assert.Equal(t, uint64(0x995dc9bbdf1939fa), d.Sum64())
}

// TestDigestStateInterchangesWithStdlib checks that a checkpoint holding a
// running CRC can be written by either package and resumed by the other.
func TestDigestStateInterchangesWithStdlib(t *testing.T) {
	t.Parallel()
	first, second := randomBytes(t, 3000, 7), randomBytes(t, 5000, 8)
	want := Checksum(append(append([]byte{}, first...), second...))

	ours, theirs := New(), crc64.New(crc64.MakeTable(crc64.ECMA))
	_, _ = ours.Write(first)
	_, _ = theirs.Write(first)
	ourState, err := ours.(encoding.BinaryMarshaler).MarshalBinary()
	require.NoError(t, err)
	theirState, err := theirs.(encoding.BinaryMarshaler).MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, theirState, ourState, "state bytes")

	resumedByStdlib := crc64.New(crc64.MakeTable(crc64.ECMA))
	require.NoError(t, resumedByStdlib.(encoding.BinaryUnmarshaler).UnmarshalBinary(ourState))
	_, _ = resumedByStdlib.Write(second)
	assert.Equal(t, want, resumedByStdlib.Sum64())

	resumedByUs := New()
	require.NoError(t, resumedByUs.(encoding.BinaryUnmarshaler).UnmarshalBinary(theirState))
	_, _ = resumedByUs.Write(second)
	assert.Equal(t, want, resumedByUs.Sum64())

	appended, err := ours.(encoding.BinaryAppender).AppendBinary([]byte("x"))
	require.NoError(t, err)
	assert.Equal(t, append([]byte("x"), ourState...), appended)
}

func TestDigestUnmarshalRejectsForeignState(t *testing.T) {
	t.Parallel()
	isoState, err := crc64.New(crc64.MakeTable(crc64.ISO)).(encoding.BinaryMarshaler).MarshalBinary()
	require.NoError(t, err)
	valid, err := New().(encoding.BinaryMarshaler).MarshalBinary()
	require.NoError(t, err)
	tests := []struct {
		name  string
		state []byte
		msg   string
	}{
		{name: "empty", state: nil, msg: "invalid identifier"},
		{name: "other hash", state: []byte("sha\x03" + string(valid[4:])), msg: "invalid identifier"},
		{name: "truncated", state: valid[:len(valid)-1], msg: "invalid size"},
		{name: "ISO table", state: isoState, msg: "not an ECMA-182 checksum"},
	}
	for _, tt := range tests {
		d := New()
		_, _ = d.Write([]byte("kept"))
		before := d.Sum64()
		err := d.(encoding.BinaryUnmarshaler).UnmarshalBinary(tt.state)
		require.Error(t, err, tt.name)
		assert.Contains(t, err.Error(), tt.msg, tt.name)
		assert.Equal(t, before, d.Sum64(), "%s: state must be untouched", tt.name)
	}
}

func TestDigestCloneIsIndependent(t *testing.T) {
	t.Parallel()
	d := New()
	_, _ = d.Write([]byte("1234"))
	c, err := d.(hash.Cloner).Clone()
	require.NoError(t, err)
	clone := c.(hash.Hash64)
	_, _ = clone.Write([]byte("56789"))
	assert.Equal(t, Checksum([]byte("1234")), d.Sum64())
	assert.Equal(t, uint64(0x995dc9bbdf1939fa), clone.Sum64())
}
