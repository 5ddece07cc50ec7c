package emulator

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// BenchmarkPutObject measures the emulator's OSS body path, plain HTTP and
// TLS, in StorageDiscard mode (CRC64 only, no MD5), so the listener and
// TLS record handling are what differ.
//
//	go test -run '^$' -bench PutObject -benchtime 20x ./internal/emulator
func BenchmarkPutObject(b *testing.B) {
	body := make([]byte, 64<<20)
	for _, mode := range []struct {
		name string
		tls  bool
	}{{"http", false}, {"https", true}} {
		b.Run(mode.name, func(b *testing.B) {
			srv, err := New(Options{Storage: StorageDiscard, TLS: mode.tls})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			const key = "sv/bench/put.mp4"
			c := issue(srv, key)
			hc := srv.Client()
			url := srv.URL + "/" + testBucket + "/" + key
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for range b.N {
				req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				signNow(req, c, key)
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
