package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every parameter rule VOD applies to the upload actions lives in this
// file, as data: one paramRule list per action. Where VOD's documentation
// is silent the emulator's choice is noted next to the rule.

// Extensions VOD accepts, case-insensitively (DESIGN.md §2).
const (
	videoExts = "mp4 ts 3gp mpg mpeg mpe dat vob asf avi wmv flv f4v rm rmvb mov mkv m3u8 dv gif m2t m4v mj2 mjpeg mts ogg qt swf webm"
	audioExts = "mp3 wma wav aac ra m4a flac ape ac3 amr caf acm"
	imageExts = "png jpg jpeg gif"
)

// attachedExts lists the extensions of each attached-media BusinessType.
func attachedExts(businessType string) string {
	switch strings.ToLower(businessType) {
	case "watermark":
		return "png gif apng mov"
	case "subtitle":
		return "srt ass stl ttml vtt"
	case "material":
		return "jpg gif png mp4 mat zip"
	}
	return ""
}

// Limits from VOD's API reference.
const (
	maxTitleBytes       = 128
	maxDescriptionBytes = 1024
	maxTags             = 16
	maxTagBytes         = 32
	maxCateIDs          = 5
	maxUserDataBytes    = 1024 // the emulator's choice; VOD documents no figure
	maxURLJobs          = 20
	maxInfoQueries      = 10
)

// builtinTemplateGroup is the one transcoding template group every VOD
// account has; the emulator knows no others.
const builtinTemplateGroup = "VOD_NO_TRANSCODE"

// check validates one non-empty parameter value; p gives access to the
// others for rules that depend on them.
type check func(p rpcParams, name, value string) *rpcError

// paramRule is what VOD requires of one parameter.
type paramRule struct {
	name     string
	required bool
	checks   []check
}

