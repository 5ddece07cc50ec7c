package vodapi

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const (
	testSecret = "sk-0123456789abcdef"
	testToken  = "CAIS-token-0123456789abcdef"
)

func TestDecodeAuth(t *testing.T) {
	t.Parallel()
	received := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	full := `{"AccessKeyId":"STS.abc","AccessKeySecret":"` + testSecret + `","SecurityToken":"` + testToken + `"`
	tests := []struct {
		name     string
		in       string
		lifetime time.Duration
		expires  time.Time
		region   string
		wantErr  string
	}{
		{"all fields", b64(full + `,"Expiration":"3000","ExpireUTCTime":"2024-05-01T10:49:00Z","Region":"cn-shanghai"}`),
			3000 * time.Second, time.Date(2024, 5, 1, 10, 49, 0, 0, time.UTC), "cn-shanghai", ""},
		{"no ExpireUTCTime", b64(full + `,"Expiration":"3000"}`),
			3000 * time.Second, received.Add(3000 * time.Second), "", ""},
		{"numeric Expiration", b64(full + `,"Expiration":3600}`),
			time.Hour, received.Add(time.Hour), "", ""},
		{"only ExpireUTCTime", b64(full + `,"ExpireUTCTime":"2024-05-01T11:00:00Z"}`),
			time.Hour, received.Add(time.Hour), "", ""},
		{"unpadded url base64", base64.RawURLEncoding.EncodeToString([]byte(full + `,"Expiration":"60"}`)),
			time.Minute, received.Add(time.Minute), "", ""},
		{"surrounding space", " " + b64(full+`,"Expiration":"60"}`) + "\n",
			time.Minute, received.Add(time.Minute), "", ""},
		{"empty", "", 0, time.Time{}, "", "empty"},
		{"bad base64", "!!!not base64!!!", 0, time.Time{}, "", "not base64"},
		{"bad JSON", b64(`{"AccessKeySecret":"` + testSecret + `",`), 0, time.Time{}, "", "not valid JSON"},
		{"JSON array", b64(`["` + testSecret + `"]`), 0, time.Time{}, "", "not a JSON object"},
		{"secret is a number", b64(`{"AccessKeySecret":12345678901234}`), 0, time.Time{}, "", "field AccessKeySecret"},
		{"missing AccessKeyId", b64(`{"AccessKeySecret":"` + testSecret + `","SecurityToken":"t","Expiration":"1"}`),
			0, time.Time{}, "", "missing AccessKeyId"},
		{"missing secret", b64(`{"AccessKeyId":"a","SecurityToken":"` + testToken + `","Expiration":"1"}`),
			0, time.Time{}, "", "missing AccessKeySecret"},
		{"missing token", b64(`{"AccessKeyId":"a","AccessKeySecret":"` + testSecret + `","Expiration":"1"}`),
			0, time.Time{}, "", "missing SecurityToken"},
		{"missing validity", b64(full + `}`), 0, time.Time{}, "", "missing Expiration"},
		{"bad Expiration", b64(full + `,"Expiration":"soon"}`), 0, time.Time{}, "", "expiration is not a number"},
		{"NaN Expiration", b64(full + `,"Expiration":"NaN"}`), 0, time.Time{}, "", "expiration is not a number"},
		{"bad ExpireUTCTime", b64(full + `,"Expiration":"1","ExpireUTCTime":"tomorrow"}`), 0, time.Time{}, "", "ExpireUTCTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeAuth(tt.in, received)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrMalformed)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), testSecret)
				assert.NotContains(t, err.Error(), testToken)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "STS.abc", got.AccessKeyID)
			assert.Equal(t, testSecret, got.AccessKeySecret.Reveal())
			assert.Equal(t, testToken, got.SecurityToken.Reveal())
			assert.Equal(t, tt.lifetime, got.Lifetime)
			assert.True(t, tt.expires.Equal(got.Expires), "expires %v, want %v", got.Expires, tt.expires)
			assert.Equal(t, tt.region, got.Region)
		})
	}
}

func TestDecodeAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    UploadAddress
		dir     string
		wantErr string
	}{
		{"plain", b64(`{"Endpoint":"https://oss-cn-shanghai.aliyuncs.com","Bucket":"outin-1","FileName":"sv/a/a.mp4"}`),
			UploadAddress{"https://oss-cn-shanghai.aliyuncs.com", "outin-1", "sv/a/a.mp4", ""}, "sv/a/", ""},
		{"with prefix", b64(`{"Endpoint":"e","Bucket":"b","FileName":"sv/a/i.m3u8","ObjectPrefix":"sv/a/"}`),
			UploadAddress{"e", "b", "sv/a/i.m3u8", "sv/a/"}, "sv/a/", ""},
		{"top-level key", b64(`{"Endpoint":"e","Bucket":"b","FileName":"k.mp4"}`),
			UploadAddress{"e", "b", "k.mp4", ""}, "", ""},
		{"unknown fields ignored", b64(`{"Endpoint":"e","Bucket":"b","FileName":"k","Extra":1}`),
			UploadAddress{"e", "b", "k", ""}, "", ""},
		{"missing endpoint", b64(`{"Bucket":"b","FileName":"k"}`), UploadAddress{}, "", "missing Endpoint"},
		{"missing bucket", b64(`{"Endpoint":"e","FileName":"k"}`), UploadAddress{}, "", "missing Bucket"},
		{"missing file name", b64(`{"Endpoint":"e","Bucket":"b"}`), UploadAddress{}, "", "missing FileName"},
		{"bad base64", "%%%", UploadAddress{}, "", "not base64"},
		{"bad JSON", b64(`{"Endpoint":`), UploadAddress{}, "", "not valid JSON"},
		{"null", b64(`null`), UploadAddress{}, "", "missing Endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeAddress(tt.in)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrMalformed)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.dir, got.Dir())
		})
	}
}
