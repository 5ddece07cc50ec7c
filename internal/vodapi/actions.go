package vodapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vod"

	"github.com/vodupload/vodupload/internal/apierr"
)

// maxInfoIDs is how many job IDs GetURLUploadInfos takes per call.
const maxInfoIDs = 10

// rawUpload is what every credential-issuing action answers.
type rawUpload struct {
	requestID, mediaID, address, auth, mediaURL, fileURL string
	received                                             time.Time
}

// upload decodes a rawUpload into an Upload.
func (c *Client) upload(action string, r rawUpload) (*Upload, error) {
	if r.mediaID == "" {
		// Without it the media cannot be refreshed, resumed or found.
		return nil, fmt.Errorf("vod %s: answer without a media ID: %w", action, ErrMalformed)
	}
	addr, err := DecodeAddress(r.address)
	if err != nil {
		return nil, fmt.Errorf("vod %s: %w", action, err)
	}
	auth, err := DecodeAuth(r.auth, r.received)
	if err != nil {
		return nil, fmt.Errorf("vod %s: %w", action, err)
	}
	return &Upload{
		MediaID: r.mediaID, RequestID: r.requestID,
		Address: addr, Auth: auth,
		RawAddress: r.address, RawAuth: Secret(r.auth),
		MediaURL: r.mediaURL, FileURL: r.fileURL,
	}, nil
}

// CreateUploadVideo registers a video or audio file and returns where and
// with what to upload it. It is retried only when the request surely never
// reached VOD, since a repeated create makes a duplicate video.
func (c *Client) CreateUploadVideo(ctx context.Context, req CreateVideoRequest) (*Upload, error) {
	const action = "CreateUploadVideo"
	r, err := invoke(ctx, c, action, notDelivered, func(cl *vod.Client, timeout time.Duration) (rawUpload, error) {
		q := vod.CreateCreateUploadVideoRequest()
		c.prepare(q.RpcRequest, timeout)
		q.Title, q.FileName, q.Description, q.CoverURL = req.Title, req.FileName, req.Description, req.CoverURL
		q.FileSize, q.CateId = requests.Integer(itoa(req.FileSize)), requests.Integer(itoa(req.CateID))
		q.Tags, q.TemplateGroupId, q.WorkflowId = strings.Join(req.Tags, ","), req.TemplateGroupID, req.WorkflowID
		q.StorageLocation, q.AppId, q.UserData = req.StorageLocation, req.AppID, req.UserData
		resp, err := cl.CreateUploadVideo(q)
		if err != nil {
			return rawUpload{}, err
		}
		return rawUpload{requestID: resp.RequestId, mediaID: resp.VideoId,
			address: resp.UploadAddress, auth: resp.UploadAuth, received: c.now()}, nil
	})
	if err != nil {
		return nil, err
	}
	return c.upload(action, r)
}

// RefreshUploadVideo issues a fresh credential for an existing video; the
// address stays the same.
func (c *Client) RefreshUploadVideo(ctx context.Context, videoID string) (*Upload, error) {
	const action = "RefreshUploadVideo"
	if videoID == "" {
		return nil, errors.New("vod RefreshUploadVideo: empty video ID")
	}
	r, err := invoke(ctx, c, action, idempotent, func(cl *vod.Client, timeout time.Duration) (rawUpload, error) {
		q := vod.CreateRefreshUploadVideoRequest()
		c.prepare(q.RpcRequest, timeout)
		q.VideoId = videoID
		resp, err := cl.RefreshUploadVideo(q)
		if err != nil {
			return rawUpload{}, err
		}
		return rawUpload{requestID: resp.RequestId, mediaID: resp.VideoId,
			address: resp.UploadAddress, auth: resp.UploadAuth, received: c.now()}, nil
	})
	if err != nil {
		return nil, err
	}
	return c.upload(action, r)
}

