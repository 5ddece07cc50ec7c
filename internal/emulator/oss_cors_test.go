package emulator

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// preflightRequest is what a browser sends before ali-oss's request.
func preflightRequest(t *testing.T, srv *Server, path, host, origin, method, headers string) *http.Request {
	t.Helper()
	req := mustRequest(t, http.MethodOptions, "http://"+srv.listener.Addr().String()+path)
	if host != "" {
		req.Host = host
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if method != "" {
		req.Header.Set("Access-Control-Request-Method", method)
	}
	if headers != "" {
		req.Header.Set("Access-Control-Request-Headers", headers)
	}
	return req
}

// aliOSSHeaders are the non-simple headers ali-oss's browser client sends.
const aliOSSHeaders = "authorization,content-type,x-oss-date,x-oss-security-token,x-oss-user-agent"

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	issue(srv, "sv/cors/c.mp4")
	const origin = "http://localhost:5173"
	objectPath := "/sv/cors/c.mp4?uploads"
	bucketHost := testBucket + ".oss-cn-shanghai.aliyuncs.com"

	for _, method := range []string{"GET", "PUT", "POST", "DELETE", "HEAD"} {
		for name, target := range map[string][2]string{
			"object, bucket Host":      {objectPath, bucketHost},
			"bucket root, bucket Host": {"/?uploads", bucketHost},
			"object, path style":       {"/" + testBucket + "/sv/cors/c.mp4", ""},
		} {
			t.Run(method+" "+name, func(t *testing.T) {
				t.Parallel()
				resp, body := doRaw(t, srv.Client(), preflightRequest(t, srv, target[0], target[1], origin, method, aliOSSHeaders))
				require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
				h := resp.Header
				assert.Equal(t, origin, h.Get("Access-Control-Allow-Origin"))
				assert.Equal(t, "GET, PUT, POST, DELETE, HEAD", h.Get("Access-Control-Allow-Methods"))
				assert.Equal(t, aliOSSHeaders, h.Get("Access-Control-Allow-Headers"))
				assert.Equal(t, "ETag, x-oss-request-id, x-oss-version-id", h.Get("Access-Control-Expose-Headers"))
				assert.Empty(t, h.Get("Access-Control-Max-Age"), "no MaxAgeSeconds configured")
				assert.Regexp(t, ossRequestID, h.Get("x-oss-request-id"))
				assert.Empty(t, body)
			})
		}
	}

	refused := []struct {
		name                    string
		origin, method, headers string
	}{
		{"no Origin", "", "PUT", ""},
		{"no Access-Control-Request-Method", origin, "", ""},
		{"method outside the rule", origin, "PATCH", ""},
	}
	for _, tt := range refused {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := doRaw(t, srv.Client(), preflightRequest(t, srv, objectPath, bucketHost, tt.origin, tt.method, tt.headers))
			e := requireOSSError(t, resp, body, http.StatusForbidden, "AccessForbidden", "")
			assert.Contains(t, e.Message, "CORSResponse: This CORS request is not allowed.")
			assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
		})
	}
	t.Run("unknown bucket", func(t *testing.T) {
		t.Parallel()
		resp, body := doRaw(t, srv.Client(), preflightRequest(t, srv, "/k", "outin-nobody.localhost", origin, "PUT", ""))
		requireOSSError(t, resp, body, http.StatusNotFound, "NoSuchBucket", "0015-00000101", "BucketName")
	})
}

func TestCORSConfiguredOrigins(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{CORSOrigins: []string{"https://app.example.com", "http://*.example.org"}, CORSMaxAge: 600})
	issue(srv, "sv/cors/o.mp4")
	host := testBucket + ".localhost"
	for origin, allowed := range map[string]bool{
		"https://app.example.com":   true,
		"http://a.b.example.org":    true,
		"http://example.org":        false,
		"https://app.example.com.x": false,
		"http://app.example.com":    false,
	} {
		t.Run(origin, func(t *testing.T) {
			t.Parallel()
			resp, body := doRaw(t, srv.Client(), preflightRequest(t, srv, "/sv/cors/o.mp4", host, origin, "PUT", ""))
			if !allowed {
				requireOSSError(t, resp, body, http.StatusForbidden, "AccessForbidden", "")
				return
			}
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "600", resp.Header.Get("Access-Control-Max-Age"))
			assert.Empty(t, resp.Header.Get("Access-Control-Allow-Headers"), "none asked for")
		})
	}
}

func TestCORSHeadersOnSignedRequests(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	const key = "sv/cors/signed.mp4"
	c := issue(srv, key)
	const origin = "https://upload.example.com"
	withOrigin := http.Header{"Origin": {origin}}

	resp, body := rawOSS(t, srv, c, http.MethodPut, key, "", []byte("x"), withOrigin)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "ETag, x-oss-request-id, x-oss-version-id", resp.Header.Get("Access-Control-Expose-Headers"))
	assert.NotEmpty(t, resp.Header.Get("ETag"), "exposed, so ali-oss can read it")

	resp, body = rawOSS(t, srv, c, http.MethodGet, "sv/cors/missing.mp4", "", nil, withOrigin)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, string(body))
	assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"), "error answers too, so the browser shows them")

	resp, _ = rawOSS(t, srv, c, http.MethodGet, key, "", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "no Origin, no CORS headers")
	assert.Positive(t, srv.Counters().Requests["PutObject"])
}
