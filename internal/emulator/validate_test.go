package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidationRules(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	video := func(kv ...string) map[string]string {
		p := map[string]string{"Title": "t", "FileName": "a.mp4"}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	kv := func(kv ...string) map[string]string {
		p := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	tags := func(n, size int) string {
		t := make([]string, n)
		for i := range t {
			t[i] = strings.Repeat("x", size-len(strconv.Itoa(i))) + strconv.Itoa(i)
		}
		return strings.Join(t, ",")
	}
	urls := func(n int) string {
		u := make([]string, n)
		for i := range u {
			u[i] = "http://127.0.0.1:1/" + strconv.Itoa(i) + ".mp4"
		}
		return encodeURLs(u...)
	}
	const ok = ""
	tests := []struct {
		name   string
		action string
		params map[string]string
		status int
		code   string
	}{
		{"title required", "CreateUploadVideo", video("Title", ""), 400, "MissingTitle"},
		{"title 128 bytes", "CreateUploadVideo", video("Title", strings.Repeat("中", 42)+"xx"), 200, ok},
		{"title 129 bytes", "CreateUploadVideo", video("Title", strings.Repeat("中", 43)), 400, "LengthExceededMax"},
		{"title emoji", "CreateUploadVideo", video("Title", "party 🎉"), 400, "IllegalCharacters"},
		{"title control char", "CreateUploadVideo", video("Title", "bell\a"), 400, "IllegalCharacters"},
		{"title newline", "CreateUploadVideo", video("Title", "two\nlines"), 400, "IllegalCharacters"},
		{"title invalid utf-8", "CreateUploadVideo", video("Title", "bad\xff"), 400, "IllegalCharacters"},
		{"file name required", "CreateUploadVideo", video("FileName", ""), 400, "MissingFileName"},
		{"file name unsupported", "CreateUploadVideo", video("FileName", "a.exe"), 400, "InvalidFileName.Extension"},
		{"file name without extension", "CreateUploadVideo", video("FileName", "movie"), 400, "InvalidFileName.Extension"},
		{"file name upper case", "CreateUploadVideo", video("FileName", "A.MKV"), 200, ok},
		{"file name audio", "CreateUploadVideo", video("FileName", "song.m4a"), 200, ok},
		{"file name URL with query", "CreateUploadVideo", video("FileName", "http://h/v.webm?sig=1.exe"), 200, ok},
		{"file size negative", "CreateUploadVideo", video("FileSize", "-1"), 400, "InvalidParameter"},
		{"description 1024 bytes", "CreateUploadVideo", video("Description", strings.Repeat("d", 1024)), 200, ok},
		{"description 1025 bytes", "CreateUploadVideo", video("Description", strings.Repeat("d", 1025)), 400, "LengthExceededMax"},
		{"description multiline", "CreateUploadVideo", video("Description", "one\ntwo"), 200, ok},
		{"description emoji", "CreateUploadVideo", video("Description", "🎉"), 400, "IllegalCharacters"},
		{"16 tags", "CreateUploadVideo", video("Tags", tags(16, 32)), 200, ok},
		{"17 tags", "CreateUploadVideo", video("Tags", tags(17, 4)), 400, "TagsExceededMax"},
		{"tag 33 bytes", "CreateUploadVideo", video("Tags", tags(1, 33)), 400, "LengthExceededMax"},
		{"cate id not a number", "CreateUploadVideo", video("CateId", "abc"), 400, "InvalidParameter"},
		{"user data not json", "CreateUploadVideo", video("UserData", "{oops"), 400, "InvalidParameter"},
		{"user data array", "CreateUploadVideo", video("UserData", "[1]"), 400, "InvalidParameter"},
		{"user data object", "CreateUploadVideo", video("UserData", `{"Extend":{"a":"1"}}`), 200, ok},
		{"template group unknown", "CreateUploadVideo", video("TemplateGroupId", "nope"), 404, "InvalidTemplateGroupId.NotFound"},
		{"template group built in", "CreateUploadVideo", video("TemplateGroupId", builtinTemplateGroup), 200, ok},
		{"workflow wins over template group", "CreateUploadVideo", video("TemplateGroupId", "nope", "WorkflowId", "wf-1"), 200, ok},
		{"storage unknown", "CreateUploadVideo", video("StorageLocation", "outin-x.oss-cn-beijing.aliyuncs.com"), 404, "InvalidStorage.NotFound"},
		{"storage own", "CreateUploadVideo", video("StorageLocation", srv.storageLocation()), 200, ok},
		{"app id malformed", "CreateUploadVideo", video("AppId", "default"), 400, "InvalidParameter"},
		{"app id default", "CreateUploadVideo", video("AppId", "app-1000000"), 200, ok},

		{"image type required", "CreateUploadImage", kv("ImageExt", "png"), 400, "MissingImageType"},
		{"image type unknown", "CreateUploadImage", kv("ImageType", "banner"), 400, "InvalidParameter"},
		{"image ext unknown", "CreateUploadImage", kv("ImageType", "default", "ImageExt", "bmp"), 400, "InvalidParameter"},
		{"image watermark jpeg", "CreateUploadImage", kv("ImageType", "watermark", "ImageExt", "JPEG"), 200, ok},
		{"image title too long", "CreateUploadImage", kv("ImageType", "default", "Title", strings.Repeat("t", 129)), 400, "LengthExceededMax"},

		{"business type required", "CreateUploadAttachedMedia", kv("MediaExt", "png"), 400, "MissingBusinessType"},
		{"business type unknown", "CreateUploadAttachedMedia", kv("BusinessType", "poster", "MediaExt", "png"), 400, "InvalidParameter"},
		{"watermark srt", "CreateUploadAttachedMedia", kv("BusinessType", "watermark", "MediaExt", "srt"), 400, "InvalidParameter"},
		{"subtitle by file name", "CreateUploadAttachedMedia", kv("BusinessType", "subtitle", "FileName", "a.ass"), 200, ok},
		{"subtitle wrong file name", "CreateUploadAttachedMedia", kv("BusinessType", "subtitle", "FileName", "a.mp4"), 400, "InvalidParameter"},
		{"material no extension", "CreateUploadAttachedMedia", kv("BusinessType", "material"), 400, "MissingMediaExt"},
		{"5 categories", "CreateUploadAttachedMedia", kv("BusinessType", "material", "MediaExt", "mp4", "CateIds", "1,2,3,4,5"), 200, ok},
		{"6 categories", "CreateUploadAttachedMedia", kv("BusinessType", "material", "MediaExt", "mp4", "CateIds", "1,2,3,4,5,6"), 400, "InvalidParameter"},
		{"category not a number", "CreateUploadAttachedMedia", kv("BusinessType", "material", "MediaExt", "mp4", "CateIds", "1,x"), 400, "InvalidParameter"},

		{"urls required", "UploadMediaByURL", kv(), 400, "MissingUploadURLs"},
		{"21 urls", "UploadMediaByURL", kv("UploadURLs", urls(21)), 400, "InvalidParameter"},
		{"ftp url", "UploadMediaByURL", kv("UploadURLs", encodeURLs("ftp://h/a.mp4")), 400, "InvalidParameter"},
		{"url extension", "UploadMediaByURL", kv("UploadURLs", encodeURLs("http://h/a.exe")), 400, "InvalidFileName.Extension"},
		{"metadata not json", "UploadMediaByURL", kv("UploadURLs", urls(1), "UploadMetadatas", "{"), 400, "InvalidParameter"},
		{"infos need ids", "GetURLUploadInfos", kv(), 400, "MissingJobIds"},
		{"11 job ids", "GetURLUploadInfos", kv("JobIds", "1,2,3,4,5,6,7,8,9,10,11"), 400, "InvalidParameter"},
		{"refresh needs id", "RefreshUploadVideo", kv(), 400, "MissingVideoId"},
		{"info needs id", "GetVideoInfo", kv(), 400, "MissingVideoId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := rawCall(t, srv, signedParams(srv, http.MethodGet, tt.action, tt.params))
			assert.Equal(t, tt.status, res.Status, "body: %v", res.Body)
			assert.Equal(t, tt.code, res.code())
		})
	}
}

func TestFileExtension(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"a.mp4":                  "mp4",
		"A.MP4":                  "mp4",
		"dir/a.b.mov":            "mov",
		`C:\x\y.flv`:             "flv",
		"noext":                  "",
		"dir.d/noext":            "",
		"https://h/p/v.ts?x=1.y": "ts",
		"https://h/p/v#frag.z":   "",
	}
	for in, want := range tests {
		assert.Equal(t, want, fileExtension(in), in)
	}
}
