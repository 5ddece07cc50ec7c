package emulator

import (
	"net/http"
	"strings"
)

// Which rule applies to which parameter of each action, as data. Sources:
// the API metadata in aliyun/aliyun-openapi-meta (metadatas/vod/*.json for
// "required", zh-CN/vod/*.json for the newest value lists) and VOD's API
// reference pages for limits and error codes. The table in EMULATION.md
// lists the same rules with their references.

// Extensions VOD accepts, case-insensitively ("Overview of media upload",
// supported formats; CreateUploadImage ImageExt; CreateUploadAttachedMedia
// MediaExt).
const (
	videoExts = "mp4 ts 3gp mpg mpeg mpe dat vob asf avi wmv flv f4v rm rmvb mov mkv m3u8 dv gif m2t m4v mj2 mjpeg mts ogg qt swf webm"
	audioExts = "mp3 wma wav aac ra m4a flac ape ac3 amr caf acm"
	imageExts = "png jpg jpeg gif heic webp"
)

// attachedExts lists the MediaExt values of each attached-media
// BusinessType.
func attachedExts(businessType string) string {
	switch strings.ToLower(businessType) {
	case "watermark":
		return "png gif apng mov"
	case "subtitle":
		return "srt ass stl ttml vtt"
	case "material":
		return "jpg gif png mp4 mat zip apk"
	}
	return ""
}

// Limits from VOD's API reference. Title and Description are in bytes
// (LengthExceededMax reads "has exceeded $MaxLength bytes"; the official
// upload SDKs cut titles to 128 bytes), tags in characters.
const (
	maxTitleBytes       = 128
	maxDescriptionBytes = 1024
	maxTags             = 16
	maxTagChars         = 32
	maxCateIDs          = 5
	maxExtendBytes      = 512
	maxURLJobs          = 20 // UploadMediaByURL UploadURLs
	maxInfoQueries      = 10 // GetURLUploadInfos JobIds or UploadURLs
	maxDeleteIDs        = 20 // DeleteImage ImageIds/ImageURLs, DeleteAttachedMedia MediaIds
)

// builtinTemplateGroup is the one transcoding template group every VOD
// account has; the emulator knows no others.
const builtinTemplateGroup = "VOD_NO_TRANSCODE"

var (
	titleRule       = []check{maxBytes(maxTitleBytes), legalText}
	descriptionRule = []check{maxBytes(maxDescriptionBytes), legalText}
)

// commonMediaRules are shared by the three Create* actions.
func (s *Server) commonMediaRules() []paramRule {
	return []paramRule{
		{name: "Description", checks: descriptionRule},
		{name: "CateId", checks: []check{integer}},
		{name: "Tags", checks: []check{tagList}},
		{name: "StorageLocation", checks: []check{s.knownStorage}},
		{name: "AppId", checks: []check{appID}},
		{name: "UserData", checks: []check{userData}},
	}
}

func (s *Server) createVideoRules() []paramRule {
	return append([]paramRule{
		{name: "Title", required: true, checks: titleRule},
		{name: "FileName", required: true, checks: []check{mediaFileName}},
		{name: "FileSize", checks: []check{integer}},
		{name: "TemplateGroupId", checks: []check{knownTemplateGroup}},
		{name: "ReferenceId", checks: []check{referenceID, s.unusedReferenceID}},
	}, s.commonMediaRules()...)
}

func (s *Server) createImageRules() []paramRule {
	return append([]paramRule{
		{name: "ImageType", required: true, checks: []check{oneOf("default", "cover")}},
		{name: "ImageExt", checks: []check{oneOf(strings.Fields(imageExts)...)}},
		{name: "Title", checks: titleRule},
	}, s.commonMediaRules()...)
}

// createAttachedRules: MediaExt and FileName are both optional, and
// MediaExt wins when they differ, so FileName's extension is checked only
// when it is the one used.
func (s *Server) createAttachedRules() []paramRule {
	return append([]paramRule{
		{name: "BusinessType", required: true, checks: []check{oneOf("watermark", "subtitle", "material")}},
		{name: "MediaExt", checks: []check{businessExtension}},
		{name: "FileName", checks: []check{businessExtension}},
		{name: "Title", checks: titleRule},
		{name: "FileSize", checks: []check{integer}},
		{name: "CateIds", checks: []check{cateIDList}},
	}, s.commonMediaRules()...)
}

// attachedExt is the extension an attached media file is registered
// with: MediaExt, else FileName's, else none.
func attachedExt(p rpcParams) string {
	if ext := strings.ToLower(p.get("MediaExt")); ext != "" {
		return ext
	}
	return fileExtension(p.get("FileName"))
}

// businessExtension checks the extension in use against the
// BusinessType's list. VOD documents no code for a mismatch;
// InvalidParameter is the emulator's choice.
func businessExtension(p rpcParams, name, _ string) *rpcError {
	if name == "FileName" && p.get("MediaExt") != "" {
		return nil // MediaExt wins
	}
	ext := attachedExt(p)
	if ext == "" && name == "FileName" {
		return nil // a file name without extension is allowed
	}
	if !inList(attachedExts(p.get("BusinessType")), ext) {
		return invalidParam(name)
	}
	return nil
}

func (s *Server) uploadByURLRules() []paramRule {
	return []paramRule{
		{name: "UploadURLs", required: true, checks: []check{urlList}},
		{name: "UploadMetadatas", checks: []check{uploadMetadatas}},
		{name: "TemplateGroupId", checks: []check{knownTemplateGroup}},
		{name: "StorageLocation", checks: []check{s.knownStorage}},
		{name: "AppId", checks: []check{appID}},
		{name: "UserData", checks: []check{userData}},
	}
}

// invalidUploadURLs is UploadMediaByURL's documented error for bad URLs.
func invalidUploadURLs() *rpcError {
	return newRPCError(http.StatusBadRequest, "InvalidParameter.UploadURLs", "The specified parameter UploadURLs is not valid.")
}
