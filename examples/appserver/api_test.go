package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTicketCredentialRedaction(t *testing.T) {
	t.Parallel()
	const auth = "c2VjcmV0LWF1dGg="
	tr := ticketResponse{VideoID: "v1", UploadAuth: credential(auth)}

	printed := fmt.Sprintf("%v %+v %#v %s %q", tr, tr, tr, tr.UploadAuth, tr.UploadAuth)
	assert.NotContains(t, printed, auth)
	assert.Contains(t, printed, redacted)

	var logs syncBuffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("ticket", "ticket", tr, "auth", tr.UploadAuth)
	assert.NotContains(t, logs.String(), auth)

	b, err := json.Marshal(tr)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"UploadAuth":"`+auth+`"`, "the client still receives the credential")
}
