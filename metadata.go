package vodupload

// What VOD records about each kind of media, and VOD's rules for it,
// checked before any network call so bad input never creates a record.
// Each request builder lists its checks as data (meta.Violation values, nil
// when a rule holds) and reports the first that fails.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vodupload/vodupload/internal/meta"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// VideoMeta is what VOD records about a video or audio file
// (CreateUploadVideo's parameters).
type VideoMeta struct {
	// Title is required: at most 128 bytes of UTF-8.
	Title string
	// FileName is the source file name VOD records; its extension decides
	// the format. Default: the source's name.
	FileName        string
	Description     string   // at most 1024 bytes
	CoverURL        string   // a custom thumbnail URL
	CateID          int64    // category; 0 for none
	Tags            []string // at most 16, each at most 32 bytes, no commas
	TemplateGroupID string   // transcoding template group
	WorkflowID      string   // wins over TemplateGroupID
	StorageLocation string   // a storage address other than the default
	AppID           string   // default app-1000000
	UserData        *UserData
}

// UserData is VOD's per-upload extension: callbacks, custom fields,
// upload acceleration.
type UserData struct {
	MessageCallback  *MessageCallback  `json:"MessageCallback,omitempty"`
	Extend           map[string]string `json:"Extend,omitempty"`
	AccelerateConfig *AccelerateConfig `json:"AccelerateConfig,omitempty"`
}

// MessageCallback overrides the event notification of one upload.
type MessageCallback struct {
	CallbackURL  string `json:"CallbackURL,omitempty"`
	CallbackType string `json:"CallbackType,omitempty"` // "http" or "mns", any case
}

// AccelerateConfig turns on OSS transfer acceleration for one upload.
type AccelerateConfig struct {
	Type   string `json:"Type"`   // "oss"
	Domain string `json:"Domain"` // e.g. https://oss-accelerate.aliyuncs.com
}

// ImageMeta is what VOD records about an image (CreateUploadImage).
type ImageMeta struct {
	// ImageType is "default" (sent when empty: VOD requires one) or
	// "cover". Watermarks are attached media.
	ImageType string
	// ImageExt is png, jpg, jpeg, gif, heic or webp. Default: the source
	// name's extension, else none, and VOD's default png applies.
	ImageExt        string
	Title           string // at most 128 bytes
	Description     string // at most 1024 bytes
	CateID          int64
	Tags            []string
	StorageLocation string
	AppID           string
	UserData        *UserData
}

// AttachedMediaMeta is what VOD records about an auxiliary file
// (CreateUploadAttachedMedia).
type AttachedMediaMeta struct {
	// BusinessType is required: "watermark" (png, gif, apng, mov),
	// "subtitle" (srt, ass, stl, ttml, vtt) or "material" (jpg, gif, png,
	// mp4, mat, zip, apk).
	BusinessType string
	// MediaExt defaults to FileName's extension; FileName defaults to the
	// source's name. Both are optional for VOD.
	MediaExt        string
	FileName        string
	Title           string
	Description     string
	CateIDs         []int64 // at most 5
	Tags            []string
	StorageLocation string
	AppID           string
	UserData        *UserData
}

// videoRequest validates m against VOD's rules and converts it.
func videoRequest(m VideoMeta, size int64) (vodapi.CreateVideoRequest, error) {
	checks := []*meta.Violation{
		meta.Text("Title", m.Title, meta.MaxTitleBytes, true),
		meta.FileName("FileName", m.FileName, meta.VideoOrAudio),
		meta.Text("Description", m.Description, meta.MaxDescriptionBytes, false),
		meta.Tags(m.Tags),
		nonNegative("CateID", m.CateID),
	}
	if err := firstViolation(checks); err != nil {
		return vodapi.CreateVideoRequest{}, err
	}
	userData, err := encodeUserData(m.UserData)
	if err != nil {
		return vodapi.CreateVideoRequest{}, err
	}
	return vodapi.CreateVideoRequest{
		Title: m.Title, FileName: m.FileName, FileSize: max(size, 0), Description: m.Description,
		CoverURL: m.CoverURL, CateID: m.CateID, Tags: m.Tags,
		TemplateGroupID: m.TemplateGroupID, WorkflowID: m.WorkflowID,
		StorageLocation: m.StorageLocation, AppID: m.AppID, UserData: userData,
	}, nil
}

