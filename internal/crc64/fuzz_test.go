package crc64

import (
	"testing"
)

func FuzzUpdate(f *testing.F) {
	f.Add([]byte("123456789"), uint64(0))
	f.Add(make([]byte, 200), ^uint64(0))
	f.Fuzz(func(t *testing.T, data []byte, crc uint64) {
		want := stdlib(crc, data)
		for _, impl := range implementations() {
			if got := impl.fn(crc, data); got != want {
				t.Fatalf("%s(%#x, %d bytes) = %#x, want %#x", impl.name, crc, len(data), got, want)
			}
		}
	})
}

func FuzzCombine(f *testing.F) {
	f.Add([]byte("12345"), []byte("6789"))
	f.Add([]byte{}, []byte("abc"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		want := stdlib(stdlib(0, a), b)
		if got := Combine(Checksum(a), Checksum(b), int64(len(b))); got != want {
			t.Fatalf("Combine over %d+%d bytes = %#x, want %#x", len(a), len(b), got, want)
		}
	})
}