// CreateUploadImage registers an image. Images have no refresh call: when
// the credential expires, create again.
func (c *Client) CreateUploadImage(ctx context.Context, req CreateImageRequest) (*Upload, error) {
	const action = "CreateUploadImage"
	r, err := invoke(ctx, c, action, notDelivered, func(cl *vod.Client, timeout time.Duration) (rawUpload, error) {
		q := vod.CreateCreateUploadImageRequest()
		c.prepare(q.RpcRequest, timeout)
		q.ImageType, q.ImageExt, q.Title, q.Description = req.imageType(), req.ImageExt, req.Title, req.Description
		q.CateId, q.Tags = requests.Integer(itoa(req.CateID)), strings.Join(req.Tags, ",")
		q.OriginalFileName, q.StorageLocation = req.OriginalFileName, req.StorageLocation
		q.AppId, q.UserData = req.AppID, req.UserData
		resp, err := cl.CreateUploadImage(q)
		if err != nil {
			return rawUpload{}, err
		}
		return rawUpload{requestID: resp.RequestId, mediaID: resp.ImageId,
			address: resp.UploadAddress, auth: resp.UploadAuth,
			mediaURL: resp.ImageURL, fileURL: resp.FileURL, received: c.now()}, nil
	})
	if err != nil {
		return nil, err
	}
	return c.upload(action, r)
}

// CreateUploadAttachedMedia registers a watermark, subtitle or material
// file.
func (c *Client) CreateUploadAttachedMedia(ctx context.Context, req CreateAttachedMediaRequest) (*Upload, error) {
	const action = "CreateUploadAttachedMedia"
	r, err := invoke(ctx, c, action, notDelivered, func(cl *vod.Client, timeout time.Duration) (rawUpload, error) {
		q := vod.CreateCreateUploadAttachedMediaRequest()
		c.prepare(q.RpcRequest, timeout)
		q.BusinessType, q.MediaExt, q.Title, q.FileName = req.BusinessType, req.MediaExt, req.Title, req.FileName
		q.FileSize, q.Description = itoa(req.FileSize), req.Description
		q.CateId, q.CateIds = requests.Integer(itoa(req.CateID)), joinInts(req.CateIDs)
		q.Tags, q.StorageLocation = strings.Join(req.Tags, ","), req.StorageLocation
		q.AppId, q.UserData = req.AppID, req.UserData
		resp, err := cl.CreateUploadAttachedMedia(q)
		if err != nil {
			return rawUpload{}, err
		}
		return rawUpload{requestID: resp.RequestId, mediaID: resp.MediaId,
			address: resp.UploadAddress, auth: resp.UploadAuth,
			mediaURL: resp.MediaURL, fileURL: resp.FileURL, received: c.now()}, nil
	})
	if err != nil {
		return nil, err
	}
	return c.upload(action, r)
}

// DeleteImage deletes an image and its file (DeleteImageType=ImageId). An
// image VOD no longer has counts as deleted: VOD answers NoSuchResource
// (404) for it, which a repeated delete would otherwise fail on.
func (c *Client) DeleteImage(ctx context.Context, imageID string) error {
	const action = "DeleteImage"
	if imageID == "" {
		return errors.New("vod DeleteImage: empty image ID")
	}
	_, err := invoke(ctx, c, action, idempotent, func(cl *vod.Client, timeout time.Duration) (struct{}, error) {
		q := vod.CreateDeleteImageRequest()
		c.prepare(q.RpcRequest, timeout)
		q.DeleteImageType, q.ImageIds = "ImageId", imageID
		_, err := cl.DeleteImage(q)
		return struct{}{}, err
	})
	if apierr.HasCode(err, "NoSuchResource") {
		return nil
	}
	return err
}

// DeleteAttachedMedia deletes an attached media file; one VOD no longer
// has counts as deleted.
func (c *Client) DeleteAttachedMedia(ctx context.Context, mediaID string) error {
	const action = "DeleteAttachedMedia"
	if mediaID == "" {
		return errors.New("vod DeleteAttachedMedia: empty media ID")
	}
	_, err := invoke(ctx, c, action, idempotent, func(cl *vod.Client, timeout time.Duration) (struct{}, error) {
		q := vod.CreateDeleteAttachedMediaRequest()
		c.prepare(q.RpcRequest, timeout)
		q.MediaIds = mediaID
		_, err := cl.DeleteAttachedMedia(q)
		return struct{}{}, err
	})
	return err
}

