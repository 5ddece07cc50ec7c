package emulator

import (
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vod"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// DeleteVideo as VOD's API reference (DeleteVideo, help.aliyun.com
// document 52837) and metadata (aliyun-openapi-meta
// metadatas/vod/DeleteVideo.json) describe it: VideoIds and ReferenceIds,
// neither required, at most 20 each; the answer lists NonExistVideoIds and
// ForbiddenVideoIds.

func TestDeleteVideoThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	client := newVODClient(t, srv.AccessKeyID, srv.AccessKeySecret)
	create := target(srv, vod.CreateCreateUploadVideoRequest())
	create.Title, create.FileName = "doomed", "a.mp4"
	v, err := client.CreateUploadVideo(create)
	require.NoError(t, err)
	addr := decodeB64JSON(t, v.UploadAddress)
	_, err = srv.store.put(addr["Bucket"], addr["FileName"], strings.NewReader("mp4"), "video/mp4")
	require.NoError(t, err)

	del := target(srv, vod.CreateDeleteVideoRequest())
	del.VideoIds = v.VideoId + ",0123456789abcdef0123456789abcdef"
	resp, err := client.DeleteVideo(del)
	require.NoError(t, err)
	assert.Equal(t, []string{"0123456789abcdef0123456789abcdef"}, resp.NonExistVideoIds)
	assert.Empty(t, resp.ForbiddenVideoIds)
	assert.Nil(t, srv.lookupMedia(v.VideoId, kindVideo))
	_, ok := srv.statObject(addr["Bucket"], addr["FileName"])
	assert.False(t, ok, "the source file goes with the video")
}

func TestDeleteVideoRules(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	video := func(ref string) string {
		p := map[string]string{"Title": "t", "FileName": "a.mp4"}
		if ref != "" {
			p["ReferenceId"] = ref
		}
		return jsonFields(t, rawGet(t, srv, "CreateUploadVideo", p).body)["VideoId"].(string)
	}

	tests := []struct {
		name   string
		params map[string]string
		status int
		code   string
	}{
		{"neither list", map[string]string{}, 400, "MissingParameter"},
		{"21 video IDs", map[string]string{"VideoIds": strings.Repeat("a,", 20) + "a"}, 400, "InvalidParameter"},
		{"21 reference IDs", map[string]string{"ReferenceIds": strings.Repeat("abcdef,", 20) + "abcdef"}, 400, "InvalidParameter"},
		{"malformed reference ID", map[string]string{"ReferenceIds": "abc"}, 400, "InvalidParameter"},
	}
	for _, tt := range tests {
		a := rawGet(t, srv, "DeleteVideo", tt.params)
		assert.Equal(t, tt.status, a.status, tt.name)
		assert.Equal(t, tt.code, answerCode(t, a), tt.name)
	}

	// Every ID existed: RequestId alone.
	id := video("")
	got := jsonFields(t, rawGet(t, srv, "DeleteVideo", map[string]string{"VideoIds": id}).body)
	assert.Len(t, got, 1)
	assert.Contains(t, got, "RequestId")
	assert.False(t, srv.HasMedia(id))

	// By ReferenceId; an unknown one is listed as not existing.
	byRef := video("ref-000001")
	got = jsonFields(t, rawGet(t, srv, "DeleteVideo", map[string]string{"ReferenceIds": "ref-000001,ref-000002"}).body)
	assert.Equal(t, []any{"ref-000002"}, got["NonExistVideoIds"])
	assert.False(t, srv.HasMedia(byRef))

	// An image's ID is no video's.
	img := jsonFields(t, rawGet(t, srv, "CreateUploadImage", map[string]string{"ImageType": "default"}).body)["ImageId"].(string)
	got = jsonFields(t, rawGet(t, srv, "DeleteVideo", map[string]string{"VideoIds": img}).body)
	assert.Equal(t, []any{img}, got["NonExistVideoIds"])
	assert.True(t, srv.HasMedia(img))
}
