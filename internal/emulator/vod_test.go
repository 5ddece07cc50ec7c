package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vod"
	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	bucketPattern   = regexp.MustCompile(`^outin-[0-9a-f]{32}$`)
	videoKeyPattern = regexp.MustCompile(`^sv/([0-9a-f]{8}-[0-9a-f]{11})/([0-9a-f]{8}-[0-9a-f]{11})\.([a-z0-9]+)$`)
)

func decodeB64JSON(t *testing.T, s string) map[string]string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	var m map[string]string
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// assertAuth checks an UploadAuth the way an OSS client needs it, and that
// the emulator scoped it to exactly addr's object.
func assertAuth(t *testing.T, srv *Server, auth string, addr map[string]string) map[string]string {
	t.Helper()
	a := decodeB64JSON(t, auth)
	assert.True(t, strings.HasPrefix(a["AccessKeyId"], "STS."), a["AccessKeyId"])
	assert.NotEmpty(t, a["AccessKeySecret"])
	assert.NotEmpty(t, a["SecurityToken"])
	assert.Equal(t, "3000", a["Expiration"])
	assert.Equal(t, "cn-shanghai", a["Region"])
	exp, err := time.Parse(time.RFC3339, a["ExpireUTCTime"])
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(DefaultSTSTTL), exp, time.Minute)
	cred := srv.lookupSTS(a["AccessKeyId"])
	require.NotNil(t, cred)
	assert.True(t, cred.allows(addr["Bucket"], addr["FileName"]))
	assert.False(t, cred.allows(addr["Bucket"], "sv/other/other.mp4"))
	return a
}

func TestCreateUploadVideo(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	tests := []struct {
		fileName string
		ext      string
		prefix   bool
	}{
		{"movie.mp4", "mp4", false},
		{"LOUD.MOV", "mov", false},
		{`C:\clips\song.flac`, "flac", false},
		{"index.m3u8", "m3u8", true},
	}
	for _, tt := range tests {
		req := target(srv, vod.CreateCreateUploadVideoRequest())
		req.Title, req.FileName = "t", tt.fileName
		resp, err := client.CreateUploadVideo(req)
		require.NoError(t, err, tt.fileName)
		assert.Regexp(t, `^[0-9a-f]{32}$`, resp.VideoId)
		assert.NotEmpty(t, resp.RequestId)

		addr := decodeB64JSON(t, resp.UploadAddress)
		assert.Equal(t, srv.URL, addr["Endpoint"])
		assert.Regexp(t, bucketPattern, addr["Bucket"])
		m := videoKeyPattern.FindStringSubmatch(addr["FileName"])
		require.NotNil(t, m, addr["FileName"])
		assert.Equal(t, m[1], m[2], "VOD names the object after its directory")
		assert.Equal(t, tt.ext, m[3])
		if tt.prefix {
			assert.Equal(t, path.Dir(addr["FileName"])+"/", addr["ObjectPrefix"])
			cred := srv.lookupSTS(decodeB64JSON(t, resp.UploadAuth)["AccessKeyId"])
			assert.True(t, cred.allows(addr["Bucket"], addr["ObjectPrefix"]+"seg-001.ts"),
				"an M3U8 credential covers its segments")
		} else {
			assert.NotContains(t, addr, "ObjectPrefix")
		}
		assertAuth(t, srv, resp.UploadAuth, addr)
	}
	c := srv.Counters()
	assert.EqualValues(t, len(tests), c.Credentials)
	assert.EqualValues(t, len(tests), c.Requests["CreateUploadVideo"])
}

func TestRefreshUploadVideo(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	create := target(srv, vod.CreateCreateUploadVideoRequest())
	create.Title, create.FileName = "t", "index.m3u8"
	created, err := client.CreateUploadVideo(create)
	require.NoError(t, err)

	refresh := target(srv, vod.CreateRefreshUploadVideoRequest())
	refresh.VideoId = created.VideoId
	refreshed, err := client.RefreshUploadVideo(refresh)
	require.NoError(t, err)
	assert.Equal(t, created.VideoId, refreshed.VideoId)
	assert.Equal(t, created.UploadAddress, refreshed.UploadAddress, "same key and prefix")
	addr := decodeB64JSON(t, refreshed.UploadAddress)
	fresh := assertAuth(t, srv, refreshed.UploadAuth, addr)
	assert.NotEqual(t, decodeB64JSON(t, created.UploadAuth)["AccessKeyId"], fresh["AccessKeyId"])
	c := srv.Counters()
	assert.EqualValues(t, 1, c.Refreshes)
	assert.EqualValues(t, 2, c.Credentials)

	refresh = target(srv, vod.CreateRefreshUploadVideoRequest())
	refresh.VideoId = "0123456789abcdef0123456789abcdef"
	_, err = client.RefreshUploadVideo(refresh)
	var se *errors.ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 404, se.HttpStatus())
	assert.Equal(t, "InvalidVideo.NotFound", se.ErrorCode())
}