func imageRequest(m ImageMeta, name string) (vodapi.CreateImageRequest, error) {
	ext := m.ImageExt
	if ext == "" {
		ext = meta.Ext(name)
	}
	ext = strings.ToLower(ext)
	checks := []*meta.Violation{
		meta.Text("Title", m.Title, meta.MaxTitleBytes, false),
		meta.Text("Description", m.Description, meta.MaxDescriptionBytes, false),
		meta.Tags(m.Tags),
		nonNegative("CateID", m.CateID),
	}
	if m.ImageType != "" && !meta.ImageType(m.ImageType) {
		checks = append(checks, &meta.Violation{Field: "ImageType", Rule: meta.ImageTypeRule, Value: m.ImageType})
	}
	if ext != "" && !meta.Image(ext) {
		checks = append(checks, &meta.Violation{Field: "ImageExt", Rule: meta.ImageExtRule, Value: ext})
	}
	if err := firstViolation(checks); err != nil {
		return vodapi.CreateImageRequest{}, err
	}
	userData, err := encodeUserData(m.UserData)
	if err != nil {
		return vodapi.CreateImageRequest{}, err
	}
	return vodapi.CreateImageRequest{
		ImageType: m.ImageType, ImageExt: ext, Title: m.Title, Description: m.Description,
		CateID: m.CateID, Tags: m.Tags, OriginalFileName: name, StorageLocation: m.StorageLocation,
		AppID: m.AppID, UserData: userData,
	}, nil
}

func attachedRequest(m AttachedMediaMeta, name string, size int64) (vodapi.CreateAttachedMediaRequest, error) {
	if m.FileName == "" {
		m.FileName = name
	}
	ext := strings.ToLower(m.MediaExt)
	if ext == "" {
		ext = meta.Ext(m.FileName)
	}
	checks := []*meta.Violation{
		meta.Text("Title", m.Title, meta.MaxTitleBytes, false),
		meta.Text("Description", m.Description, meta.MaxDescriptionBytes, false),
		meta.Tags(m.Tags),
	}
	if len(m.CateIDs) > meta.MaxCateIDs {
		checks = append(checks, &meta.Violation{Field: "CateIDs", Rule: "at most 5", Value: intString(len(m.CateIDs))})
	}
	for i, id := range m.CateIDs {
		checks = append(checks, nonNegative(fmt.Sprintf("CateIDs[%d]", i), id))
	}
	switch ok, known := meta.Attached(m.BusinessType, ext); {
	case !known:
		checks = append(checks, &meta.Violation{Field: "BusinessType", Rule: meta.BusinessTypeRule, Value: m.BusinessType})
	case !ok:
		checks = append(checks, &meta.Violation{Field: "MediaExt", Rule: meta.AttachedRule(m.BusinessType), Value: ext})
	}
	if err := firstViolation(checks); err != nil {
		return vodapi.CreateAttachedMediaRequest{}, err
	}
	userData, err := encodeUserData(m.UserData)
	if err != nil {
		return vodapi.CreateAttachedMediaRequest{}, err
	}
	return vodapi.CreateAttachedMediaRequest{
		BusinessType: m.BusinessType, MediaExt: ext, Title: m.Title, FileName: m.FileName,
		FileSize: max(size, 0), Description: m.Description, CateIDs: m.CateIDs, Tags: m.Tags,
		StorageLocation: m.StorageLocation, AppID: m.AppID, UserData: userData,
	}, nil
}

// nonNegative is the rule of a category ID: 0 means none, and VOD's IDs
// are positive.
func nonNegative(field string, id int64) *meta.Violation {
	if id >= 0 {
		return nil
	}
	return &meta.Violation{Field: field, Rule: "not negative", Value: strconv.FormatInt(id, 10)}
}

func firstViolation(checks []*meta.Violation) error {
	for _, v := range checks {
		if v != nil {
			return invalid(v.Field, v.Rule, v.Value)
		}
	}
	return nil
}

// accelerated adds OSS acceleration to d when the Accelerate option is on
// and the caller did not configure it: VOD must know, or the accelerate
// endpoint refuses the credential.
func (o UploadOptions) accelerated(d *UserData) *UserData {
	if !o.Accelerate || (d != nil && d.AccelerateConfig != nil) {
		return d
	}
	out := UserData{}
	if d != nil {
		out = *d
	}
	out.AccelerateConfig = &AccelerateConfig{Type: "oss", Domain: ossclient.AccelerateEndpoint}
	return &out
}

func encodeUserData(d *UserData) (string, error) {
	if d == nil {
		return "", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", invalid("UserData", "must serialise to JSON", err.Error())
	}
	if v := meta.Extend(d.Extend); v != nil {
		return "", invalid(v.Field, v.Rule, v.Value)
	}
	if cb := d.MessageCallback; cb != nil && cb.CallbackType != "" &&
		!strings.EqualFold(cb.CallbackType, "http") && !strings.EqualFold(cb.CallbackType, "mns") {
		// VOD's two callback methods (SetMessageCallback's CallbackType,
		// UserData's MessageCallback): anything else would be accepted into
		// UserData and notify nobody.
		return "", invalid("UserData.MessageCallback.CallbackType", "http or mns", cb.CallbackType)
	}
	return string(b), nil
}