// GetVideoInfo returns a video's metadata and status.
func (c *Client) GetVideoInfo(ctx context.Context, videoID string) (*VideoInfo, error) {
	const action = "GetVideoInfo"
	if videoID == "" {
		return nil, errors.New("vod GetVideoInfo: empty video ID")
	}
	v, err := invoke(ctx, c, action, idempotent, func(cl *vod.Client, timeout time.Duration) (vod.VideoInGetVideoInfo, error) {
		q := vod.CreateGetVideoInfoRequest()
		c.prepare(q.RpcRequest, timeout)
		q.VideoId = videoID
		resp, err := cl.GetVideoInfo(q)
		if err != nil {
			return vod.VideoInGetVideoInfo{}, err
		}
		return resp.Video, nil
	})
	if err != nil {
		return nil, err
	}
	return &VideoInfo{
		VideoID: v.VideoId, Title: v.Title, Description: v.Description, Status: v.Status,
		Size: v.Size, Duration: v.Duration, CoverURL: v.CoverURL, CateID: v.CateId,
		Tags: splitTags(v.Tags), TemplateGroupID: v.TemplateGroupId,
		StorageLocation: v.StorageLocation, AppID: v.AppId, RegionID: v.RegionId,
		Created: parseVODTime(v.CreationTime),
	}, nil
}

// UploadMediaByURL asks VOD to fetch each item's URL. Like the Create
// calls it is retried only when the request surely never reached VOD.
func (c *Client) UploadMediaByURL(ctx context.Context, req UploadByURLRequest) ([]URLJob, error) {
	const action = "UploadMediaByURL"
	if len(req.Items) == 0 {
		return nil, errors.New("vod UploadMediaByURL: no URLs")
	}
	urls, metadata, err := encodeURLItems(req.Items)
	if err != nil {
		return nil, fmt.Errorf("vod %s: encode metadata: %w", action, err)
	}
	return invoke(ctx, c, action, notDelivered, func(cl *vod.Client, timeout time.Duration) ([]URLJob, error) {
		q := vod.CreateUploadMediaByURLRequest()
		c.prepare(q.RpcRequest, timeout)
		q.UploadURLs, q.UploadMetadatas = urls, metadata
		q.TemplateGroupId, q.WorkflowId, q.StorageLocation = req.TemplateGroupID, req.WorkflowID, req.StorageLocation
		q.AppId, q.UserData = req.AppID, req.UserData
		resp, err := cl.UploadMediaByURL(q)
		if err != nil {
			return nil, err
		}
		jobs := make([]URLJob, len(resp.UploadJobs))
		for i, j := range resp.UploadJobs {
			jobs[i] = URLJob{JobID: j.JobId, SourceURL: j.SourceURL}
		}
		return jobs, nil
	})
}

// GetURLUploadInfos reports the state of URL upload jobs, asking VOD ten
// IDs at a time.
func (c *Client) GetURLUploadInfos(ctx context.Context, jobIDs []string) (*URLUploadInfos, error) {
	out := &URLUploadInfos{}
	for start := 0; start < len(jobIDs); start += maxInfoIDs {
		batch := jobIDs[start:min(start+maxInfoIDs, len(jobIDs))]
		part, err := c.urlUploadInfos(ctx, batch)
		if err != nil {
			return nil, err
		}
		out.Jobs = append(out.Jobs, part.Jobs...)
		out.NonExistent = append(out.NonExistent, part.NonExistent...)
	}
	return out, nil
}

func (c *Client) urlUploadInfos(ctx context.Context, ids []string) (*URLUploadInfos, error) {
	return invoke(ctx, c, "GetURLUploadInfos", idempotent, func(cl *vod.Client, timeout time.Duration) (*URLUploadInfos, error) {
		q := vod.CreateGetURLUploadInfosRequest()
		c.prepare(q.RpcRequest, timeout)
		q.JobIds = strings.Join(ids, ",")
		resp, err := cl.GetURLUploadInfos(q)
		if err != nil {
			return nil, err
		}
		out := &URLUploadInfos{NonExistent: resp.NonExists}
		for _, j := range resp.URLUploadInfoList {
			size, _ := strconv.ParseInt(j.FileSize, 10, 64)
			out.Jobs = append(out.Jobs, URLUploadInfo{
				JobID: j.JobId, SourceURL: j.UploadURL, MediaID: j.MediaId, Status: j.Status,
				ErrorCode: j.ErrorCode, ErrorMessage: j.ErrorMessage, FileSize: size,
				UserData: j.UserData, Created: parseVODTime(j.CreationTime),
				Completed: parseVODTime(j.CompleteTime),
			})
		}
		return out, nil
	})
}