func TestCreateUploadImage(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	tests := []struct {
		imageType, imageExt string
		wantDir, wantExt    string
	}{
		{"default", "", "image/default/", "png"}, // png is VOD's documented ImageExt default
		{"cover", "JPG", "image/cover/", "jpg"},
		{"default", "gif", "image/default/", "gif"},
	}
	for _, tt := range tests {
		req := target(srv, vod.CreateCreateUploadImageRequest())
		req.ImageType, req.ImageExt, req.Title = tt.imageType, tt.imageExt, "img"
		resp, err := client.CreateUploadImage(req)
		require.NoError(t, err)
		assert.Regexp(t, `^[0-9a-f]{32}$`, resp.ImageId)
		addr := decodeB64JSON(t, resp.UploadAddress)
		assert.Equal(t, tt.wantDir+strings.ToUpper(resp.ImageId)+"."+tt.wantExt, addr["FileName"])
		assert.Equal(t, srv.URL+"/"+addr["Bucket"]+"/"+addr["FileName"], resp.ImageURL)
		assert.Equal(t, resp.ImageURL, resp.FileURL)
		assertAuth(t, srv, resp.UploadAuth, addr)
	}
}

func TestCreateUploadAttachedMedia(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	tests := []struct {
		businessType, mediaExt, fileName string
		wantKeySuffix                    string
	}{
		{"watermark", "png", "", ".png"},
		{"subtitle", "", "captions.VTT", ".vtt"},
		{"material", "zip", "bundle.zip", ".zip"},
		{"material", "apk", "app.bin", ".apk"}, // MediaExt wins over FileName
		{"watermark", "", "", ""},              // VOD allows neither; the key then has no extension
	}
	for _, tt := range tests {
		req := target(srv, vod.CreateCreateUploadAttachedMediaRequest())
		req.BusinessType, req.MediaExt, req.FileName = tt.businessType, tt.mediaExt, tt.fileName
		req.CateIds = "1,2,3"
		resp, err := client.CreateUploadAttachedMedia(req)
		require.NoError(t, err, tt.businessType)
		assert.Regexp(t, `^[0-9a-f]{32}$`, resp.MediaId)
		addr := decodeB64JSON(t, resp.UploadAddress)
		assert.Equal(t, "attached/"+tt.businessType+"/"+strings.ToUpper(resp.MediaId)+tt.wantKeySuffix, addr["FileName"])
		assert.Equal(t, srv.URL+"/"+addr["Bucket"]+"/"+addr["FileName"], resp.MediaURL)
		assert.Equal(t, resp.MediaURL, resp.FileURL)
		assertAuth(t, srv, resp.UploadAuth, addr)
	}
}

func TestReferenceID(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	create := func() (*vod.CreateUploadVideoResponse, error) {
		req := target(srv, vod.CreateCreateUploadVideoRequest())
		req.Title, req.FileName = "t", "a.mp4"
		req.QueryParams["ReferenceId"] = "order-000123"
		return client.CreateUploadVideo(req)
	}
	created, err := create()
	require.NoError(t, err)
	_, err = create()
	var se *errors.ServerError
	require.ErrorAs(t, err, &se, "a ReferenceId is unique per account")
	assert.Equal(t, "InvalidParameter", se.ErrorCode())

	info := target(srv, vod.CreateGetVideoInfoRequest())
	info.QueryParams["ReferenceId"] = "order-000123"
	got, err := client.GetVideoInfo(info)
	require.NoError(t, err)
	assert.Equal(t, created.VideoId, got.Video.VideoId)

	refresh := target(srv, vod.CreateRefreshUploadVideoRequest())
	refresh.QueryParams["ReferenceId"] = "order-000123"
	refreshed, err := client.RefreshUploadVideo(refresh)
	require.NoError(t, err)
	assert.Equal(t, created.VideoId, refreshed.VideoId)
	assert.Equal(t, created.UploadAddress, refreshed.UploadAddress)
}

