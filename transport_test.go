package vodupload

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/wire"
)

// TestDefaultTransportStoresTheBytes uploads a file and a stream of
// unknown size through the default transport's large writes, over plain
// HTTP and over TLS, with write sizes that do and do not divide the part
// size, and checks the stored object byte for byte: file parts go through
// the connection's buffer, stream parts straight from their part buffers.
func TestDefaultTransportStoresTheBytes(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, tlsMode := range []bool{false, true} {
		for _, write := range []int{0, 100 << 10, 1 << 20} {
			uploadThroughWire(t, tlsMode, write)
		}
	}
}

func uploadThroughWire(t *testing.T, tlsMode bool, write int) {
	const partSize = MinPartSize + 12345
	srv, err := emulator.New(emulator.Options{TLS: tlsMode})
	require.NoError(t, err)
	defer srv.Close()
	cfg := wire.Config{WriteSize: write}
	if tlsMode {
		cfg.TLS = &tls.Config{RootCAs: srv.CertPool(), MinVersion: tls.VersionTLS12}
	}
	client := newHTTPClient(cfg)
	defer client.CloseIdleConnections()
	u := newUploader(t, srv, WithHTTPClient(client), WithPartSize(partSize), WithConcurrency(3),
		WithMultipartThreshold(partSize))
	path, data := writeFile(t, "in.mp4", int(5*partSize+777))
	res, err := u.UploadVideo(context.Background(), FileSource(path), VideoMeta{Title: "file"})
	require.NoError(t, err, "tls %v write %d", tlsMode, write)
	requireStored(t, srv, &res.Result, data)
	assert.Equal(t, 6, res.Parts)

	res, err = u.UploadVideo(context.Background(), ReaderSource(bytes.NewReader(data), -1, "in.mp4"),
		VideoMeta{Title: "stream"})
	require.NoError(t, err, "tls %v write %d", tlsMode, write)
	requireStored(t, srv, &res.Result, data)
}

// TestDefaultClientIsHTTP1WithLargeWrites pins what New builds when no
// client is given: the wire transport, HTTP/1.1 only.
func TestDefaultClientIsHTTP1WithLargeWrites(t *testing.T) {
	t.Parallel()
	tr, ok := defaultHTTPClient().Transport.(*http.Transport)
	require.True(t, ok)
	assert.NotNil(t, tr.DialContext)
	assert.NotNil(t, tr.DialTLSContext)
	assert.True(t, tr.Protocols.HTTP1())
	assert.False(t, tr.Protocols.HTTP2())
	assert.Equal(t, []string{"http/1.1"}, tr.TLSClientConfig.NextProtos)
	assert.True(t, tr.DisableCompression)
}
