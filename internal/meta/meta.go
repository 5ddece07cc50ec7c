// Package meta holds VOD's rules for upload metadata, checked on the client
// before any network call so bad input never creates a media record.
package meta

import (
	"path"
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

// VOD limits (CreateUploadVideo and friends).
const (
	MaxTitleBytes       = 128
	MaxDescriptionBytes = 1024
	MaxTags             = 16
	MaxTagBytes         = 32
	MaxFileNameBytes    = 255
	MaxCoverURLBytes    = 1024
	MaxUserDataBytes    = 1024
	MaxCateIDs          = 5
)

// Extension sets, lower case, without the dot. Unexported so no caller can
// change them; Kinds hands out the ones a media kind accepts.
var (
	videoExts    = set("mp4 ts 3gp mpg mpeg mpe dat vob asf avi wmv flv f4v rm rmvb mov mkv m3u8 dv gif m2t m4v mj2 mjpeg mts ogg qt swf webm")
	audioExts    = set("mp3 wma wav aac ra m4a flac ape ac3 amr caf acm")
	imageExts    = set("png jpg jpeg gif")
	attachedExts = map[string]map[string]bool{
		"watermark": set("png gif apng mov"),
		"subtitle":  set("srt ass stl ttml vtt"),
		"material":  set("jpg gif png mp4 mat zip"),
	}
	imageTypes = set("default cover watermark")
)

// VideoOrAudio reports whether CreateUploadVideo accepts the extension.
func VideoOrAudio(ext string) bool { return videoExts[ext] || audioExts[ext] }

// Image reports whether CreateUploadImage accepts the extension.
func Image(ext string) bool { return imageExts[ext] }

// ImageType reports whether t is a CreateUploadImage ImageType.
func ImageType(t string) bool { return imageTypes[t] }

// Attached reports whether businessType accepts the extension; known is
// false for an unknown business type.
func Attached(businessType, ext string) (ok, known bool) {
	exts, known := attachedExts[businessType]
	return exts[ext], known
}

func set(words string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// Ext returns the lower-case extension of name without the dot.
func Ext(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}

// Text checks a free-text field: valid UTF-8, no control characters, at
// most max bytes, and present when required.
func Text(field, s string, max int, required bool) *Violation {
	switch {
	case s == "" && required:
		return &Violation{field, "required", ""}
	case !utf8.ValidString(s):
		return &Violation{field, "must be valid UTF-8", ""}
	case len(s) > max:
		return &Violation{field, "at most " + itoa(max) + " bytes of UTF-8", s}
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return &Violation{field, "must not contain control characters", s}
		}
	}
	return nil
}

// FileName checks a file name has an extension accepted by allowed.
func FileName(field, name string, allowed func(ext string) bool) *Violation {
	if v := Text(field, name, MaxFileNameBytes, true); v != nil {
		return v
	}
	if !allowed(Ext(name)) {
		return &Violation{field, "extension must be one VOD accepts for this media kind", name}
	}
	return nil
}

// Tags checks VOD's tag rules: at most 16, each 1..32 bytes, no commas (the
// API joins them with commas).
func Tags(tags []string) *Violation {
	if len(tags) > MaxTags {
		return &Violation{"Tags", "at most 16 tags", itoa(len(tags)) + " tags"}
	}
	for i, t := range tags {
		field := "Tags[" + itoa(i) + "]"
		if v := Text(field, t, MaxTagBytes, true); v != nil {
			return v
		}
		if strings.Contains(t, ",") {
			return &Violation{field, "must not contain a comma", t}
		}
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
