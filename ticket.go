package vodupload

// The client mode: an AppServer that holds the AccessKey registers media
// and hands out tickets; a client that holds none uploads with one.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/vodupload/vodupload/internal/partio"
	"github.com/vodupload/vodupload/internal/source"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// MediaKind says what VOD registered: a video (or audio), an image or an
// attached media file (watermark, subtitle, material).
type MediaKind string

// The media kinds.
const (
	KindVideo         MediaKind = "video"
	KindImage         MediaKind = "image"
	KindAttachedMedia MediaKind = "attached"
)

// UploadTicket is an upload address and credential for one media file, as
// an AppServer hands it to a web, mobile or device client that holds no
// AccessKey. UploadAddress and UploadAuth are the base64 strings exactly
// as VOD issued them, so VOD's own client SDKs accept them too.
//
// Its JSON is VOD's own answer to the Create… call, so those SDKs take it
// as it is:
//
//	video:    {"VideoId", "RequestId", "UploadAddress", "UploadAuth", "Expires"}
//	image:    {"ImageId", "ImageURL", "FileURL", "RequestId", "UploadAddress", "UploadAuth", "Expires"}
//	attached: {"MediaId", "MediaURL", "FileURL", "RequestId", "UploadAddress", "UploadAuth", "Expires"}
//
// with Expires in RFC 3339. Decoding takes exactly one of VideoId, ImageId
// and MediaId, which sets Kind, and ignores fields it does not know, such
// as an AppServer's own.
//
// The JSON carries UploadAuth in clear (that is its purpose), so send it
// only over TLS to the client you authorised. fmt and slog print a ticket
// with UploadAuth redacted.
type UploadTicket struct {
	Kind MediaKind
	// MediaID is the VideoId, ImageId or MediaId.
	MediaID   string
	RequestID string // of the VOD call that issued the ticket
	// UploadAddress and UploadAuth are VOD's base64 strings.
	UploadAddress string
	UploadAuth    string
	// MediaURL is where an image (ImageURL) or attached media file is
	// served; FileURL is the file's OSS URL. Both empty for videos.
	MediaURL string
	FileURL  string
	// Expires tells the client when to ask for a fresh credential.
	Expires time.Time
}

// ticketJSON is the wire shape of every kind; each kind fills its own IDs.
type ticketJSON struct {
	VideoID       string    `json:"VideoId,omitempty"`
	ImageID       string    `json:"ImageId,omitempty"`
	ImageURL      string    `json:"ImageURL,omitempty"`
	MediaID       string    `json:"MediaId,omitempty"`
	MediaURL      string    `json:"MediaURL,omitempty"`
	FileURL       string    `json:"FileURL,omitempty"`
	RequestID     string    `json:"RequestId,omitempty"`
	UploadAddress string    `json:"UploadAddress"`
	UploadAuth    string    `json:"UploadAuth"`
	Expires       time.Time `json:"Expires"`
}

// MarshalJSON writes the ticket in VOD's names for its kind.
func (t UploadTicket) MarshalJSON() ([]byte, error) {
	w := ticketJSON{RequestID: t.RequestID, UploadAddress: t.UploadAddress, UploadAuth: t.UploadAuth, Expires: t.Expires}
	switch t.Kind {
	case KindVideo:
		w.VideoID = t.MediaID
	case KindImage:
		w.ImageID, w.ImageURL, w.FileURL = t.MediaID, t.MediaURL, t.FileURL
	case KindAttachedMedia:
		w.MediaID, w.MediaURL, w.FileURL = t.MediaID, t.MediaURL, t.FileURL
	default:
		return nil, invalid("UploadTicket.Kind", "one of video, image, attached", string(t.Kind))
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a ticket in VOD's names; the ID present sets Kind.
func (t *UploadTicket) UnmarshalJSON(b []byte) error {
	var w ticketJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out := UploadTicket{RequestID: w.RequestID, UploadAddress: w.UploadAddress, UploadAuth: w.UploadAuth, Expires: w.Expires}
	ids := 0
	if w.VideoID != "" {
		ids++
		out.Kind, out.MediaID = KindVideo, w.VideoID
	}
	if w.ImageID != "" {
		ids++
		out.Kind, out.MediaID, out.MediaURL, out.FileURL = KindImage, w.ImageID, w.ImageURL, w.FileURL
	}
	if w.MediaID != "" {
		ids++
		out.Kind, out.MediaID, out.MediaURL, out.FileURL = KindAttachedMedia, w.MediaID, w.MediaURL, w.FileURL
	}
	if ids != 1 {
		return invalid("UploadTicket", "exactly one of VideoId, ImageId and MediaId", "")
	}
	*t = out
	return nil
}

// Format implements fmt.Formatter: every verb prints the ticket with
// UploadAuth redacted, so a stray log line does not leak it.
func (t UploadTicket) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "{Kind:%s MediaId:%s UploadAddress:%s UploadAuth:%s Expires:%s}",
		t.Kind, t.MediaID, t.UploadAddress, redacted, t.Expires.Format(time.RFC3339))
}

