package main

import (
	"context"

	"github.com/vodupload/vodupload"
)

// outcome is a finished upload of any kind.
type outcome struct {
	kind     string
	idLabel  string // how VOD names the ID: VideoId, ImageId, MediaId
	mediaURL string // where VOD serves it, for images and attached media
	// objects is set for an HLS upload, whose Result.Parts counts the
	// objects written (index, segments, keys) and whose CRC64 is the
	// index object's alone.
	objects bool
	// jobID and status are a pull's: VOD fetched the file itself.
	jobID, status string
	vodupload.Result
}

// uploadFunc uploads src as one kind of media with the metadata in c.
type uploadFunc func(ctx context.Context, up *vodupload.Uploader, src vodupload.Source, c *config) (*outcome, error)

// kindSpec is one -kind: the metadata flags only it accepts (the rest,
// -title, -tags, -extend..., apply to every kind) and its upload.
type kindSpec struct {
	flags  []string
	upload uploadFunc
}

// kinds is the -kind table; a new kind is one entry here.
func kinds() map[string]kindSpec {
	return map[string]kindSpec{
		"video": {
			flags:  []string{"cover-url", "cate-id", "template-group-id", "workflow-id"},
			upload: uploadVideo,
		},
		"image": {
			flags:  []string{"image-type", "image-ext", "cate-id"},
			upload: uploadImage,
		},
		"attached": {
			flags:  []string{"business-type", "media-ext", "cate-ids"},
			upload: uploadAttached,
		},
		"m3u8": {
			flags:  []string{"cover-url", "cate-id", "template-group-id", "workflow-id", "segments"},
			upload: uploadM3U8,
		},
	}
}

// uploadM3U8 uploads an HLS index (-file or -url) and its segments; the
// Source built from -file is not used, the SDK reads the index itself.
func uploadM3U8(ctx context.Context, up *vodupload.Uploader, _ vodupload.Source, c *config) (*outcome, error) {
	index := c.file
	if c.url != "" {
		index = c.url
	}
	res, err := up.UploadM3U8(ctx, vodupload.M3U8{Index: index, Segments: c.segments}, c.videoMeta())
	if err != nil {
		return nil, err
	}
	return &outcome{kind: "m3u8", idLabel: "VideoId", objects: true, Result: res.Result}, nil
}

func uploadVideo(ctx context.Context, up *vodupload.Uploader, src vodupload.Source, c *config) (*outcome, error) {
	res, err := up.UploadVideo(ctx, src, c.videoMeta())
	if err != nil {
		return nil, err
	}
	return &outcome{kind: "video", idLabel: "VideoId", Result: res.Result}, nil
}

// videoMeta is VideoMeta from the flags (video, m3u8, pull).
func (c *config) videoMeta() vodupload.VideoMeta {
	return vodupload.VideoMeta{
		Title: c.title, FileName: c.name, Description: c.description, CoverURL: c.coverURL,
		CateID: c.cateID, Tags: c.tags, TemplateGroupID: c.templateGroupID, WorkflowID: c.workflowID,
		StorageLocation: c.storageLocation, AppID: c.appID, UserData: c.userData(),
	}
}

// metadataFlags are every flag that describes the media to VOD.
func metadataFlags() []string {
	return append([]string{"kind", "name", "title", "description", "tags", "storage-location", "app-id",
		"callback-url", "callback-type", "extend"}, metaOnlyFlags()...)
}

func uploadImage(ctx context.Context, up *vodupload.Uploader, src vodupload.Source, c *config) (*outcome, error) {
	res, err := up.UploadImage(ctx, src, vodupload.ImageMeta{
		ImageType: c.imageType, ImageExt: c.imageExt, Title: c.title, Description: c.description,
		CateID: c.cateID, Tags: c.tags, StorageLocation: c.storageLocation, AppID: c.appID,
		UserData: c.userData(),
	})
	if err != nil {
		return nil, err
	}
	return &outcome{kind: "image", idLabel: "ImageId", mediaURL: res.ImageURL, Result: res.Result}, nil
}

func uploadAttached(ctx context.Context, up *vodupload.Uploader, src vodupload.Source, c *config) (*outcome, error) {
	res, err := up.UploadAttachedMedia(ctx, src, vodupload.AttachedMediaMeta{
		BusinessType: c.businessType, MediaExt: c.mediaExt, FileName: c.name, Title: c.title,
		Description: c.description, CateIDs: c.cateIDs, Tags: c.tags,
		StorageLocation: c.storageLocation, AppID: c.appID, UserData: c.userData(),
	})
	if err != nil {
		return nil, err
	}
	return &outcome{kind: "attached", idLabel: "MediaId", mediaURL: res.MediaURL, Result: res.Result}, nil
}
