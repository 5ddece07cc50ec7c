package emulator

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vod"
	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTLSCertificate(t *testing.T) {
	t.Parallel()
	srv, err := New(Options{TLS: true, Hostname: "emulator.test"})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(srv.URL, "https://emulator.test:"), srv.URL)
	require.NotEmpty(t, srv.CertFile)

	pemBytes, err := os.ReadFile(srv.CertFile)
	require.NoError(t, err)
	block, _ := pem.Decode(pemBytes)
	require.NotNil(t, block)
	ca, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.True(t, ca.IsCA, "the file holds the authority clients trust")

	// The leaf the listener presents verifies against the file for every
	// name a client may use.
	conn, err := tls.Dial("tcp", srv.listener.Addr().String(), &tls.Config{RootCAs: srv.CertPool(), ServerName: "localhost"})
	require.NoError(t, err)
	leaf := conn.ConnectionState().PeerCertificates[0]
	require.NoError(t, conn.Close())
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemBytes))
	for _, name := range []string{"127.0.0.1", "::1", "localhost", "outin-abc.localhost", "emulator.test",
		"outin-abc.emulator.test", "oss-cn-shanghai.aliyuncs.com", "outin-abc.oss-cn-shanghai.aliyuncs.com",
		"outin-abc.oss-cn-shanghai-internal.aliyuncs.com"} {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pool})
		assert.NoError(t, err, name)
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: pool})
	assert.Error(t, err)

	srv.Close()
	_, err = os.Stat(srv.CertFile)
	assert.True(t, errors.Is(err, os.ErrNotExist), "a temporary certificate file is removed on Close")

	t.Run("CertFile is written where asked and kept", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "emulator.pem")
		srv, err := New(Options{TLS: true, CertFile: path})
		require.NoError(t, err)
		srv.Close()
		assert.Equal(t, path, srv.CertFile)
		_, err = os.Stat(path)
		assert.NoError(t, err)
	})
	t.Run("a Hostname that is an IP is in the certificate", func(t *testing.T) {
		t.Parallel()
		srv := newOSSServer(t, Options{TLS: true, Hostname: "192.0.2.7"})
		require.True(t, strings.HasPrefix(srv.URL, "https://192.0.2.7:"), srv.URL)
		conn, err := tls.Dial("tcp", srv.listener.Addr().String(), &tls.Config{RootCAs: srv.CertPool(), ServerName: "192.0.2.7"})
		require.NoError(t, err, "the leaf verifies for the advertised IP")
		require.NoError(t, conn.Close())
	})
	t.Run("plain HTTP has none", func(t *testing.T) {
		t.Parallel()
		srv := newOSSServer(t, Options{})
		assert.Empty(t, srv.CertFile)
		assert.Nil(t, srv.CertPool())
		assert.True(t, strings.HasPrefix(srv.URL, "http://"))
	})
}

func TestTLSOfficialSDKs(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{TLS: true})
	require.True(t, strings.HasPrefix(srv.URL, "https://127.0.0.1:"), srv.URL)

	// The VOD SDK over HTTPS, trusting the emulator's authority.
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	client.SetTransport(srv.Client().Transport)
	req := vod.CreateCreateUploadVideoRequest()
	req.SetDomain(srv.Host())
	req.SetScheme("HTTPS")
	req.Title, req.FileName = "tls", "tls.mp4"
	res, err := client.CreateUploadVideo(req)
	require.NoError(t, err)
	addr, auth := decodeB64JSON(t, res.UploadAddress), decodeB64JSON(t, res.UploadAuth)
	assert.Equal(t, srv.URL, addr["Endpoint"], "UploadAddress advertises https")
	key := addr["FileName"]

	// The OSS SDK uploads over HTTPS to the advertised address.
	ossClient, err := oss.New(addr["Endpoint"], auth["AccessKeyId"], auth["AccessKeySecret"],
		oss.SecurityToken(auth["SecurityToken"]), oss.HTTPClient(srv.Client()))
	require.NoError(t, err)
	b, err := ossClient.Bucket(addr["Bucket"])
	require.NoError(t, err)
	data := randomBytes(600<<10+1, 31)
	dir := t.TempDir()
	src := filepath.Join(dir, "tls.mp4")
	require.NoError(t, os.WriteFile(src, data, 0o600))
	require.NoError(t, b.UploadFile(key, src, 200<<10, oss.Routines(3)))
	assert.Equal(t, data, readObject(t, b, key))

	t.Run("a client that does not trust it is refused", func(t *testing.T) {
		t.Parallel()
		_, err := http.Get(srv.URL + "/")
		var unknown x509.UnknownAuthorityError
		assert.ErrorAs(t, err, &unknown)
	})
	t.Run("injected resets still reset under TLS", func(t *testing.T) {
		t.Parallel()
		s2 := newOSSServer(t, Options{TLS: true, Faults: Faults{ResetRate: 1, ResetAfter: 1024}})
		c := issue(s2, "sv/tls/reset.mp4")
		rb := sdkBucket(t, s2, c, oss.HTTPClient(s2.Client()))
		err := rb.PutObject("sv/tls/reset.mp4", bytes.NewReader(randomBytes(64<<10, 2)))
		require.Error(t, err)
		var se oss.ServiceError
		assert.False(t, errors.As(err, &se), "no answer, the connection was cut: %v", err)
		assert.Equal(t, int64(1), s2.Counters().Faults["reset"])
	})
}