// String implements fmt.Stringer with the same redaction as Format.
func (t UploadTicket) String() string { return fmt.Sprint(t) }

// LogValue implements slog.LogValuer without the credential.
func (t UploadTicket) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("Kind", string(t.Kind)),
		slog.String("MediaId", t.MediaID),
		slog.String("UploadAddress", t.UploadAddress),
		slog.String("UploadAuth", redacted),
		slog.Time("Expires", t.Expires),
	)
}

// redacted stands in for a credential wherever one would be printed.
const redacted = "[REDACTED]"

// ticketOf is the ticket of a registration.
func ticketOf(kind MediaKind, up *vodapi.Upload) *UploadTicket {
	return &UploadTicket{Kind: kind, MediaID: up.MediaID, RequestID: up.RequestID,
		UploadAddress: up.RawAddress, UploadAuth: up.RawAuth.Reveal(),
		MediaURL: up.MediaURL, FileURL: up.FileURL, Expires: up.Auth.Expires}
}

// CreateVideoUpload registers a video with VOD and returns the ticket a
// client uploads it with (CreateUploadVideo), without uploading anything.
// The metadata is validated first, as UploadVideo does; FileName is
// required here since there is no source to take it from. fileSize may be
// 0 when unknown.
func (u *Uploader) CreateVideoUpload(ctx context.Context, m VideoMeta, fileSize int64) (*UploadTicket, error) {
	return u.issue(ctx, "CreateVideoUpload", KindVideo, u.video(m, nil), fileSize)
}

// CreateImageUpload registers an image and returns the ticket a client
// uploads it with (CreateUploadImage). Without ImageExt VOD registers a
// png.
func (u *Uploader) CreateImageUpload(ctx context.Context, m ImageMeta) (*UploadTicket, error) {
	return u.issue(ctx, "CreateImageUpload", KindImage, u.image(m), 0)
}

// CreateAttachedMediaUpload registers an attached media file and returns
// the ticket a client uploads it with (CreateUploadAttachedMedia).
// Set MediaExt or a FileName with an extension, or VOD decides the
// extension; fileSize may be 0 when unknown.
func (u *Uploader) CreateAttachedMediaUpload(ctx context.Context, m AttachedMediaMeta, fileSize int64) (*UploadTicket, error) {
	return u.issue(ctx, "CreateAttachedMediaUpload", KindAttachedMedia, u.attachedMedia(m), fileSize)
}

// issue is every Create…Upload: the register step of an upload whose
// bytes a client will send. The registration takes none of the
// Uploader's upload options (no checkpoint, no acceleration): the client's
// own options decide how it uploads.
func (u *Uploader) issue(ctx context.Context, op string, kind MediaKind, r registrar, fileSize int64) (*UploadTicket, error) {
	if fileSize < 0 {
		return nil, opError(op, invalid("FileSize", "not negative", sizeString(fileSize)))
	}
	// The client picks its own part size, so only OSS's absolute limit
	// applies: a larger file fits no upload, and VOD must not register it.
	if _, err := partio.PartSize(fileSize, MaxPartSize); err != nil {
		return nil, opError(op, fmt.Errorf("%w: %w", ErrTooLarge, err))
	}
	o := UploadOptions{Logger: u.opts.Upload.Logger}
	reg, err := r.register(ctx, o, &payload{Opened: &source.Opened{Size: fileSize}})
	if err != nil {
		return nil, opError(op, err)
	}
	return ticketOf(kind, reg.Upload), nil
}

