package ossclient

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/partio"
)

type staticCreds struct{}

func (staticCreds) GetCredentials() oss.Credentials { return creds{} }

type creds struct{}

func (creds) GetAccessKeyID() string     { return "id" }
func (creds) GetAccessKeySecret() string { return "secret" }
func (creds) GetSecurityToken() string   { return "token" }

// capture answers every request with an empty 200 and an ETag, keeping
// the request body as the SDK handed it to the transport.
type capture struct{ body io.Reader }

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	c.body = r.Body
	_, _ = io.Copy(io.Discard, r.Body)
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Etag": {`"abc"`}},
		Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

// TestEngineBodyReachesTheTransportUnwrapped: the SDK passes the engine's
// body to net/http as it is (it is an io.ReadCloser), so the connection
// can find WriteChunks on it and send a part buffer without copying.
func TestEngineBodyReachesTheTransportUnwrapped(t *testing.T) {
	t.Parallel()
	tr := &capture{}
	c, err := New(Config{Endpoint: "http://127.0.0.1:1", Bucket: "bucket", Credentials: staticCreds{},
		HTTPClient: &http.Client{Transport: tr}})
	require.NoError(t, err)
	body := partio.NewMemBody([]byte("part bytes"), nil)
	_, err = c.UploadPart(context.Background(), "k", "upload", 1, body, 10)
	require.NoError(t, err)
	assert.Equal(t, any(body), any(tr.body), "the SDK wrapped the body in %T", tr.body)
	_, err = c.PutObject(context.Background(), "k", partio.NewMemBody([]byte("x"), nil), 1)
	require.NoError(t, err)
	_, ok := tr.body.(*partio.Body)
	assert.True(t, ok, "PutObject: the SDK wrapped the body in %T", tr.body)
}
