package vodupload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// TestClientModeUploadWithTicket is the AppServer flow: the server holds
// the AccessKey and issues tickets; the client holds none and uploads with
// the ticket, asking the server for fresh ones as they expire.
func TestClientModeUploadWithTicket(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{STSTTL: 1500 * time.Millisecond,
		Faults: emulator.Faults{BandwidthBPS: 1 << 20}})
	appServer := newUploader(t, srv)
	path, data := writeFile(t, "client.mp4", 6*mib)

	ticket, err := appServer.CreateVideoUpload(context.Background(), VideoMeta{Title: "from a phone", FileName: "client.mp4"}, int64(len(data)))
	require.NoError(t, err)
	require.NotEmpty(t, ticket.MediaID)

	// The ticket crosses the wire as JSON.
	wire, err := json.Marshal(ticket)
	require.NoError(t, err)
	var got UploadTicket
	require.NoError(t, json.Unmarshal(wire, &got))

	var refreshes atomic.Int32
	refresh := func(ctx context.Context) (*UploadTicket, error) {
		refreshes.Add(1)
		return appServer.RefreshVideoUpload(ctx, got.MediaID)
	}
	device, err := New(WithPartSize(256<<10), WithMultipartThreshold(256<<10), WithRetry(8, 5*time.Millisecond, 100*time.Millisecond))
	require.NoError(t, err)
	res, err := device.UploadWithTicket(context.Background(), FileSource(path), &got, refresh)
	require.NoError(t, err)
	stored, err := srv.Object(res.Bucket, res.ObjectKey)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, stored))
	assert.Equal(t, ticket.MediaID, res.MediaID)
	assert.Positive(t, refreshes.Load(), "the client renewed its credential through the AppServer")
}

func TestUploadWithTicketWithoutRefreshFailsOnceExpired(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	appServer := newUploader(t, srv)
	path, _ := writeFile(t, "late.mp4", 1000)
	ticket, err := appServer.CreateVideoUpload(context.Background(), VideoMeta{Title: "late", FileName: "late.mp4"}, 1000)
	require.NoError(t, err)
	srv.ExpireCredentials()

	_, err = appServer.UploadWithTicket(context.Background(), FileSource(path), ticket, nil)
	var ue *UploadError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, ticket.MediaID, ue.MediaID)
}

func TestTicketsNeverPrintTheCredential(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	ticket, err := u.CreateVideoUpload(context.Background(), VideoMeta{Title: "t", FileName: "t.mp4"}, 10)
	require.NoError(t, err)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("issued", "ticket", ticket)
	for _, s := range []string{fmt.Sprint(ticket), fmt.Sprintf("%+v", *ticket), fmt.Sprintf("%#v", ticket), logs.String()} {
		assert.NotContains(t, s, ticket.UploadAuth)
	}
}

func TestBadTicketIsValidationError(t *testing.T) {
	t.Parallel()
	u, err := New(WithCredentials(StaticCredentials("id", "secret")))
	require.NoError(t, err)
	path, _ := writeFile(t, "x.mp4", 10)
	for _, ticket := range []*UploadTicket{nil, {MediaID: "x", UploadAddress: "not base64", UploadAuth: "x"}} {
		_, err := u.UploadWithTicket(context.Background(), FileSource(path), ticket, nil)
		assert.ErrorIs(t, err, ErrValidation)
	}
}

func TestTicketIssuanceRefusesANegativeSize(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	var ve *ValidationError
	_, err := u.CreateVideoUpload(context.Background(), VideoMeta{Title: "t", FileName: "t.mp4"}, -1)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "FileSize", ve.Field)
	_, err = u.CreateAttachedMediaUpload(context.Background(), AttachedMediaMeta{BusinessType: "subtitle", FileName: "a.vtt"}, -1)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "FileSize", ve.Field)
	assert.Empty(t, srv.Counters().Requests, "refused before VOD")
}
