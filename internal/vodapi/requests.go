package vodapi

import (
	"encoding/json"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Request types carry every documented parameter of their action. Zero
// values are not sent, so VOD applies its defaults.

// CreateVideoRequest is CreateUploadVideo's input.
type CreateVideoRequest struct {
	Title       string // required, at most 128 bytes of UTF-8
	FileName    string // required; its extension must be a supported one
	FileSize    int64  // bytes
	Description string // at most 1024 bytes
	CoverURL    string
	CateID      int64
	Tags        []string // at most 16, each at most 32 bytes
	// TemplateGroupID selects transcoding; WorkflowID wins over it.
	TemplateGroupID string
	WorkflowID      string
	StorageLocation string
	AppID           string // VOD's default is app-1000000
	// UserData is a JSON object (MessageCallback, Extend,
	// AccelerateConfig) passed to VOD as is.
	UserData string
}

// CreateImageRequest is CreateUploadImage's input.
type CreateImageRequest struct {
	// ImageType is default or cover. VOD requires the parameter (it
	// answers MissingImageType without it), so an empty one is sent as
	// DefaultImageType, as the official upload SDKs do.
	ImageType        string
	ImageExt         string // png (VOD's default when not sent), jpg, jpeg, gif, heic or webp
	Title            string
	Description      string
	CateID           int64
	Tags             []string
	OriginalFileName string
	StorageLocation  string
	AppID            string
	UserData         string
}

// DefaultImageType is the ImageType sent when a CreateImageRequest has
// none: VOD's API reference marks the parameter required and names
// "default" as its value for ordinary images.
const DefaultImageType = "default"

// imageType is the ImageType CreateUploadImage is sent with.
func (r CreateImageRequest) imageType() string {
	if r.ImageType == "" {
		return DefaultImageType
	}
	return r.ImageType
}

// CreateAttachedMediaRequest is CreateUploadAttachedMedia's input.
type CreateAttachedMediaRequest struct {
	// BusinessType is required: watermark, subtitle or material.
	BusinessType string
	// MediaExt is the file extension; it must suit BusinessType. Derived
	// by VOD from FileName when empty.
	MediaExt        string
	Title           string
	FileName        string
	FileSize        int64
	Description     string
	CateID          int64
	CateIDs         []int64 // at most 5
	Tags            []string
	StorageLocation string
	AppID           string
	UserData        string
}

// UploadByURLRequest is UploadMediaByURL's input: VOD fetches each item's
// URL itself.
type UploadByURLRequest struct {
	Items           []URLItem // at most 20
	TemplateGroupID string
	WorkflowID      string
	StorageLocation string
	AppID           string
	UserData        string
}

// URLItem is one source of an UploadByURLRequest and its metadata.
type URLItem struct {
	URL string // required; sent URL-encoded, as VOD asks
	// Title is required in an UploadMetadata entry; when the item sends
	// one without a Title, the URL's file name is used.
	Title string
	// FileExtension is sent when it is not the URL's own: VOD needs it for
	// URLs without one.
	FileExtension   string
	FileSize        int64
	Description     string
	CoverURL        string
	CateID          int64
	Tags            []string
	TemplateGroupID string
	WorkflowID      string
}

// urlMetadata is one entry of UploadMetadatas. VOD's UploadMetadata table
// types FileSize and CateId as strings.
type urlMetadata struct {
	SourceURL       string `json:"SourceURL"`
	Title           string `json:"Title,omitempty"`
	FileExtension   string `json:"FileExtension,omitempty"`
	FileSize        int64  `json:"FileSize,omitempty,string"`
	Description     string `json:"Description,omitempty"`
	CoverURL        string `json:"CoverURL,omitempty"`
	CateID          int64  `json:"CateId,omitempty,string"`
	Tags            string `json:"Tags,omitempty"`
	TemplateGroupID string `json:"TemplateGroupId,omitempty"`
	WorkflowID      string `json:"WorkflowId,omitempty"`
}

// encodeURLItems builds UploadURLs and UploadMetadatas. Metadata is sent
// only for items that carry some, and then with the Title VOD requires.
func encodeURLItems(items []URLItem) (urls, metadata string, err error) {
	enc := make([]string, len(items))
	var meta []urlMetadata
	for i, it := range items {
		enc[i] = url.QueryEscape(it.URL)
		ext := it.FileExtension
		if strings.EqualFold(ext, urlExt(it.URL)) {
			ext = ""
		}
		m := urlMetadata{
			SourceURL: enc[i], Title: it.Title, FileExtension: ext,
			FileSize: it.FileSize, Description: it.Description, CoverURL: it.CoverURL,
			CateID: it.CateID, Tags: strings.Join(it.Tags, ","),
			TemplateGroupID: it.TemplateGroupID, WorkflowID: it.WorkflowID,
		}
		if m != (urlMetadata{SourceURL: enc[i]}) {
			if m.Title == "" {
				m.Title = urlTitle(it.URL)
			}
			meta = append(meta, m)
		}
	}
	if len(meta) > 0 {
		b, err := json.Marshal(meta)
		if err != nil {
			return "", "", err
		}
		metadata = string(b)
	}
	return strings.Join(enc, ","), metadata, nil
}

// urlExt is the extension of a URL's path, without the dot.
func urlExt(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(path.Ext(u.Path), ".")
}

// urlTitle is a title for a URL item that has none: the file name of its
// path, cut to the 128 bytes VOD allows without splitting a character.
func urlTitle(raw string) string {
	name := "video"
	if u, err := url.Parse(raw); err == nil && path.Base(u.Path) != "/" && path.Base(u.Path) != "." {
		name = path.Base(u.Path)
	}
	const maxTitleBytes = 128
	for len(name) > maxTitleBytes {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// URLJob is an accepted UploadMediaByURL source.
type URLJob struct {
	JobID     string
	SourceURL string
}

// URLUploadInfos is GetURLUploadInfos' answer.
type URLUploadInfos struct {
	Jobs []URLUploadInfo
	// NonExistent lists the requested job IDs VOD does not know.
	NonExistent []string
}

// URLUploadInfo is the state of one URL upload job.
type URLUploadInfo struct {
	JobID        string
	SourceURL    string
	MediaID      string // the video the job creates
	Status       string // as VOD reports it; see Done and Succeeded
	ErrorCode    string
	ErrorMessage string
	FileSize     int64
	UserData     string
	Created      time.Time
	Completed    time.Time // zero until the job ends
}

// Succeeded reports whether the job finished and its media exists. VOD's
// documentation shows both SUCCESS and Normal for this; either counts.
func (i URLUploadInfo) Succeeded() bool {
	switch strings.ToUpper(i.Status) {
	case "SUCCESS", "UPLOAD_SUCCESS", "NORMAL":
		return true
	}
	return false
}

// Done reports whether the job has ended, successfully or not.
func (i URLUploadInfo) Done() bool {
	s := strings.ToUpper(i.Status)
	return i.Succeeded() || strings.Contains(s, "FAIL") || strings.Contains(s, "CANCEL")
}

// VideoInfo is the part of GetVideoInfo an uploader cares about.
type VideoInfo struct {
	VideoID         string
	Title           string
	Description     string
	Status          string // Uploading, UploadSucc, Transcoding, Normal, UploadFail, ...
	Size            int64  // bytes of the source file, once uploaded
	Duration        float64
	CoverURL        string
	CateID          int64
	Tags            []string
	TemplateGroupID string
	StorageLocation string
	AppID           string
	RegionID        string
	Created         time.Time
}

// parseVODTime reads VOD's timestamps: RFC 3339 UTC, or the
// "2006-01-02 15:04:05" form some fields use. Unknown forms give zero.
func parseVODTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// splitTags splits VOD's comma-separated tags.
func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// itoa formats an optional integer parameter: 0 is not sent.
func itoa(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func joinInts(ns []int64) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(s, ",")
}
