package meta

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// textOK is Text's contract restated: what it must accept and nothing else.
func textOK(s string, max int, required bool) bool {
	if (s == "" && required) || !utf8.ValidString(s) || len(s) > max {
		return false
	}
	return legalOK(s)
}

// legalOK is VOD's IllegalCharacters rule restated: no emoji (nothing past
// the BMP) and no control characters but tab and line breaks.
func legalOK(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r > 0xFFFF || (unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r')
	})
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "My video", "a\xffb", "a\x00b", "tab\tand\nnewline", "cr\r", strings.Repeat("视", 43), "\u0085", "\U0001F600"} {
		f.Add(s, 128, true)
	}
	f.Fuzz(func(t *testing.T, s string, max int, required bool) {
		max = max & 0xfff
		v := Text("Title", s, max, required)
		if ok := textOK(s, max, required); ok != (v == nil) {
			t.Fatalf("Text(%q, %d, %v) = %+v, want ok=%v", s, max, required, v, ok)
		}
		if v != nil && (v.Field != "Title" || v.Rule == "") {
			t.Fatalf("violation without field or rule: %+v", v)
		}
		if v != nil && v.Value != "" && !utf8.ValidString(v.Value) {
			t.Fatalf("violation quotes invalid UTF-8: %+v", v)
		}
	})
}

func FuzzTags(f *testing.F) {
	f.Add("a,b")
	f.Add("")
	f.Add(strings.Repeat("t\x1f", 16) + "t")
	f.Add("a\x1fb,c")
	f.Add(strings.Repeat("x", 33))
	f.Add(strings.Repeat("标", 32))
	f.Add("emoji \U0001F600")
	f.Add("ok\x1f\x1fempty")
	f.Fuzz(func(t *testing.T, joined string) {
		var tags []string
		if joined != "" {
			tags = strings.Split(joined, "\x1f")
		}
		v := Tags(tags)
		ok := len(tags) <= MaxTags
		for _, tag := range tags {
			ok = ok && tag != "" && utf8.ValidString(tag) && utf8.RuneCountInString(tag) <= MaxTagChars &&
				legalOK(tag) && !strings.Contains(tag, ",")
		}
		if ok != (v == nil) {
			t.Fatalf("Tags(%q) = %+v, want ok=%v", tags, v, ok)
		}
		if v != nil && !strings.HasPrefix(v.Field, "Tags") {
			t.Fatalf("violation names field %q", v.Field)
		}
	})
}

func FuzzFileName(f *testing.F) {
	for _, s := range []string{"movie.mp4", "MOVIE.MP4", "a.exe", "movie", "a.tar.mp3", "dir/a.mov", `c:\x\a.mkv`, ".mp4", "a.mp4/", "a\x00.mp4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v := FileName("FileName", name, VideoOrAudio)
		ok := name != "" && utf8.ValidString(name) && VideoOrAudio(Ext(name))
		if ok != (v == nil) {
			t.Fatalf("FileName(%q) = %+v, want ok=%v", name, v, ok)
		}
		if ext := Ext(name); ext != strings.ToLower(ext) || strings.HasPrefix(ext, ".") {
			t.Fatalf("Ext(%q) = %q: not lower case without the dot", name, ext)
		}
	})
}
