package checkpoint

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecode feeds whole files: Decode must never panic, must fail only with
// its typed errors, and whatever it accepts must survive a re-encode.
// Seeds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add(mustEncode(f, testRecord(0)))
	f.Add(mustEncode(f, testRecord(3)))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecode(t, b)
	})
}

// FuzzDecodePayload seals the input with a valid checksum first, because
// the SHA-256 otherwise keeps the fuzzer from ever reaching the JSON and
// field validation.
func FuzzDecodePayload(f *testing.F) {
	for _, n := range []int{0, 2} {
		b := mustEncode(f, testRecord(n))
		f.Add(b[len(Magic)+3+64+1:])
	}
	f.Add([]byte(`{"kind":"video","source":{"name":"x","size":0},"mediaId":"m","endpoint":"e","bucket":"b","objectKey":"k"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkDecode(t, seal(versionField, payload))
	})
}

func checkDecode(t *testing.T, b []byte) {
	r, err := Decode(b)
	if err != nil {
		require.True(t, errors.Is(err, ErrCorrupt) || errors.Is(err, ErrMagic) || errors.Is(err, ErrVersion),
			"untyped error: %v", err)
		require.Nil(t, r)
		return
	}
	again, err := Encode(r)
	require.NoError(t, err, "Decode accepted what Encode refuses")
	r2, err := Decode(again)
	require.NoError(t, err)
	require.Equal(t, r, r2)
	third, err := Encode(r2)
	require.NoError(t, err)
	require.Equal(t, again, third, "encoding is not deterministic")
}