func TestGetVideoInfo(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	create := target(srv, vod.CreateCreateUploadVideoRequest())
	create.Title, create.FileName, create.Description = "holiday", "h.mp4", "by the sea"
	create.Tags, create.CateId, create.TemplateGroupId = "sea, sun", "42", builtinTemplateGroup
	created, err := client.CreateUploadVideo(create)
	require.NoError(t, err)

	info := func() vod.VideoInGetVideoInfo {
		req := target(srv, vod.CreateGetVideoInfoRequest())
		req.VideoId = created.VideoId
		resp, err := client.GetVideoInfo(req)
		require.NoError(t, err)
		return resp.Video
	}
	v := info()
	assert.Equal(t, created.VideoId, v.VideoId)
	assert.Equal(t, "Uploading", v.Status)
	assert.Equal(t, "holiday", v.Title)
	assert.Equal(t, "by the sea", v.Description)
	assert.Equal(t, "sea,sun", v.Tags)
	assert.EqualValues(t, 42, v.CateId)
	assert.Equal(t, builtinTemplateGroup, v.TemplateGroupId)
	assert.Equal(t, srv.storageLocation(), v.StorageLocation)
	assert.Equal(t, "app-1000000", v.AppId)
	_, err = time.Parse(time.RFC3339, v.CreationTime)
	assert.NoError(t, err)
	assert.Zero(t, v.Size)

	addr := decodeB64JSON(t, created.UploadAddress)
	_, err = srv.store.put(addr["Bucket"], addr["FileName"], strings.NewReader("0123456789"), "video/mp4")
	require.NoError(t, err)
	v = info()
	assert.Equal(t, "UploadSucc", v.Status)
	assert.EqualValues(t, 10, v.Size)
}

// TestUploadCredentialWorksWithOSSSDK is the contract end to end: what
// CreateUploadVideo hands out is enough for aliyun-oss-go-sdk to upload an
// M3U8 index and its segments, and nothing outside its directory.
func TestUploadCredentialWorksWithOSSSDK(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	create := target(srv, vod.CreateCreateUploadVideoRequest())
	create.Title, create.FileName = "hls", "index.m3u8"
	created, err := client.CreateUploadVideo(create)
	require.NoError(t, err)
	addr := decodeB64JSON(t, created.UploadAddress)
	auth := decodeB64JSON(t, created.UploadAuth)

	ossClient, err := oss.New(addr["Endpoint"], auth["AccessKeyId"], auth["AccessKeySecret"],
		oss.SecurityToken(auth["SecurityToken"]), oss.Timeout(5, 20))
	require.NoError(t, err)
	bucket, err := ossClient.Bucket(addr["Bucket"])
	require.NoError(t, err)
	require.NoError(t, bucket.PutObject(addr["ObjectPrefix"]+"seg-0.ts", strings.NewReader("segment")))
	require.NoError(t, bucket.PutObject(addr["FileName"], strings.NewReader("#EXTM3U\n")))
	err = bucket.PutObject("sv/elsewhere/x.ts", strings.NewReader("nope"))
	var se oss.ServiceError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusForbidden, se.StatusCode)

	info := target(srv, vod.CreateGetVideoInfoRequest())
	info.VideoId = created.VideoId
	resp, err := client.GetVideoInfo(info)
	require.NoError(t, err)
	assert.Equal(t, "UploadSucc", resp.Video.Status)
	assert.EqualValues(t, len("#EXTM3U\n"), resp.Video.Size)
}

