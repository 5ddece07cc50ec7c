package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// params builds request parameters from name, value pairs.
func params(kv ...string) map[string]string {
	p := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return p
}

// videoParams is a valid CreateUploadVideo with kv set over it.
func videoParams(kv ...string) map[string]string {
	return params(append([]string{"Title", "t", "FileName", "a.mp4"}, kv...)...)
}

func TestValidationRules(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	video, kv := videoParams, params
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
	extend := func(n int) string {
		return `{"Extend":{"k":"` + strings.Repeat("v", n-len(`{"k":""}`)) + `"}}`
	}
	const ok = ""
	tests := []struct {
		name   string
		action string
		params map[string]string
		status int
		code   string
	}{
		// CreateUploadVideo (aliyun-openapi-meta vod/CreateUploadVideo.json;
		// API reference "Common errors").
		{"title required", "CreateUploadVideo", video("Title", ""), 400, "MissingTitle"},
		{"title 128 bytes", "CreateUploadVideo", video("Title", strings.Repeat("中", 42)+"xx"), 200, ok},
		{"title 129 bytes", "CreateUploadVideo", video("Title", strings.Repeat("中", 43)), 400, "LengthExceededMax"},
		{"title emoji", "CreateUploadVideo", video("Title", "party 🎉"), 400, "IllegalCharacters"},
		{"title BMP symbol", "CreateUploadVideo", video("Title", "☃ snow"), 200, ok},
		{"title control char", "CreateUploadVideo", video("Title", "bell\a"), 400, "IllegalCharacters"},
		{"title newline", "CreateUploadVideo", video("Title", "two\nlines"), 200, ok},
		{"title invalid utf-8", "CreateUploadVideo", video("Title", "bad\xff"), 400, "IllegalCharacters"},
		{"file name required", "CreateUploadVideo", video("FileName", ""), 400, "MissingFileName"},
		{"file name unsupported", "CreateUploadVideo", video("FileName", "a.exe"), 400, "InvalidFileName.Extension"},
		{"file name without extension", "CreateUploadVideo", video("FileName", "movie"), 400, "InvalidFileName.Extension"},
		{"file name upper case", "CreateUploadVideo", video("FileName", "A.MKV"), 200, ok},
		{"file name audio", "CreateUploadVideo", video("FileName", "song.m4a"), 200, ok},
		{"file name long", "CreateUploadVideo", video("FileName", strings.Repeat("n", 300)+".mp4"), 200, ok},
		{"file name URL with query", "CreateUploadVideo", video("FileName", "http://h/v.webm?sig=1.exe"), 200, ok},
		{"file size negative", "CreateUploadVideo", video("FileSize", "-1"), 400, "InvalidParameter"},
		{"description 1024 bytes", "CreateUploadVideo", video("Description", strings.Repeat("d", 1024)), 200, ok},
		{"description 1025 bytes", "CreateUploadVideo", video("Description", strings.Repeat("d", 1025)), 400, "LengthExceededMax"},
		{"description CRLF", "CreateUploadVideo", video("Description", "one\r\ntwo"), 200, ok},
		{"description emoji", "CreateUploadVideo", video("Description", "🎉"), 400, "IllegalCharacters"},
		{"cover URL long", "CreateUploadVideo", video("CoverURL", "https://h/"+strings.Repeat("c", 2000)+".jpg"), 200, ok},
		{"16 tags", "CreateUploadVideo", video("Tags", tags(16, 32)), 200, ok},
		{"17 tags", "CreateUploadVideo", video("Tags", tags(17, 4)), 400, "TagsExceededMax"},
		{"tag 33 characters", "CreateUploadVideo", video("Tags", tags(1, 33)), 400, "LengthExceededMax"},
		{"tag 32 CJK characters", "CreateUploadVideo", video("Tags", strings.Repeat("标", 32)), 200, ok},
		{"tag 33 CJK characters", "CreateUploadVideo", video("Tags", strings.Repeat("标", 33)), 400, "LengthExceededMax"},
		{"tag emoji", "CreateUploadVideo", video("Tags", "a,🎉"), 400, "IllegalCharacters"},
		{"cate id not a number", "CreateUploadVideo", video("CateId", "abc"), 400, "InvalidParameter"},
		{"user data not json", "CreateUploadVideo", video("UserData", "{oops"), 400, "InvalidParameter"},
		{"user data array", "CreateUploadVideo", video("UserData", "[1]"), 400, "InvalidParameter"},
		{"user data object", "CreateUploadVideo", video("UserData", `{"Extend":{"a":"1"}}`), 200, ok},
		{"user data extend 512 bytes", "CreateUploadVideo", video("UserData", extend(512)), 200, ok},
		{"user data extend 513 bytes", "CreateUploadVideo", video("UserData", extend(513)), 400, "InvalidParameter"},
		{"user data 2 KiB", "CreateUploadVideo", video("UserData", `{"MessageCallback":{"CallbackURL":"http://h/`+strings.Repeat("p", 2048)+`"}}`), 200, ok},
		{"template group unknown", "CreateUploadVideo", video("TemplateGroupId", "nope"), 404, "InvalidTemplateGroupId.NotFound"},
		{"template group built in", "CreateUploadVideo", video("TemplateGroupId", builtinTemplateGroup), 200, ok},
		{"workflow wins over template group", "CreateUploadVideo", video("TemplateGroupId", "nope", "WorkflowId", "wf-1"), 200, ok},
		{"storage unknown", "CreateUploadVideo", video("StorageLocation", "outin-x.oss-cn-beijing.aliyuncs.com"), 404, "InvalidStorage.NotFound"},
		{"storage own", "CreateUploadVideo", video("StorageLocation", srv.storageLocation()), 200, ok},
		{"app id malformed", "CreateUploadVideo", video("AppId", "default"), 400, "InvalidParameter"},
		{"app id default", "CreateUploadVideo", video("AppId", "app-1000000"), 200, ok},
		{"reference id short", "CreateUploadVideo", video("ReferenceId", "ab-12"), 400, "InvalidParameter"},
		{"reference id bad character", "CreateUploadVideo", video("ReferenceId", "order.12345"), 400, "InvalidParameter"},
		{"reference id", "CreateUploadVideo", video("ReferenceId", "order_12345-A"), 200, ok},

		// CreateUploadImage (zh-CN/vod/CreateUploadImage.json, 2026-01).
		{"image type required", "CreateUploadImage", kv("ImageExt", "png"), 400, "MissingImageType"},
		{"image type unknown", "CreateUploadImage", kv("ImageType", "banner"), 400, "InvalidParameter"},
		{"image type watermark", "CreateUploadImage", kv("ImageType", "watermark"), 400, "InvalidParameter"},
		{"image ext unknown", "CreateUploadImage", kv("ImageType", "default", "ImageExt", "bmp"), 400, "InvalidParameter"},
		{"image cover JPEG", "CreateUploadImage", kv("ImageType", "cover", "ImageExt", "JPEG"), 200, ok},
		{"image heic", "CreateUploadImage", kv("ImageType", "default", "ImageExt", "heic"), 200, ok},
		{"image webp", "CreateUploadImage", kv("ImageType", "default", "ImageExt", "webp"), 200, ok},
		{"image title too long", "CreateUploadImage", kv("ImageType", "default", "Title", strings.Repeat("t", 129)), 400, "LengthExceededMax"},
		{"image tag emoji", "CreateUploadImage", kv("ImageType", "default", "Tags", "🎉"), 400, "IllegalCharacters"},

		// CreateUploadAttachedMedia (zh-CN/vod/CreateUploadAttachedMedia.json).
		{"business type required", "CreateUploadAttachedMedia", kv("MediaExt", "png"), 400, "MissingBusinessType"},
		{"business type unknown", "CreateUploadAttachedMedia", kv("BusinessType", "poster", "MediaExt", "png"), 400, "InvalidParameter"},
		{"watermark srt", "CreateUploadAttachedMedia", kv("BusinessType", "watermark", "MediaExt", "srt"), 400, "InvalidParameter"},
		{"material apk", "CreateUploadAttachedMedia", kv("BusinessType", "material", "MediaExt", "apk"), 200, ok},
		{"subtitle by file name", "CreateUploadAttachedMedia", kv("BusinessType", "subtitle", "FileName", "a.ass"), 200, ok},
		{"subtitle wrong file name", "CreateUploadAttachedMedia", kv("BusinessType", "subtitle", "FileName", "a.mp4"), 400, "InvalidParameter"},
		{"media ext wins over file name", "CreateUploadAttachedMedia", kv("BusinessType", "subtitle", "MediaExt", "srt", "FileName", "a.mp4"), 200, ok},
		{"file name without extension", "CreateUploadAttachedMedia", kv("BusinessType", "material", "FileName", "bundle"), 200, ok},
		{"no extension at all", "CreateUploadAttachedMedia", kv("BusinessType", "watermark"), 200, ok},
		{"attached title 129 bytes", "CreateUploadAttachedMedia", kv("BusinessType", "watermark", "Title", strings.Repeat("t", 129)), 400, "LengthExceededMax"},
		{"5 categories", "CreateUploadAttachedMedia", kv("BusinessType", "material", "MediaExt", "mp4", "CateIds", "1,2,3,4,5"), 200, ok},
		{"6 categories", "CreateUploadAttachedMedia", kv("BusinessType", "material", "MediaExt", "mp4", "CateIds", "1,2,3,4,5,6"), 400, "InvalidParameter"},
		{"category not a number", "CreateUploadAttachedMedia", kv("BusinessType", "material", "MediaExt", "mp4", "CateIds", "1,x"), 400, "InvalidParameter"},

		// UploadMediaByURL (UploadMediaByURL reference, UploadMetadata table).
		{"urls required", "UploadMediaByURL", kv(), 400, "MissingUploadURLs"},
		{"21 urls", "UploadMediaByURL", kv("UploadURLs", urls(21)), 400, "InvalidParameter.UploadURLs"},
		{"ftp url", "UploadMediaByURL", kv("UploadURLs", encodeURLs("ftp://h/a.mp4")), 400, "InvalidParameter.UploadURLs"},
		{"url extension", "UploadMediaByURL", kv("UploadURLs", encodeURLs("http://h/a.exe")), 400, "InvalidFileName.Extension"},
		{"url without extension", "UploadMediaByURL", kv("UploadURLs", encodeURLs("http://127.0.0.1:1/video")), 400, "InvalidParameter.UploadURLs"},
		{"url extension from metadata", "UploadMediaByURL", kv("UploadURLs", encodeURLs("http://127.0.0.1:1/video"),
			"UploadMetadatas", `[{"SourceURL":"http://127.0.0.1:1/video","Title":"v","FileExtension":"mp4"}]`), 200, ok},
		{"metadata not json", "UploadMediaByURL", kv("UploadURLs", urls(1), "UploadMetadatas", "{"), 400, "InvalidParameter"},
		{"metadata without title", "UploadMediaByURL", kv("UploadURLs", urls(1),
			"UploadMetadatas", `[{"SourceURL":"http://127.0.0.1:1/0.mp4","Description":"d"}]`), 400, "InvalidParameter"},
		{"metadata title emoji", "UploadMediaByURL", kv("UploadURLs", urls(1),
			"UploadMetadatas", `[{"SourceURL":"http://127.0.0.1:1/0.mp4","Title":"🎉"}]`), 400, "IllegalCharacters"},
		{"metadata file size string", "UploadMediaByURL", kv("UploadURLs", urls(1),
			"UploadMetadatas", `[{"SourceURL":"http://127.0.0.1:1/0.mp4","Title":"t","FileSize":"123","CateId":"7"}]`), 200, ok},
		{"metadata template group unknown", "UploadMediaByURL", kv("UploadURLs", urls(1),
			"UploadMetadatas", `[{"SourceURL":"http://127.0.0.1:1/0.mp4","Title":"t","TemplateGroupId":"nope"}]`), 404, "InvalidTemplateGroupId.NotFound"},
		{"metadata description too long", "UploadMediaByURL", kv("UploadURLs", urls(1),
			"UploadMetadatas", `[{"SourceURL":"http://127.0.0.1:1/0.mp4","Title":"t","Description":"`+strings.Repeat("d", 1025)+`"}]`), 400, "LengthExceededMax"},
		{"metadata 17 tags", "UploadMediaByURL", kv("UploadURLs", urls(1),
			"UploadMetadatas", `[{"SourceURL":"http://127.0.0.1:1/0.mp4","Title":"t","Tags":"`+tags(17, 3)+`"}]`), 400, "TagsExceededMax"},
		{"metadata extension unsupported", "UploadMediaByURL", kv("UploadURLs", urls(1),
			"UploadMetadatas", `[{"SourceURL":"http://127.0.0.1:1/0.mp4","Title":"t","FileExtension":"exe"}]`), 400, "InvalidFileName.Extension"},
		{"metadata without source", "UploadMediaByURL", kv("UploadURLs", urls(1),
			"UploadMetadatas", `[{"Title":"t"}]`), 400, "InvalidParameter"},
		{"metadata file size not a number", "UploadMediaByURL", kv("UploadURLs", urls(1),
			"UploadMetadatas", `[{"SourceURL":"http://127.0.0.1:1/0.mp4","Title":"t","FileSize":"big"}]`), 400, "InvalidParameter"},

		// GetURLUploadInfos, RefreshUploadVideo, GetVideoInfo: the ID
		// parameters are optional alternatives, so VOD checks them itself.
		{"infos need ids", "GetURLUploadInfos", kv(), 400, "MissingParameter"},
		{"11 job ids", "GetURLUploadInfos", kv("JobIds", "1,2,3,4,5,6,7,8,9,10,11"), 400, "InvalidParameter"},
		{"11 urls", "GetURLUploadInfos", kv("UploadURLs", urls(11)), 400, "InvalidParameter"},
		{"refresh needs id", "RefreshUploadVideo", kv(), 400, "MissingParameter"},
		{"refresh unknown reference", "RefreshUploadVideo", kv("ReferenceId", "nobody-here"), 404, "InvalidVideo.NotFound"},
		{"info needs id", "GetVideoInfo", kv(), 400, "MissingParameter"},

		// DeleteImage, DeleteAttachedMedia.
		{"delete type required", "DeleteImage", kv("ImageIds", "a"), 400, "MissingDeleteImageType"},
		{"delete type unknown", "DeleteImage", kv("DeleteImageType", "Title"), 400, "InvalidParameter"},
		{"delete by id needs ids", "DeleteImage", kv("DeleteImageType", "ImageId"), 400, "MissingParameter"},
		{"delete by URL needs URLs", "DeleteImage", kv("DeleteImageType", "ImageURL"), 400, "MissingParameter"},
		{"delete by video needs the video", "DeleteImage", kv("DeleteImageType", "VideoId", "ImageType", "All"), 400, "MissingParameter"},
		{"delete by video needs type", "DeleteImage", kv("DeleteImageType", "VideoId", "VideoId", "v"), 400, "MissingParameter"},
		{"delete snapshots of nothing", "DeleteImage", kv("DeleteImageType", "VideoId", "VideoId", "v", "ImageType", "All"), 404, "InvalidVideo.NotFound"},
		{"delete snapshot type unknown", "DeleteImage", kv("DeleteImageType", "VideoId", "VideoId", "v", "ImageType", "Cover"), 400, "InvalidParameter"},
		{"delete 21 images", "DeleteImage", kv("DeleteImageType", "ImageId", "ImageIds", strings.Repeat("a,", 20)+"a"), 400, "InvalidParameter"},
		{"delete unknown image", "DeleteImage", kv("DeleteImageType", "ImageId", "ImageIds", "feed"), 404, "NoSuchResource"},
		{"delete attached needs ids", "DeleteAttachedMedia", kv(), 400, "MissingMediaIds"},
		{"delete 21 attached", "DeleteAttachedMedia", kv("MediaIds", strings.Repeat("a,", 20)+"a"), 400, "InvalidParameter"},
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

// TestSharedRules applies the rules every Create action and
// UploadMediaByURL share to each of them.
func TestSharedRules(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	base := map[string]map[string]string{
		"CreateUploadVideo":         {"Title": "t", "FileName": "a.mp4"},
		"CreateUploadImage":         {"ImageType": "default"},
		"CreateUploadAttachedMedia": {"BusinessType": "watermark", "MediaExt": "png"},
		"UploadMediaByURL":          {"UploadURLs": encodeURLs("http://127.0.0.1:1/a.mp4")},
	}
	rules := []struct {
		name, param, value string
		status             int
		code               string
		skip               string // an action without the parameter
	}{
		{"storage", "StorageLocation", "outin-other", 404, "InvalidStorage.NotFound", ""},
		{"app id", "AppId", "application", 400, "InvalidParameter", ""},
		{"user data", "UserData", "not json", 400, "InvalidParameter", ""},
		{"extend", "UserData", `{"Extend":"` + strings.Repeat("x", 600) + `"}`, 400, "InvalidParameter", ""},
		{"template group", "TemplateGroupId", "nope", 404, "InvalidTemplateGroupId.NotFound", "image attached"},
		{"description", "Description", strings.Repeat("d", 1025), 400, "LengthExceededMax", "url"},
		{"description emoji", "Description", "🎉", 400, "IllegalCharacters", "url"},
		{"cate id", "CateId", "-3", 400, "InvalidParameter", "url attached"},
		{"tags", "Tags", strings.Repeat("t,", 17), 400, "TagsExceededMax", "url"},
		{"file size", "FileSize", "x", 400, "InvalidParameter", "url image"},
	}
	short := map[string]string{"CreateUploadVideo": "video", "CreateUploadImage": "image",
		"CreateUploadAttachedMedia": "attached", "UploadMediaByURL": "url"}
	for action, params := range base {
		for _, r := range rules {
			if strings.Contains(r.skip, short[action]) {
				continue
			}
			p := map[string]string{r.param: r.value}
			for k, v := range params {
				p[k] = v
			}
			res := rawCall(t, srv, signedParams(srv, http.MethodGet, action, p))
			assert.Equal(t, r.status, res.Status, "%s %s", action, r.name)
			assert.Equal(t, r.code, res.code(), "%s %s", action, r.name)
		}
	}
}
