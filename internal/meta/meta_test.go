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
		{"description 1025", Text("Description", strings.Repeat("d", 1025), MaxDescriptionBytes, false), "Description"},
		{"description empty ok", Text("Description", "", MaxDescriptionBytes, false), ""},
		{"video ext ok upper case", FileName("FileName", "MOVIE.MP4", VideoOrAudio), ""},
		{"audio ext ok", FileName("FileName", "a.flac", VideoOrAudio), ""},
		{"bad ext", FileName("FileName", "a.exe", VideoOrAudio), "FileName"},
		{"no ext", FileName("FileName", "movie", VideoOrAudio), "FileName"},
		{"image ext", FileName("FileName", "a.jpeg", Image), ""},
		{"16 tags", Tags(tags(16)), ""},
		{"17 tags", Tags(tags(17)), "Tags"},
		{"tag 33 bytes", Tags([]string{strings.Repeat("x", 33)}), "Tags[0]"},
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

func TestAttached(t *testing.T) {
	t.Parallel()
	ok, known := Attached("subtitle", "vtt")
	assert.True(t, ok && known)
	ok, known = Attached("subtitle", "png")
	assert.False(t, ok)
	assert.True(t, known)
	_, known = Attached("poster", "png")
	assert.False(t, known)
}
