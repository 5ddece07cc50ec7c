package vodapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleUpload() *Upload {
	rawAuth := b64(`{"AccessKeyId":"STS.abc","AccessKeySecret":"` + testSecret + `","SecurityToken":"` + testToken + `","Expiration":"3000"}`)
	return &Upload{
		MediaID:   "0123456789abcdef0123456789abcdef",
		RequestID: "REQ",
		Address:   UploadAddress{Endpoint: "https://oss", Bucket: "outin-1", FileName: "sv/a/a.mp4"},
		Auth: UploadAuth{
			AccessKeyID:     "STS.abc",
			AccessKeySecret: testSecret,
			SecurityToken:   testToken,
			Lifetime:        3000 * time.Second,
			Expires:         time.Date(2024, 1, 1, 0, 50, 0, 0, time.UTC),
		},
		RawAddress: b64(`{"Endpoint":"https://oss","Bucket":"outin-1","FileName":"sv/a/a.mp4"}`),
		RawAuth:    Secret(rawAuth),
	}
}

// renderings are the ways an Upload ends up in logs by accident.
func renderings(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("upload", "v", v)
		out[name] = buf.String()
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	out["json"] = string(b)
	return out
}

func TestSecretsNeverRendered(t *testing.T) {
	t.Parallel()
	u := sampleUpload()
	for name, v := range map[string]any{
		"Upload": u, "*Upload": &u, "UploadAuth": u.Auth, "Secret": u.Auth.SecurityToken,
		"in a slice": []any{u.Auth}, "in a map": map[string]any{"auth": u.Auth},
	} {
		for how, text := range renderings(t, v) {
			assert.NotContains(t, text, testSecret, "%s via %s", name, how)
			assert.NotContains(t, text, testToken, "%s via %s", name, how)
			assert.NotContains(t, text, u.RawAuth.Reveal(), "%s via %s", name, how)
		}
	}
	assert.Contains(t, fmt.Sprintf("%+v", u.Auth), "STS.abc", "non-secret fields stay visible")
	assert.Contains(t, fmt.Sprintf("%v", u.Auth), redacted)
}
