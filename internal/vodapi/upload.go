package vodapi

import (
	"fmt"
	"log/slog"
	"time"
)

// Upload is what a Create* or RefreshUploadVideo call returns: the media
// ID, where to upload and the credential to do it with.
//
// Printing or logging an Upload never shows the credential (see Secret),
// and neither does json.Marshal. To hand the upload to a web or mobile
// client, as an AppServer does, send ClientPayload instead.
type Upload struct {
	MediaID   string // VideoId, ImageId or MediaId, depending on the call
	RequestID string
	Address   UploadAddress
	Auth      UploadAuth
	// RawAddress and RawAuth are the base64 strings exactly as VOD sent
	// them, for clients that decode them themselves.
	RawAddress string
	RawAuth    Secret
	// MediaURL and FileURL are set by CreateUploadImage (ImageURL, FileURL)
	// and CreateUploadAttachedMedia (MediaURL, FileURL).
	MediaURL string
	FileURL  string
}

// ClientPayload is the part of an Upload an AppServer gives its client:
// the raw UploadAddress and UploadAuth as VOD issued them. It marshals to
// JSON with the credential in clear, which is its purpose, so send it only
// over TLS to the client you authorised; fmt and slog still redact it.
type ClientPayload struct {
	MediaID       string `json:"MediaId"`
	RequestID     string `json:"RequestId,omitempty"`
	UploadAddress string `json:"UploadAddress"`
	UploadAuth    string `json:"UploadAuth"`
	MediaURL      string `json:"MediaURL,omitempty"`
	FileURL       string `json:"FileURL,omitempty"`
	// Expires tells the client when to ask for a fresh credential.
	Expires time.Time `json:"Expires"`
}

// ClientPayload returns the payload for the client that will upload.
func (u *Upload) ClientPayload() ClientPayload {
	return ClientPayload{
		MediaID:       u.MediaID,
		RequestID:     u.RequestID,
		UploadAddress: u.RawAddress,
		UploadAuth:    u.RawAuth.Reveal(),
		MediaURL:      u.MediaURL,
		FileURL:       u.FileURL,
		Expires:       u.Auth.Expires,
	}
}

// Format implements fmt.Formatter: every verb prints the payload with
// UploadAuth redacted, so a stray log line does not leak it.
func (p ClientPayload) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "{MediaId:%s UploadAddress:%s UploadAuth:%s Expires:%s}",
		p.MediaID, p.UploadAddress, redacted, p.Expires.Format(time.RFC3339))
}

// String implements fmt.Stringer with the same redaction as Format.
func (p ClientPayload) String() string { return fmt.Sprint(p) }

// LogValue implements slog.LogValuer without the credential.
func (p ClientPayload) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("MediaId", p.MediaID),
		slog.String("UploadAddress", p.UploadAddress),
		slog.String("UploadAuth", redacted),
		slog.Time("Expires", p.Expires),
	)
}

var _ interface {
	fmt.Formatter
	fmt.Stringer
	slog.LogValuer
} = ClientPayload{}
