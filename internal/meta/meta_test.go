package meta

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRules(t *testing.T) {
	t.Parallel()
	tags := func(n int) []string { return strings.Split(strings.Repeat("t,", n-1)+"t", ",") }
	tests := []struct {
		name  string
		v     *Violation
		field string // "" means no violation
	}{
		{"title ok", Text("Title", "My video", MaxTitleBytes, true), ""},
		{"title missing", Text("Title", "", MaxTitleBytes, true), "Title"},
		{"title 128 bytes", Text("Title", strings.Repeat("a", 128), MaxTitleBytes, true), ""},
		{"title 129 bytes", Text("Title", strings.Repeat("a", 129), MaxTitleBytes, true), "Title"},
		{"title counts bytes not runes", Text("Title", strings.Repeat("视", 43), MaxTitleBytes, true), "Title"},
		{"title bad utf8", Text("Title", "a\xffb", MaxTitleBytes, true), "Title"},
		{"title control char", Text("Title", "a\x00b", MaxTitleBytes, true), "Title"},
		{"title emoji", Text("Title", "party \U0001F389", MaxTitleBytes, true), "Title"},
		{"title BMP symbol", Text("Title", "\u2603 snow", MaxTitleBytes, true), ""},
		{"description CRLF", Text("Description", "one\r\ntwo", MaxDescriptionBytes, false), ""},
		{"description 1025", Text("Description", strings.Repeat("d", 1025), MaxDescriptionBytes, false), "Description"},
		{"description empty ok", Text("Description", "", MaxDescriptionBytes, false), ""},
		{"video ext ok upper case", FileName("FileName", "MOVIE.MP4", VideoOrAudio), ""},
		{"audio ext ok", FileName("FileName", "a.flac", VideoOrAudio), ""},
		{"bad ext", FileName("FileName", "a.exe", VideoOrAudio), "FileName"},
		{"no ext", FileName("FileName", "movie", VideoOrAudio), "FileName"},
		{"image ext", FileName("FileName", "a.jpeg", Image), ""},
		{"image heic", FileName("FileName", "a.HEIC", Image), ""},
		{"image webp", FileName("FileName", "a.webp", Image), ""},
		{"image bmp", FileName("FileName", "a.bmp", Image), "FileName"},
		{"long file name", FileName("FileName", strings.Repeat("n", 300)+".mp4", VideoOrAudio), ""},
		{"16 tags", Tags(tags(16)), ""},
		{"17 tags", Tags(tags(17)), "Tags"},
		{"tag 33 characters", Tags([]string{strings.Repeat("x", 33)}), "Tags[0]"},
		{"tag 32 CJK characters", Tags([]string{strings.Repeat("标", 32)}), ""},
		{"tag 33 CJK characters", Tags([]string{strings.Repeat("标", 33)}), "Tags[0]"},
		{"tag emoji", Tags([]string{"\U0001F600"}), "Tags[0]"},
		{"extend 512 bytes", Extend(map[string]string{"k": strings.Repeat("v", 512-len(`{"k":""}`))}), ""},
		{"extend 513 bytes", Extend(map[string]string{"k": strings.Repeat("v", 513-len(`{"k":""}`))}), "UserData.Extend"},
		{"empty tag", Tags([]string{"a", ""}), "Tags[1]"},
		{"tag with comma", Tags([]string{"a,b"}), "Tags[0]"},
	}
	for _, tt := range tests {
		if tt.field == "" {
			assert.Nil(t, tt.v, tt.name)
			continue
		}
		if assert.NotNil(t, tt.v, tt.name) {
			assert.Equal(t, tt.field, tt.v.Field, tt.name)
			assert.NotEmpty(t, tt.v.Rule, tt.name)
		}
	}
}

func TestEnumerations(t *testing.T) {
	t.Parallel()
	assert.True(t, ImageType("default"))
	assert.True(t, ImageType("cover"))
	assert.False(t, ImageType("watermark"), "watermarks are attached media")
	assert.Equal(t, "one of png, jpg, jpeg, gif, heic, webp", ImageExtRule)
	assert.Equal(t, "one of default, cover", ImageTypeRule)
}

func TestAttached(t *testing.T) {
	t.Parallel()
	ok, known := Attached("subtitle", "vtt")
	assert.True(t, ok && known)
	ok, known = Attached("material", "apk")
	assert.True(t, ok && known)
	ok, known = Attached("watermark", "")
	assert.True(t, ok && known, "without an extension VOD decides")
	ok, known = Attached("subtitle", "png")
	assert.False(t, ok)
	assert.True(t, known)
	_, known = Attached("poster", "png")
	assert.False(t, known)
}
