package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload"
)

// failingIssuer answers every call with err, or panics when err is nil.
type failingIssuer struct{ err error }

func (f failingIssuer) fail() (*vodupload.UploadTicket, error) {
	if f.err == nil {
		panic("issuer bug")
	}
	return nil, f.err
}

func (f failingIssuer) CreateVideoUpload(context.Context, vodupload.VideoMeta, int64) (*vodupload.UploadTicket, error) {
	return f.fail()
}

func (f failingIssuer) RefreshVideoUpload(context.Context, string) (*vodupload.UploadTicket, error) {
	return f.fail()
}

func (f failingIssuer) CreateImageUpload(context.Context, vodupload.ImageMeta) (*vodupload.UploadTicket, error) {
	return f.fail()
}

func (f failingIssuer) CreateAttachedMediaUpload(context.Context, vodupload.AttachedMediaMeta, int64) (*vodupload.UploadTicket, error) {
	return f.fail()
}

func vodError(status int, code, msg string) error {
	return fmt.Errorf("CreateVideoUpload: %w", &vodupload.APIError{Service: vodupload.ServiceVOD, Op: "CreateUploadVideo",
		StatusCode: status, Code: code, Message: msg, RequestID: "REQ-1"})
}

func TestVODErrorMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter string
		message    string // exact when set
	}{
		{"not found passes through", vodError(404, "InvalidVideo.NotFound", "The video does not exist."), 404, "InvalidVideo.NotFound", "", "The video does not exist."},
		{"VOD rejects a parameter", vodError(400, "InvalidFileName.Extension", "bad ext"), 400, "InvalidFileName.Extension", "", "bad ext"},
		{"throttled by VOD", vodError(400, "Throttling.User", "slow down"), 503, "Throttling.User", "1", ""},
		{"VOD unavailable", vodError(503, "ServiceUnavailable", "busy"), 503, "ServiceUnavailable", "1", ""},
		{"VOD internal error", vodError(500, "InternalError", "oops"), 502, "InternalError", "", ""},
		{"AppServer key unknown", vodError(404, "InvalidAccessKeyId.NotFound", "Specified access key LTAIxyz is not found."), 502, "InvalidAccessKeyId.NotFound", "", "VOD rejected the AppServer's credentials"},
		{"AppServer signature", vodError(400, "SignatureDoesNotMatch", "string to sign: secret stuff"), 502, "SignatureDoesNotMatch", "", "VOD rejected the AppServer's credentials"},
		{"RAM policy", vodError(403, "Forbidden.RAM", "user not authorized"), 502, "Forbidden.RAM", "", "VOD rejected the AppServer's credentials"},
		{"VOD too slow", fmt.Errorf("vod: %w", context.DeadlineExceeded), 504, "GatewayTimeout", "", ""},
		{"network failure", errors.New("vod CreateUploadVideo: dial tcp: connection refused"), 502, "UpstreamError", "", "the call to VOD failed"},
		{"validation", &vodupload.ValidationError{Field: "Title", Rule: "required"}, 400, "InvalidParameter", "", "invalid title: required"},
		{"handler panic", nil, 500, "InternalError", "", "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, err := NewServer(failingIssuer{err: tt.err}, Options{Clients: clients(testToken)})
			require.NoError(t, err)
			app := httptest.NewServer(srv)
			defer app.Close()
			r := call(t, app.URL, http.MethodPost, "/v1/videos", nil, goodVideo)
			require.Equal(t, tt.status, r.status, string(r.body))
			d := r.errorDetail(t)
			assert.Equal(t, tt.code, d.Code)
			assert.Equal(t, tt.retryAfter, r.header.Get("Retry-After"))
			if tt.message != "" {
				assert.Equal(t, tt.message, d.Message)
			}
			var ae *vodupload.APIError
			if errors.As(tt.err, &ae) {
				assert.Equal(t, "REQ-1", d.RequestID)
			}
		})
	}
}

func TestNewServerNeedsTokens(t *testing.T) {
	t.Parallel()
	good := clients(testToken)
	for name, opts := range map[string]Options{
		"none":        {},
		"short":       {Clients: clients("0123456789abcde")},
		"repeated":    {Clients: clients(testToken, testToken)},
		"bad name":    {Clients: []Client{{Name: "a b", Token: testToken}}},
		"long name":   {Clients: []Client{{Name: strings.Repeat("n", 65), Token: testToken}}},
		"short key":   {Clients: good, RefreshKeys: [][]byte{[]byte("short")}},
		"bad origin":  {Clients: good, CORSOrigins: []string{"https://app.example.com/path"}},
		"star origin": {Clients: good, CORSOrigins: []string{"*"}},
	} {
		_, err := NewServer(failingIssuer{}, opts)
		assert.Error(t, err, name)
	}
	_, err := NewServer(nil, Options{Clients: clients(testToken)})
	assert.Error(t, err)
}