// validateParams applies rules in order and returns the first violation.
func validateParams(p rpcParams, rules []paramRule) *rpcError {
	for _, r := range rules {
		v := p.get(r.name)
		if v == "" {
			if r.required {
				return missingParam(r.name)
			}
			continue
		}
		for _, c := range r.checks {
			if err := c(p, r.name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// commonMediaRules are shared by the three Create* actions.
func (s *Server) commonMediaRules() []paramRule {
	return []paramRule{
		{name: "Description", checks: []check{maxBytes(maxDescriptionBytes), legalText(true)}},
		{name: "CateId", checks: []check{integer}},
		{name: "Tags", checks: []check{tagList}},
		{name: "StorageLocation", checks: []check{s.knownStorage}},
		{name: "AppId", checks: []check{appID}},
		{name: "UserData", checks: []check{maxBytes(maxUserDataBytes), jsonObject}},
	}
}

func (s *Server) createVideoRules() []paramRule {
	return append([]paramRule{
		{name: "Title", required: true, checks: []check{maxBytes(maxTitleBytes), legalText(false)}},
		{name: "FileName", required: true, checks: []check{extensionIn(videoExts + " " + audioExts)}},
		{name: "FileSize", checks: []check{integer}},
		{name: "CoverURL", checks: []check{maxBytes(1024)}},
		{name: "TemplateGroupId", checks: []check{knownTemplateGroup}},
	}, s.commonMediaRules()...)
}

func (s *Server) createImageRules() []paramRule {
	return append([]paramRule{
		{name: "ImageType", required: true, checks: []check{oneOf("default", "cover", "watermark")}},
		{name: "ImageExt", checks: []check{oneOf(strings.Fields(imageExts)...)}},
		{name: "Title", checks: []check{maxBytes(maxTitleBytes), legalText(false)}},
	}, s.commonMediaRules()...)
}

func (s *Server) createAttachedRules() []paramRule {
	return append([]paramRule{
		{name: "BusinessType", required: true, checks: []check{oneOf("watermark", "subtitle", "material")}},
		{name: "MediaExt", checks: []check{businessExtension}},
		{name: "FileName", checks: []check{businessExtension}},
		{name: "Title", checks: []check{maxBytes(maxTitleBytes), legalText(false)}},
		{name: "FileSize", checks: []check{integer}},
		{name: "CateIds", checks: []check{cateIDList}},
	}, s.commonMediaRules()...)
}

func (s *Server) uploadByURLRules() []paramRule {
	return []paramRule{
		{name: "UploadURLs", required: true, checks: []check{urlList}},
		{name: "UploadMetadatas", checks: []check{jsonArray}},
		{name: "TemplateGroupId", checks: []check{knownTemplateGroup}},
		{name: "StorageLocation", checks: []check{s.knownStorage}},
		{name: "AppId", checks: []check{appID}},
		{name: "UserData", checks: []check{maxBytes(maxUserDataBytes), jsonObject}},
	}
}

func maxBytes(n int) check {
	return func(_ rpcParams, name, v string) *rpcError {
		if len(v) > n {
			return newRPCError(http.StatusBadRequest, "LengthExceededMax",
				fmt.Sprintf("The length of %s exceeds the maximum of %d bytes.", name, n))
		}
		return nil
	}
}

// legalText rejects what VOD's metadata store refuses: invalid UTF-8,
// control characters (line breaks only where multiline) and characters
// outside the Basic Multilingual Plane such as emoji. VOD documents the
// IllegalCharacters code but not the set; this is the emulator's reading.
func legalText(multiline bool) check {
	return func(_ rpcParams, name, v string) *rpcError {
		if !utf8.ValidString(v) {
			return illegalChars(name)
		}
		for _, r := range v {
			if multiline && (r == '\n' || r == '\r' || r == '\t') {
				continue
			}
			if unicode.IsControl(r) || r > 0xFFFF {
				return illegalChars(name)
			}
		}
		return nil
	}
}

func illegalChars(name string) *rpcError {
	return newRPCError(http.StatusBadRequest, "IllegalCharacters",
		"The parameter "+name+" contains illegal characters.")
}

func integer(_ rpcParams, name, v string) *rpcError {
	if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
		return invalidParam(name, "It must be a non-negative integer.")
	}
	return nil
}

func oneOf(allowed ...string) check {
	return func(_ rpcParams, name, v string) *rpcError {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				return nil
			}
		}
		return invalidParam(name, "Valid values: "+strings.Join(allowed, ", ")+".")
	}
}

// fileExtension returns the lower-cased extension of a file name, a path
// or a URL (query and fragment ignored), without the dot.
func fileExtension(name string) string {
	if i := strings.IndexAny(name, "?#"); i >= 0 && strings.Contains(name, "://") {
		name = name[:i]
	}
	name = strings.ReplaceAll(name, `\`, "/")
	ext := path.Ext(path.Base(name))
	return strings.ToLower(strings.TrimPrefix(ext, "."))
}

func extensionIn(list string) check {
	return func(_ rpcParams, name, v string) *rpcError {
		if !inList(list, fileExtension(v)) {
			return newRPCError(http.StatusBadRequest, "InvalidFileName.Extension",
				"The extension of "+name+" is not supported.")
		}
		return nil
	}
}

func inList(list, word string) bool {
	if word == "" {
		return false
	}
	for _, w := range strings.Fields(list) {
		if w == word {
			return true
		}
	}
	return false
}

// businessExtension checks MediaExt (a bare extension) or FileName against
// the BusinessType's list.
func businessExtension(p rpcParams, name, v string) *rpcError {
	ext := strings.ToLower(v)
	if name == "FileName" {
		ext = fileExtension(v)
	}
	if !inList(attachedExts(p.get("BusinessType")), ext) {
		return invalidParam(name, "The extension is not allowed for BusinessType "+p.get("BusinessType")+".")
	}
	return nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func tagList(p rpcParams, name, v string) *rpcError {
	tags := splitList(v)
	if len(tags) > maxTags {
		return newRPCError(http.StatusBadRequest, "TagsExceededMax",
			fmt.Sprintf("The number of tags exceeds the maximum of %d.", maxTags))
	}
	for _, t := range tags {
		if err := maxBytes(maxTagBytes)(p, name, t); err != nil {
			return err
		}
		if err := legalText(false)(p, name, t); err != nil {
			return err
		}
	}
	return nil
}

func cateIDList(p rpcParams, name, v string) *rpcError {
	ids := splitList(v)
	if len(ids) > maxCateIDs {
		return invalidParam(name, fmt.Sprintf("At most %d categories are allowed.", maxCateIDs))
	}
	for _, id := range ids {
		if err := integer(p, name, id); err != nil {
			return err
		}
	}
	return nil
}

// appID accepts VOD's app-<digits> form; the default app is app-1000000.
func appID(_ rpcParams, name, v string) *rpcError {
	digits, ok := strings.CutPrefix(v, "app-")
	if !ok || digits == "" || strings.TrimFunc(digits, unicode.IsDigit) != "" {
		return invalidParam(name, "")
	}
	return nil
}

func jsonObject(_ rpcParams, name, v string) *rpcError {
	var m map[string]any
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return invalidParam(name, "It must be a JSON object.")
	}
	return nil
}

func jsonArray(_ rpcParams, name, v string) *rpcError {
	var a []map[string]any
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return invalidParam(name, "It must be a JSON array of objects.")
	}
	return nil
}

// knownTemplateGroup accepts only the built-in group, and anything when a
// WorkflowId is given, because the workflow wins and VOD ignores the group.
func knownTemplateGroup(p rpcParams, _, v string) *rpcError {
	if p.get("WorkflowId") != "" || v == builtinTemplateGroup {
		return nil
	}
	return newRPCError(http.StatusNotFound, "InvalidTemplateGroupId.NotFound",
		"The specified template group does not exist.")
}

// knownStorage accepts the emulator's own storage location, by its host
// name or its bucket name.
func (s *Server) knownStorage(_ rpcParams, _, v string) *rpcError {
	if v == s.storageLocation() || v == s.bucket() {
		return nil
	}
	return newRPCError(http.StatusNotFound, "InvalidStorage.NotFound",
		"The specified storage location does not exist.")
}

// urlList checks UploadURLs: at most maxURLJobs http(s) URLs, each
// URL-encoded as VOD asks.
func urlList(p rpcParams, name, v string) *rpcError {
	urls := decodeURLList(v)
	if len(urls) == 0 {
		return missingParam(name)
	}
	if len(urls) > maxURLJobs {
		return invalidParam(name, fmt.Sprintf("At most %d URLs are allowed.", maxURLJobs))
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return invalidParam(name, "Only http and https URLs are supported.")
		}
	}
	return nil
}
