package main

// The -pull mode: VOD fetches -url itself (UploadMediaByURL), so no byte
// crosses this machine; the command waits for the job to end.

import (
	"context"
	"errors"
	"fmt"

	"github.com/vodupload/vodupload"
)

func (c *config) checkPull() error {
	switch {
	case c.url == "":
		return usagef("-pull needs -url: the address VOD fetches")
	case c.file != "":
		return usagef("-file does not apply with -pull: VOD fetches -url")
	case !isHTTPURL(c.url):
		return usagef("-url must be an http or https URL")
	case c.kind != "video":
		return usagef("-kind %s does not apply with -pull: VOD pulls video and audio files", c.kind)
	}
	// Nothing of the transfer is ours to tune: VOD does it.
	if err := c.refuseFlags("does not apply with -pull: VOD fetches the file itself", "segments", "checkpoint-dir",
		"part-size", "threshold", "concurrency", "bandwidth-limit", "traffic-limit", "ecs-region", "accelerate",
		"stall-timeout", "refresh-at", "keep-failed-media", "ticket"); err != nil {
		return err
	}
	return nil
}

// pullURL asks VOD to fetch -url and waits until the job ends.
func pullURL(ctx context.Context, up *vodupload.Uploader, c *config) (*outcome, error) {
	jobs, err := up.PullFromURL(ctx, vodupload.PullItem{URL: c.url, Meta: c.videoMeta()})
	var pe *vodupload.PullError
	if err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	if len(jobs) != 1 {
		if err == nil {
			err = fmt.Errorf("VOD answered %d jobs for one URL", len(jobs))
		}
		return nil, err
	}
	j := jobs[0]
	out := &outcome{kind: "video", idLabel: "VideoId", jobID: j.JobID, status: j.Status,
		Result: vodupload.Result{MediaID: j.VideoID, Bytes: j.FileSize}}
	return out, err
}
