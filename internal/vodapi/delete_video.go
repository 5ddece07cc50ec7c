package vodapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vod"
)

// ErrDeleteForbidden: VOD listed the video in DeleteVideo's
// ForbiddenVideoIds, which it does when the caller's RAM policy does not
// cover it; the video was not deleted.
var ErrDeleteForbidden = errors.New("VOD refused to delete the video (ForbiddenVideoIds): the RAM policy does not allow it")

// DeleteVideo deletes a video with its source file. A video VOD no longer
// has (NonExistVideoIds) counts as deleted, so a repeated delete is not an
// error; one VOD lists as forbidden is ErrDeleteForbidden.
func (c *Client) DeleteVideo(ctx context.Context, videoID string) error {
	const action = "DeleteVideo"
	if videoID == "" {
		return errors.New("vod DeleteVideo: empty video ID")
	}
	forbidden, err := invoke(ctx, c, action, idempotent, func(cl *vod.Client, timeout time.Duration) ([]string, error) {
		q := vod.CreateDeleteVideoRequest()
		c.prepare(q.RpcRequest, timeout)
		q.VideoIds = videoID
		resp, err := cl.DeleteVideo(q)
		if err != nil {
			return nil, err
		}
		return resp.ForbiddenVideoIds, nil
	})
	if err != nil {
		return err
	}
	if slices.Contains(forbidden, videoID) {
		return fmt.Errorf("vod DeleteVideo %s: %w", videoID, ErrDeleteForbidden)
	}
	return nil
}