// RefreshVideoUpload issues a fresh credential for a video created earlier
// (RefreshUploadVideo): the same VideoId and upload address, a new
// UploadAuth. Clients call it through their AppServer when a long upload
// outlives its credential, or to resume.
//
// VOD itself renews the credential of any video, even one long published,
// and that credential may overwrite its source file. So the video's status
// is read first (GetVideoInfo) and a video whose upload is complete gets
// ErrUploadComplete instead.
func (u *Uploader) RefreshVideoUpload(ctx context.Context, videoID string) (*UploadTicket, error) {
	const op = "RefreshVideoUpload"
	if videoID == "" {
		return nil, opError(op, invalid("VideoID", "required", ""))
	}
	info, err := u.vod.GetVideoInfo(ctx, videoID)
	if err != nil {
		return nil, opError(op, fmt.Errorf("video %s: %w", videoID, err))
	}
	if !stillUploading(info.Status) {
		return nil, opError(op, fmt.Errorf("video %s: status %s: %w", videoID, info.Status, ErrUploadComplete))
	}
	up, err := u.vod.RefreshUploadVideo(ctx, videoID)
	if err != nil {
		return nil, opError(op, fmt.Errorf("video %s: %w", videoID, err))
	}
	return ticketOf(KindVideo, up), nil
}

// stillUploading reports whether a video in this status may still have its
// source file written: Uploading (the initial status) and UploadFail (VOD
// says: retry the upload). Every other documented status — UploadSucc,
// Transcoding, TranscodeFail, Checking, Blocked, Normal, ProduceFail —
// comes after a complete upload, and so does any status VOD adds later.
// Reference: ApsaraVideo VOD API reference, "Basic data types", Status:
// the status of an audio or video file.
func stillUploading(status string) bool {
	return status == "Uploading" || status == "UploadFail"
}

// TicketRefresher obtains a fresh ticket for the same media, typically by
// asking the AppServer (which calls RefreshVideoUpload).
type TicketRefresher func(ctx context.Context) (*UploadTicket, error)

// UploadWithTicket uploads src with a ticket an AppServer issued (see
// CreateVideoUpload): the client mode, for devices and workers that hold no
// AccessKey. refresh, when not nil, is asked for a fresh ticket for the
// same media when the credential nears expiry or OSS rejects it; without
// it the upload must finish within the ticket's lifetime.
func (u *Uploader) UploadWithTicket(ctx context.Context, src Source, t *UploadTicket, refresh TicketRefresher,
	opts ...UploadOption) (*Result, error) {
	const op = "UploadWithTicket"
	created, err := decodeTicket(t, time.Now())
	if err != nil {
		return nil, opError(op, err)
	}
	_, res, err := u.upload(ctx, op, opts, openSource(src), ticketed(created, refresh))
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// ticketed is the registrar of a ticket upload: the media is registered
// already, and refresh renews its credential.
func ticketed(created *vodapi.Upload, refresh TicketRefresher) registrar {
	r := registrar{register: func(context.Context, UploadOptions, *payload) (*registration, error) {
		return &registration{Upload: created}, nil
	}}
	if refresh == nil {
		return r
	}
	r.renew = func(ctx context.Context, reg *registration) (*vodapi.Upload, error) {
		fresh, err := refresh(ctx)
		if err != nil {
			return nil, err
		}
		up, err := decodeTicket(fresh, time.Now())
		if err != nil {
			return nil, err
		}
		if up.MediaID != reg.MediaID || up.Address != reg.Address {
			return nil, invalid("UploadTicket", "a refreshed ticket must be for the same media and address", up.MediaID)
		}
		return up, nil
	}
	return r
}

// decodeTicket turns a ticket into the address and credential the engine
// uses; received anchors a lifetime given only in seconds.
func decodeTicket(t *UploadTicket, received time.Time) (*vodapi.Upload, error) {
	if t == nil {
		return nil, invalid("UploadTicket", "required", "")
	}
	addr, err := vodapi.DecodeAddress(t.UploadAddress)
	if err != nil {
		return nil, &ValidationError{Field: "UploadTicket.UploadAddress", Rule: err.Error()}
	}
	auth, err := vodapi.DecodeAuth(t.UploadAuth, received)
	if err != nil {
		return nil, &ValidationError{Field: "UploadTicket.UploadAuth", Rule: err.Error()}
	}
	return &vodapi.Upload{MediaID: t.MediaID, RequestID: t.RequestID, Address: addr, Auth: auth,
		RawAddress: t.UploadAddress, RawAuth: vodapi.Secret(t.UploadAuth), MediaURL: t.MediaURL, FileURL: t.FileURL}, nil
}
