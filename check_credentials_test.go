package vodupload

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// failingProvider stands for a provider chain that found nothing; its
// error is as long and noisy as the SDK's default chain's.
type failingProvider struct{ name string }

func (p failingProvider) GetCredentials() (*credentials.Credentials, error) {
	return nil, errors.New("unable to get credentials from any of the providers in the chain: " + strings.Repeat("noise, ", 40))
}
func (p failingProvider) GetProviderName() string { return p.name }

// vodAnswering is a VOD endpoint that answers every call with one error.
func vodAnswering(t *testing.T, status int, code string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"RequestId":"R-1","HostId":"vod.cn-shanghai.aliyuncs.com","Code":"` + code + `","Message":"refused"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name       string
		endpoint   string
		creds      CredentialsProvider
		ok         bool
		credential bool   // a *CredentialError
		code       string // its Code
		provider   string
		message    string // in Error()
	}{
		{"working key", srv.URL, StaticCredentials(srv.AccessKeyID, srv.AccessKeySecret), true, false, "", "", ""},
		{"unknown key", srv.URL, StaticCredentials("LTAI-not-a-key", "whatever"), false, true,
			"InvalidAccessKeyId.NotFound", "static_ak", "StaticCredentials"},
		{"wrong secret", srv.URL, StaticCredentials(srv.AccessKeyID, "wrong-secret"), false, true,
			"SignatureDoesNotMatch", "static_ak", "VOD refused the AccessKey"},
		{"chain found nothing", srv.URL, failingProvider{"default"}, false, true,
			"", "default", "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"},
		{"RAM policy", vodAnswering(t, http.StatusForbidden, "Forbidden.RAM"), StaticCredentials("id", "secret"), false, true,
			"Forbidden.RAM", "static_ak", "RAM policy"},
		{"VOD unavailable", vodAnswering(t, http.StatusServiceUnavailable, "ServiceUnavailable"), StaticCredentials("id", "secret"),
			false, false, "", "", "ServiceUnavailable"},
		{"VOD unreachable", closed.URL, StaticCredentials("id", "secret"), false, false, "", "", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := New(WithEndpoint(tt.endpoint), WithCredentials(tt.creds))
			require.NoError(t, err)
			err = u.CheckCredentials(context.Background())
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.message)
			assert.NotContains(t, err.Error(), "noise", "the provider chain's dump stays out of the message")
			for _, secret := range []string{srv.AccessKeySecret, "wrong-secret", "whatever"} {
				assert.NotContains(t, err.Error(), secret)
			}
			var ce *CredentialError
			if !tt.credential {
				assert.False(t, errors.As(err, &ce), "%v is no verdict on the credential", err)
				return
			}
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.code, ce.Code)
			assert.Equal(t, tt.provider, ce.Provider)
		})
	}
	assert.Zero(t, srv.Counters().Requests["CreateUploadVideo"], "the check creates nothing")
}

// TestCheckCredentialsNamesTheEnvironment: with nothing in the environment
// the error says which variables to set.
func TestCheckCredentialsNamesTheEnvironment(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
	srv := newEmulator(t, emulator.Options{})
	u, err := New(WithEndpoint(srv.URL), WithCredentials(EnvironmentCredentials()))
	require.NoError(t, err)
	err = u.CheckCredentials(context.Background())
	var ce *CredentialError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "env", ce.Provider)
	assert.Equal(t, "CheckCredentials: no VOD credential from the env provider: set ALIBABA_CLOUD_ACCESS_KEY_ID and "+
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for an STS token)", err.Error())
	assert.Zero(t, srv.Counters().Requests["GetVideoInfo"], "no call is signed without a credential")

	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", srv.AccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", srv.AccessKeySecret)
	require.NoError(t, u.CheckCredentials(context.Background()), "the provider reads the environment on every call")
}

func TestRefreshVideoUploadRefusesACompleteUpload(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	appServer := newUploader(t, srv)
	ctx := context.Background()
	path, data := writeFile(t, "done.mp4", 3000)
	ticket, err := appServer.CreateVideoUpload(ctx, VideoMeta{Title: "done", FileName: "done.mp4"}, int64(len(data)))
	require.NoError(t, err)

	fresh, err := appServer.RefreshVideoUpload(ctx, ticket.MediaID)
	require.NoError(t, err, "a video still uploading is renewed")
	assert.Equal(t, ticket.UploadAddress, fresh.UploadAddress)

	client, err := New()
	require.NoError(t, err)
	res, err := client.UploadWithTicket(ctx, FileSource(path), fresh, nil)
	require.NoError(t, err)
	requireStored(t, srv, res, data)

	before := srv.Counters().Refreshes
	_, err = appServer.RefreshVideoUpload(ctx, ticket.MediaID)
	require.ErrorIs(t, err, ErrUploadComplete)
	assert.Contains(t, err.Error(), "status UploadSucc")
	assert.Equal(t, before, srv.Counters().Refreshes, "no credential was issued for the finished video")

	_, err = appServer.RefreshVideoUpload(ctx, "ffffffffffffffffffffffffffffffff")
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "InvalidVideo.NotFound", ae.Code)
}

func TestStillUploading(t *testing.T) {
	t.Parallel()
	for status, want := range map[string]bool{
		"Uploading": true, "UploadFail": true,
		"UploadSucc": false, "Transcoding": false, "TranscodeFail": false, "Checking": false,
		"Blocked": false, "Normal": false, "ProduceFail": false, "": false, "SomethingNew": false,
	} {
		assert.Equal(t, want, stillUploading(status), status)
	}
}

// TestUploadWithoutCredentialSaysWhatToSet: an upload whose provider
// yields no credential fails with a *CredentialError of one line naming
// what to set, not the provider chain's list of complaints (which Unwrap
// still reaches), and before any request is sent.
func TestUploadWithoutCredentialSaysWhatToSet(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u, err := New(WithEndpoint(srv.URL), WithCredentials(failingProvider{name: "default"}))
	require.NoError(t, err)
	_, err = u.UploadVideo(t.Context(), ReaderSource(strings.NewReader("abc"), 3, "a.mp4"), VideoMeta{Title: "t"})
	var ce *CredentialError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "default", ce.Provider)
	assert.True(t, strings.HasPrefix(err.Error(), "UploadVideo: no VOD credential from the default provider: set ALIBABA_CLOUD_ACCESS_KEY_ID"), err.Error())
	assert.NotContains(t, err.Error(), "noise")
	assert.NotContains(t, err.Error(), "\n")
	assert.ErrorContains(t, ce.Err, "noise", "the provider's own complaint is still in the chain")
	assert.Empty(t, srv.Counters().Requests)
}
