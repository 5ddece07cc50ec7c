// Package meta holds VOD's rules for upload metadata, checked on the client
// before any network call so bad input never creates a media record.
//
// Every rule follows VOD's API reference (CreateUploadVideo,
// CreateUploadImage, CreateUploadAttachedMedia, UploadMediaByURL) and no
// more: a rule stricter than VOD's would turn away media VOD accepts. Where
// the reference contradicts itself the choice is noted at the rule.
package meta

import (
	"encoding/json"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Violation names a field and the rule it broke.
type Violation struct {
	Field string
	Rule  string
	Value string
}

// VOD limits.
//
// Title and Description are counted in bytes of UTF-8: the parameter
// pages of CreateUploadVideo and CreateUploadImage now say "characters",
// but CreateUploadAttachedMedia and UploadMetadata still say bytes, VOD's
// LengthExceededMax message reads "has exceeded $MaxLength bytes", and
// the official upload SDKs (Python AliyunVodUtils.subString, PHP
// AliyunVodUtils::subString) cut titles to 128 bytes. Tags are counted in
// characters: the reference says "32 characters or Chinese characters"
// ("32个字符或汉字") per tag.
const (
	MaxTitleBytes       = 128
	MaxDescriptionBytes = 1024
	MaxTags             = 16
	MaxTagChars         = 32
	MaxCateIDs          = 5
	// MaxExtendBytes bounds UserData.Extend, the field VOD passes back in
	// callbacks ("up to 512 bytes"). VOD documents no limit for UserData
	// as a whole.
	MaxExtendBytes = 512
)

// Valid values, in the reference's order. Unexported so no caller can
// change them.
var (
	videoExts = []string{"mp4", "ts", "3gp", "mpg", "mpeg", "mpe", "dat", "vob", "asf", "avi", "wmv",
		"flv", "f4v", "rm", "rmvb", "mov", "mkv", "m3u8", "dv", "gif", "m2t", "m4v", "mj2", "mjpeg",
		"mts", "ogg", "qt", "swf", "webm"}
	audioExts = []string{"mp3", "wma", "wav", "aac", "ra", "m4a", "flac", "ape", "ac3", "amr", "caf", "acm"}
	// imageExts is CreateUploadImage's ImageExt (heic and webp since
	// 2026-01, zh-CN API reference).
	imageExts = []string{"png", "jpg", "jpeg", "gif", "heic", "webp"}
	// imageTypes is CreateUploadImage's ImageType; watermarks are attached
	// media (CreateUploadAttachedMedia) and no longer an image type.
	imageTypes = []string{"default", "cover"}
	// businessTypes and attachedExts are CreateUploadAttachedMedia's
	// BusinessType and the MediaExt each accepts.
	businessTypes = []string{"watermark", "subtitle", "material"}
	attachedExts  = map[string][]string{
		"watermark": {"png", "gif", "apng", "mov"},
		"subtitle":  {"srt", "ass", "stl", "ttml", "vtt"},
		"material":  {"jpg", "gif", "png", "mp4", "mat", "zip", "apk"},
	}
)

// Rule texts for the enumerations, for violations the caller builds.
var (
	ImageTypeRule    = oneOf(imageTypes)
	ImageExtRule     = oneOf(imageExts)
	BusinessTypeRule = oneOf(businessTypes)
)

func oneOf(values []string) string { return "one of " + strings.Join(values, ", ") }

// VideoOrAudio reports whether CreateUploadVideo accepts the extension.
func VideoOrAudio(ext string) bool {
	return slices.Contains(videoExts, ext) || slices.Contains(audioExts, ext)
}

// Image reports whether CreateUploadImage accepts the extension.
func Image(ext string) bool { return slices.Contains(imageExts, ext) }

// ImageType reports whether t is a CreateUploadImage ImageType.
func ImageType(t string) bool { return slices.Contains(imageTypes, t) }

// Attached reports whether businessType accepts the extension; known is
// false for an unknown business type. An empty ext is accepted: MediaExt
// and FileName are both optional, and VOD then decides.
func Attached(businessType, ext string) (ok, known bool) {
	exts, known := attachedExts[businessType]
	return ext == "" || slices.Contains(exts, ext), known
}

// AttachedRule is the MediaExt rule of a business type.
func AttachedRule(businessType string) string {
	return "an extension " + businessType + " accepts: " + strings.Join(attachedExts[businessType], ", ")
}

// Ext returns the lower-case extension of name without the dot.
func Ext(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}

// Text checks a free-text field (Title, Description): present when
// required, valid UTF-8, at most max bytes, and none of what VOD answers
// IllegalCharacters for ("illegal emoticon or special characters"):
// control characters other than tab and line breaks, and characters
// outside the Basic Multilingual Plane, where emoji live.
func Text(field, s string, max int, required bool) *Violation {
	switch {
	case s == "" && required:
		return &Violation{field, "required", ""}
	case !utf8.ValidString(s):
		return &Violation{field, "must be valid UTF-8", ""}
	case len(s) > max:
		return &Violation{field, "at most " + itoa(max) + " bytes of UTF-8", s}
	}
	return legal(field, s)
}

// legal refuses what VOD calls illegal characters in text fields.
func legal(field, s string) *Violation {
	for _, r := range s {
		switch {
		case r > 0xFFFF:
			return &Violation{field, "must not contain emoji or other characters outside the Basic Multilingual Plane", s}
		case unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r':
			return &Violation{field, "must not contain control characters", s}
		}
	}
	return nil
}

// FileName checks a required file name has an extension accepted by
// allowed. VOD documents no length or character rule for file names.
func FileName(field, name string, allowed func(ext string) bool) *Violation {
	switch {
	case name == "":
		return &Violation{field, "required", ""}
	case !utf8.ValidString(name):
		return &Violation{field, "must be valid UTF-8", ""}
	case !allowed(Ext(name)):
		return &Violation{field, "extension must be one VOD accepts for this media kind", name}
	}
	return nil
}

// Tags checks VOD's tag rules: at most 16, each 1..32 characters, no
// commas (the API joins them with commas).
func Tags(tags []string) *Violation {
	if len(tags) > MaxTags {
		return &Violation{"Tags", "at most 16 tags", itoa(len(tags)) + " tags"}
	}
	for i, t := range tags {
		field := "Tags[" + itoa(i) + "]"
		switch {
		case t == "":
			return &Violation{field, "required", ""}
		case !utf8.ValidString(t):
			return &Violation{field, "must be valid UTF-8", ""}
		case utf8.RuneCountInString(t) > MaxTagChars:
			return &Violation{field, "at most 32 characters", t}
		case strings.Contains(t, ","):
			return &Violation{field, "must not contain a comma", t}
		}
		if v := legal(field, t); v != nil {
			return v
		}
	}
	return nil
}

// Extend checks UserData.Extend, which VOD limits to 512 bytes.
func Extend(extend map[string]string) *Violation {
	if len(extend) == 0 {
		return nil
	}
	b, _ := json.Marshal(extend) // a map of strings always marshals
	if len(b) > MaxExtendBytes {
		return &Violation{"UserData.Extend", "at most 512 bytes of JSON", ""}
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
