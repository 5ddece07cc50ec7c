package vodapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vodupload/vodupload/internal/retry"
)

// Polling bounds for WaitURLUploads: VOD fetches are minutes long, so the
// interval grows from a second to half a minute.
const (
	firstPoll = time.Second
	maxPoll   = 30 * time.Second
)

// ErrUnknownJob is wrapped by WaitURLUploads when VOD does not know a job
// ID (NonExists): such a job never finishes, and a caller that kept the ID
// from an earlier run may submit its URL again.
var ErrUnknownJob = errors.New("unknown URL upload job")

// WaitURLUploads polls GetURLUploadInfos until every job is done (success
// or failure) or ctx ends, backing off between polls. A job VOD does not
// know is an error: it will never finish.
func (c *Client) WaitURLUploads(ctx context.Context, jobIDs []string) ([]URLUploadInfo, error) {
	delay := firstPoll
	for {
		infos, err := c.GetURLUploadInfos(ctx, jobIDs)
		if err != nil {
			return nil, err
		}
		if len(infos.NonExistent) > 0 {
			return infos.Jobs, fmt.Errorf("vod GetURLUploadInfos: %w: %v", ErrUnknownJob, infos.NonExistent)
		}
		if allDone(infos.Jobs) {
			return infos.Jobs, nil
		}
		if err := retry.Sleep(ctx, delay); err != nil {
			return infos.Jobs, fmt.Errorf("waiting for URL uploads: %w", err)
		}
		delay = min(delay*3/2, maxPoll)
	}
}

func allDone(jobs []URLUploadInfo) bool {
	for _, j := range jobs {
		if !j.Done() {
			return false
		}
	}
	return len(jobs) > 0
}
