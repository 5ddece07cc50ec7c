package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload"
	"github.com/vodupload/vodupload/internal/emulator"
)

func TestTicketCredentialRedaction(t *testing.T) {
	t.Parallel()
	const auth, refresh = "c2VjcmV0LWF1dGg=", "r1.1.secret-mac"
	a := ticketAnswer{ticket: &vodupload.UploadTicket{Kind: vodupload.KindVideo, MediaID: "v1", UploadAuth: auth},
		refreshToken: credential(refresh)}

	printed := fmt.Sprintf("%v %+v %#v %s %q", a.ticket, a.ticket, a.ticket, a.refreshToken, a.refreshToken)
	assert.NotContains(t, printed, auth)
	assert.NotContains(t, printed, refresh)

	var logs syncBuffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("ticket", "ticket", a, "refresh", a.refreshToken)
	assert.NotContains(t, logs.String(), auth)
	assert.NotContains(t, logs.String(), refresh)

	b, err := json.Marshal(a)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"UploadAuth":"`+auth+`"`, "the client still receives the credential")
	assert.Contains(t, string(b), `"RefreshToken":"`+refresh+`"`)
}

// TestTicketShapeIsUploadTicket: every kind's answer is exactly
// vodupload.UploadTicket's JSON, plus RefreshToken for videos, and a Go
// client decodes it with encoding/json alone.
func TestTicketShapeIsUploadTicket(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Options{}, Options{})
	tests := []struct {
		path, body string
		kind       vodupload.MediaKind
		keys       []string
	}{
		{"/v1/videos", goodVideo, vodupload.KindVideo,
			[]string{"VideoId", "RequestId", "UploadAddress", "UploadAuth", "Expires", "RefreshToken"}},
		{"/v1/images", `{"image_ext":"png"}`, vodupload.KindImage,
			[]string{"ImageId", "ImageURL", "FileURL", "RequestId", "UploadAddress", "UploadAuth", "Expires"}},
		{"/v1/attached-media", `{"business_type":"subtitle","file_name":"a.vtt"}`, vodupload.KindAttachedMedia,
			[]string{"MediaId", "MediaURL", "FileURL", "RequestId", "UploadAddress", "UploadAuth", "Expires"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			t.Parallel()
			r := h.post(t, tt.path, tt.body)
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
			var keys map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(r.body, &keys))
			got := make([]string, 0, len(keys))
			for k := range keys {
				got = append(got, k)
			}
			assert.ElementsMatch(t, tt.keys, got)

			var ticket vodupload.UploadTicket
			require.NoError(t, json.Unmarshal(r.body, &ticket))
			assert.Equal(t, tt.kind, ticket.Kind)
			assert.NotEmpty(t, ticket.MediaID)
			assert.WithinDuration(t, time.Now().Add(emulator.DefaultSTSTTL), ticket.Expires, time.Minute)

			// Without RefreshToken, the answer is byte for byte what the
			// ticket marshals to.
			delete(keys, "RefreshToken")
			stripped, err := json.Marshal(keys)
			require.NoError(t, err)
			own, err := json.Marshal(ticket)
			require.NoError(t, err)
			assert.JSONEq(t, string(own), string(stripped))
		})
	}
}