func TestExpireVideoCredentialsSparesImagesAndAttachedMedia(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	video := target(srv, vod.CreateCreateUploadVideoRequest())
	video.Title, video.FileName = "v", "v.mp4"
	v, err := client.CreateUploadVideo(video)
	require.NoError(t, err)
	image := target(srv, vod.CreateCreateUploadImageRequest())
	image.Title, image.ImageType, image.ImageExt = "i", "default", "png"
	i, err := client.CreateUploadImage(image)
	require.NoError(t, err)
	attached := target(srv, vod.CreateCreateUploadAttachedMediaRequest())
	attached.BusinessType, attached.MediaExt = "watermark", "png"
	a, err := client.CreateUploadAttachedMedia(attached)
	require.NoError(t, err)
	expired := func(auth string) bool {
		cred, ok := srv.ossCredential(decodeB64JSON(t, auth)["AccessKeyId"])
		require.True(t, ok)
		return time.Now().After(cred.Expires)
	}

	srv.ExpireVideoCredentials()

	assert.True(t, expired(v.UploadAuth), "video")
	assert.False(t, expired(i.UploadAuth), "image")
	assert.False(t, expired(a.UploadAuth), "attached media")

	srv.ExpireCredentials()

	assert.True(t, expired(i.UploadAuth), "image")
	assert.True(t, expired(a.UploadAuth), "attached media")
}

func TestDeleteImageAndAttachedMedia(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	image := target(srv, vod.CreateCreateUploadImageRequest())
	image.Title, image.ImageType, image.ImageExt = "i", "default", "png"
	img, err := client.CreateUploadImage(image)
	require.NoError(t, err)
	addr := decodeB64JSON(t, img.UploadAddress)
	_, err = srv.store.put(addr["Bucket"], addr["FileName"], strings.NewReader("png"), "image/png")
	require.NoError(t, err)
	attached := target(srv, vod.CreateCreateUploadAttachedMediaRequest())
	attached.BusinessType, attached.MediaExt = "watermark", "png"
	att, err := client.CreateUploadAttachedMedia(attached)
	require.NoError(t, err)

	// An unknown ID fails the whole call and deletes nothing.
	del := target(srv, vod.CreateDeleteImageRequest())
	del.DeleteImageType, del.ImageIds = "ImageId", img.ImageId+",0123456789abcdef0123456789abcdef"
	_, err = client.DeleteImage(del)
	var se *errors.ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 404, se.HttpStatus())
	assert.Equal(t, "NoSuchResource", se.ErrorCode())
	assert.NotNil(t, srv.lookupMedia(img.ImageId, kindImage))

	del = target(srv, vod.CreateDeleteImageRequest())
	del.DeleteImageType, del.ImageIds = "ImageId", img.ImageId
	_, err = client.DeleteImage(del)
	require.NoError(t, err)
	assert.Nil(t, srv.lookupMedia(img.ImageId, kindImage))
	_, ok := srv.statObject(addr["Bucket"], addr["FileName"])
	assert.False(t, ok, "the image file goes with its record")

	delAtt := target(srv, vod.CreateDeleteAttachedMediaRequest())
	delAtt.MediaIds = att.MediaId + ",0123456789abcdef0123456789abcdef"
	resp, err := client.DeleteAttachedMedia(delAtt)
	require.NoError(t, err)
	assert.Equal(t, []string{"0123456789abcdef0123456789abcdef"}, resp.NonExistMediaIds)
	assert.Nil(t, srv.lookupMedia(att.MediaId, kindAttached))
}

func TestDeleteImageByURL(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	image := target(srv, vod.CreateCreateUploadImageRequest())
	image.ImageType = "cover"
	img, err := client.CreateUploadImage(image)
	require.NoError(t, err)

	del := target(srv, vod.CreateDeleteImageRequest())
	del.DeleteImageType, del.ImageURLs = "ImageURL", url.QueryEscape(img.ImageURL)
	_, err = client.DeleteImage(del)
	require.NoError(t, err)
	assert.Nil(t, srv.lookupMedia(img.ImageId, kindImage))

	// A video's snapshots: the emulator takes none, so there is nothing
	// to delete, but the video must exist.
	video := target(srv, vod.CreateCreateUploadVideoRequest())
	video.Title, video.FileName = "v", "v.mp4"
	v, err := client.CreateUploadVideo(video)
	require.NoError(t, err)
	del = target(srv, vod.CreateDeleteImageRequest())
	del.DeleteImageType, del.VideoId, del.ImageType = "VideoId", v.VideoId, "CoverSnapshot,NormalSnapshot"
	_, err = client.DeleteImage(del)
	require.NoError(t, err)
}
