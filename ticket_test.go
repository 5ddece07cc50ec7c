package vodupload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/vodapi"
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
	assert.ErrorIs(t, err, ErrCredentialExpired, "what a caller checks to know it needs a TicketRefresher")
	assert.False(t, ue.Deleted, "a ticket's record is the AppServer's, never deleted by the client")
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
	for name, issue := range map[string]func() (*UploadTicket, error){
		"video": func() (*UploadTicket, error) {
			return u.CreateVideoUpload(t.Context(), VideoMeta{Title: "t", FileName: "t.mp4"}, -1)
		},
		"attached media": func() (*UploadTicket, error) {
			return u.CreateAttachedMediaUpload(t.Context(), AttachedMediaMeta{BusinessType: "subtitle", FileName: "a.vtt"}, -1)
		},
	} {
		_, err := issue()
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, name)
		assert.Equal(t, "FileSize", ve.Field, name)
	}
	assert.Empty(t, srv.Counters().Requests, "refused before VOD")
}

// TestTicketIssuanceRefusesASizeNoUploadFits: a client's file larger than
// 10,000 parts of 5 GiB fits no multipart upload, whatever part size the
// client picks, so no record is registered for it.
func TestTicketIssuanceRefusesASizeNoUploadFits(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	tooLarge := int64(MaxParts)*MaxPartSize + 1
	for name, issue := range map[string]func() (*UploadTicket, error){
		"video": func() (*UploadTicket, error) {
			return u.CreateVideoUpload(t.Context(), VideoMeta{Title: "t", FileName: "t.mp4"}, tooLarge)
		},
		"attached media": func() (*UploadTicket, error) {
			return u.CreateAttachedMediaUpload(t.Context(), AttachedMediaMeta{BusinessType: "material", FileName: "a.mp4"}, tooLarge)
		},
	} {
		_, err := issue()
		require.ErrorIs(t, err, ErrTooLarge, name)
	}
	assert.Empty(t, srv.Counters().Requests, "refused before VOD")
	_, err := u.CreateVideoUpload(t.Context(), VideoMeta{Title: "t", FileName: "t.mp4"}, tooLarge-1)
	require.NoError(t, err, "the largest size that fits is registered")
}

// TestUploadTicketJSONIsVODsAnswer: a ticket travels in the names VOD's
// own Create… answer uses, so VOD's web and mobile SDKs take it as it is,
// and comes back as the same ticket.
func TestUploadTicketJSONIsVODsAnswer(t *testing.T) {
	t.Parallel()
	expires := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	base := UploadTicket{MediaID: "m-1", RequestID: "r-1", UploadAddress: "YWRkcg==", UploadAuth: "YXV0aA==", Expires: expires}
	tests := []struct {
		kind     MediaKind
		mediaURL string
		want     []string // the JSON's names
	}{
		{KindVideo, "", []string{"VideoId", "RequestId", "UploadAddress", "UploadAuth", "Expires"}},
		{KindImage, "https://img.example/1.png", []string{"ImageId", "ImageURL", "FileURL", "RequestId", "UploadAddress", "UploadAuth", "Expires"}},
		{KindAttachedMedia, "https://media.example/1.vtt", []string{"MediaId", "MediaURL", "FileURL", "RequestId", "UploadAddress", "UploadAuth", "Expires"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			t.Parallel()
			tk := base
			tk.Kind = tt.kind
			if tt.mediaURL != "" {
				tk.MediaURL, tk.FileURL = tt.mediaURL, "https://oss.example/file"
			}
			b, err := json.Marshal(tk)
			require.NoError(t, err)
			var wire map[string]any
			require.NoError(t, json.Unmarshal(b, &wire))
			assert.ElementsMatch(t, tt.want, slices.Collect(maps.Keys(wire)))
			assert.Equal(t, "m-1", wire[tt.want[0]], "the kind's own ID name")
			assert.Equal(t, "YXV0aA==", wire["UploadAuth"], "the client gets the real credential")
			assert.Equal(t, expires.Format(time.RFC3339), wire["Expires"], "RFC 3339")

			var back UploadTicket
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, tk, back)
		})
	}

	var tk UploadTicket
	require.NoError(t, json.Unmarshal([]byte(`{"VideoId":"v","UploadAddress":"a","UploadAuth":"x","RefreshToken":"app's own"}`), &tk),
		"fields an AppServer adds are ignored")
	assert.Equal(t, KindVideo, tk.Kind)
	for _, doc := range []string{`{"UploadAddress":"a","UploadAuth":"x"}`, `{"VideoId":"v","MediaId":"m"}`} {
		assert.ErrorIs(t, json.Unmarshal([]byte(doc), &tk), ErrValidation, doc)
	}
	_, err := json.Marshal(UploadTicket{MediaID: "no kind"})
	assert.ErrorIs(t, err, ErrValidation)
}

// TestIssuedTicketsCarryTheCredentialOnlyInJSON: every kind's ticket
// holds VOD's real UploadAuth for the client, in JSON, and fmt and slog
// print it redacted in every form.
func TestIssuedTicketsCarryTheCredentialOnlyInJSON(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	ctx := t.Context()
	video, err := u.CreateVideoUpload(ctx, VideoMeta{Title: "t", FileName: "t.mp4"}, 10)
	require.NoError(t, err)
	image, err := u.CreateImageUpload(ctx, ImageMeta{ImageExt: "png"})
	require.NoError(t, err)
	attached, err := u.CreateAttachedMediaUpload(ctx, AttachedMediaMeta{BusinessType: "subtitle", FileName: "a.vtt"}, 10)
	require.NoError(t, err)

	for kind, tk := range map[MediaKind]*UploadTicket{KindVideo: video, KindImage: image, KindAttachedMedia: attached} {
		assert.Equal(t, kind, tk.Kind)
		b, err := json.Marshal(tk)
		require.NoError(t, err)
		var back UploadTicket
		require.NoError(t, json.Unmarshal(b, &back))
		auth, err := vodapi.DecodeAuth(back.UploadAuth, time.Now())
		require.NoError(t, err, kind)
		assert.NotEmpty(t, auth.SecurityToken.Reveal(), kind)

		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("issued", "ticket", tk)
		slog.New(slog.NewTextHandler(&logs, nil)).Info("issued", "ticket", *tk)
		for _, text := range []string{fmt.Sprint(tk), fmt.Sprintf("%v %+v %s %#v", *tk, *tk, *tk, *tk), tk.String(), logs.String()} {
			assert.NotContains(t, text, tk.UploadAuth, kind)
			assert.Contains(t, text, tk.MediaID, kind)
		}
	}
}
