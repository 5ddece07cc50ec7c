package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

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

// ticketAnswer is a ticket as the AppServer sends it: exactly
// vodupload.UploadTicket's JSON (VOD's own field names, which VOD's client
// SDKs expect and UploadTicket decodes), plus RefreshToken for videos. It
// is written out explicitly: a struct embedding the ticket would have the
// ticket's MarshalJSON promoted, and RefreshToken would silently vanish.
type ticketAnswer struct {
	ticket *vodupload.UploadTicket
	// refreshToken (videos only) is what POST /v1/videos/{id}/refresh asks
	// for: proof that this client created the video.
	refreshToken credential
}

func (a ticketAnswer) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(a.ticket)
	if err != nil || a.refreshToken == "" {
		return b, err
	}
	rt, err := json.Marshal(string(a.refreshToken))
	if err != nil {
		return nil, err
	}
	// b is one JSON object: the field goes before its closing brace.
	out := append(b[:len(b)-1:len(b)-1], `,"RefreshToken":`...)
	return append(append(out, rt...), '}'), nil
}

// LogValue keeps the credentials out of logs: the ticket's own LogValue
// redacts UploadAuth, and the refresh token is redacted here.
func (a ticketAnswer) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("ticket", a.ticket), slog.String("RefreshToken", redacted))
}

// credential is a refresh token: it must reach the client in JSON, which
// encodes it as the plain string it is, yet never a log line, so fmt and
// slog print a placeholder. (The ticket's UploadAuth is redacted by
// UploadTicket itself.)
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
