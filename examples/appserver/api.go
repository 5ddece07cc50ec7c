package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/vodupload/vodupload"
)

// The wire format: requests are snake_case JSON mirroring the VOD
// parameters of the same names; responses are tickets in VOD's own field
// names with VOD's UploadAddress and UploadAuth unchanged (base64), so
// VOD's web, iOS and Android upload SDKs take them as they are and a Go
// client decodes them into vodupload.UploadTicket (see README.md).

type videoRequest struct {
	Title           string    `json:"title"`
	FileName        string    `json:"file_name"`
	FileSize        int64     `json:"file_size"`
	Description     string    `json:"description"`
	CoverURL        string    `json:"cover_url"`
	CateID          int64     `json:"cate_id"`
	Tags            []string  `json:"tags"`
	TemplateGroupID string    `json:"template_group_id"`
	WorkflowID      string    `json:"workflow_id"`
	StorageLocation string    `json:"storage_location"`
	AppID           string    `json:"app_id"`
	UserData        *userData `json:"user_data"`
}

type imageRequest struct {
	ImageType       string    `json:"image_type"`
	ImageExt        string    `json:"image_ext"`
	Title           string    `json:"title"`
	Description     string    `json:"description"`
	CateID          int64     `json:"cate_id"`
	Tags            []string  `json:"tags"`
	StorageLocation string    `json:"storage_location"`
	AppID           string    `json:"app_id"`
	UserData        *userData `json:"user_data"`
}

type attachedMediaRequest struct {
	BusinessType    string    `json:"business_type"`
	MediaExt        string    `json:"media_ext"`
	FileName        string    `json:"file_name"`
	FileSize        int64     `json:"file_size"`
	Title           string    `json:"title"`
	Description     string    `json:"description"`
	CateIDs         []int64   `json:"cate_ids"`
	Tags            []string  `json:"tags"`
	StorageLocation string    `json:"storage_location"`
	AppID           string    `json:"app_id"`
	UserData        *userData `json:"user_data"`
}

type userData struct {
	MessageCallback *struct {
		CallbackURL  string `json:"callback_url"`
		CallbackType string `json:"callback_type"`
	} `json:"message_callback"`
	Extend           map[string]string `json:"extend"`
	AccelerateConfig *struct {
		Type   string `json:"type"`
		Domain string `json:"domain"`
	} `json:"accelerate_config"`
}

func (u *userData) sdk() *vodupload.UserData {
	if u == nil {
		return nil
	}
	out := &vodupload.UserData{Extend: u.Extend}
	if mc := u.MessageCallback; mc != nil {
		out.MessageCallback = &vodupload.MessageCallback{CallbackURL: mc.CallbackURL, CallbackType: mc.CallbackType}
	}
	if ac := u.AccelerateConfig; ac != nil {
		out.AccelerateConfig = &vodupload.AccelerateConfig{Type: ac.Type, Domain: ac.Domain}
	}
	return out
}

func (v videoRequest) meta() vodupload.VideoMeta {
	return vodupload.VideoMeta{
		Title: v.Title, FileName: v.FileName, Description: v.Description, CoverURL: v.CoverURL,
		CateID: v.CateID, Tags: v.Tags, TemplateGroupID: v.TemplateGroupID, WorkflowID: v.WorkflowID,
		StorageLocation: v.StorageLocation, AppID: v.AppID, UserData: v.UserData.sdk(),
	}
}

func (v imageRequest) meta() vodupload.ImageMeta {
	return vodupload.ImageMeta{
		ImageType: v.ImageType, ImageExt: v.ImageExt, Title: v.Title, Description: v.Description,
		CateID: v.CateID, Tags: v.Tags, StorageLocation: v.StorageLocation, AppID: v.AppID,
		UserData: v.UserData.sdk(),
	}
}

func (v attachedMediaRequest) meta() vodupload.AttachedMediaMeta {
	return vodupload.AttachedMediaMeta{
		BusinessType: v.BusinessType, MediaExt: v.MediaExt, FileName: v.FileName, Title: v.Title,
		Description: v.Description, CateIDs: v.CateIDs, Tags: v.Tags, StorageLocation: v.StorageLocation,
		AppID: v.AppID, UserData: v.UserData.sdk(),
	}
}

// ticketResponse is a ticket as the client receives it, in VOD's own
// names (the CreateUploadVideo/Image/AttachedMedia answers' fields), which
// VOD's client SDKs expect and vodupload.UploadTicket decodes. Exactly one
// of the ID fields is set, by the kind of media.
type ticketResponse struct {
	VideoID       string     `json:"VideoId,omitempty"`
	ImageID       string     `json:"ImageId,omitempty"`
	ImageURL      string     `json:"ImageURL,omitempty"`
	MediaID       string     `json:"MediaId,omitempty"`
	MediaURL      string     `json:"MediaURL,omitempty"`
	FileURL       string     `json:"FileURL,omitempty"`
	RequestID     string     `json:"RequestId,omitempty"`
	UploadAddress string     `json:"UploadAddress"`
	UploadAuth    credential `json:"UploadAuth"`
	// Expires is when the credential lapses (RFC 3339); refresh before.
	Expires time.Time `json:"Expires"`
	// RefreshToken (videos only) is what POST /v1/videos/{id}/refresh
	// asks for: proof that this client created the video.
	RefreshToken credential `json:"RefreshToken,omitempty"`
}

// LogValue keeps the credential out of logs: slog would otherwise
// marshal the struct as JSON, credential included.
func (r ticketResponse) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", r.VideoID+r.ImageID+r.MediaID),
		slog.String("upload_address", r.UploadAddress),
		slog.String("upload_auth", redacted),
		slog.String("refresh_token", redacted),
		slog.Time("expires", r.Expires),
	)
}

func videoTicket(t *vodupload.UploadTicket) ticketResponse {
	r := baseTicket(t)
	r.VideoID = t.MediaID
	return r
}

func imageTicket(t *vodupload.UploadTicket) ticketResponse {
	r := baseTicket(t)
	r.ImageID, r.ImageURL, r.FileURL = t.MediaID, t.MediaURL, t.FileURL
	return r
}

func attachedMediaTicket(t *vodupload.UploadTicket) ticketResponse {
	r := baseTicket(t)
	r.MediaID, r.MediaURL, r.FileURL = t.MediaID, t.MediaURL, t.FileURL
	return r
}

func baseTicket(t *vodupload.UploadTicket) ticketResponse {
	return ticketResponse{UploadAddress: t.UploadAddress, UploadAuth: credential(t.UploadAuth),
		RequestID: t.RequestID, Expires: t.Expires}
}

// credential is an UploadAuth: it must reach the client in JSON, which
// encodes it as the plain string it is, yet never a log line, so fmt and
// slog print a placeholder.
type credential string

const redacted = "[REDACTED]"

func (credential) String() string             { return redacted }
func (credential) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }
func (credential) LogValue() slog.Value       { return slog.StringValue(redacted) }

var _ interface {
	fmt.Formatter
	fmt.Stringer
	slog.LogValuer
} = credential("")
