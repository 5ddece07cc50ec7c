package vodupload

// Pulls: VOD fetches files from URLs itself (UploadMediaByURL), so no byte
// crosses the AppServer.

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/vodupload/vodupload/internal/meta"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// PullItem is one file VOD fetches itself (UploadMediaByURL), so no byte
// crosses the AppServer. Meta's Title, FileName (for the extension when
// the URL has none), Description, CoverURL, CateID, Tags, TemplateGroupID
// and WorkflowID apply per file; its StorageLocation, AppID and UserData
// come from the first item and apply to the whole request.
type PullItem struct {
	URL  string
	Meta VideoMeta
}

// PullJob is the state of one VOD fetch.
type PullJob struct {
	JobID        string
	URL          string
	VideoID      string // set once VOD created the video
	Status       string // VOD's status, e.g. PENDING, SUCCESS, DOWNLOAD_FAIL
	FileSize     int64
	ErrorCode    string // why a failed job failed
	ErrorMessage string
	Done         bool // succeeded or failed for good
	Succeeded    bool
}

// PullError is returned by PullFromURL when some jobs failed; Jobs holds
// all of them, failed and not.
type PullError struct{ Jobs []PullJob }

func (e *PullError) Error() string {
	var failed []string
	for _, j := range e.Jobs {
		if j.Done && !j.Succeeded {
			failed = append(failed, fmt.Sprintf("%s (%s: %s %s)", j.JobID, j.Status, j.ErrorCode, j.ErrorMessage))
		}
	}
	return fmt.Sprintf("PullFromURL: %d of %d jobs failed: %s", len(failed), len(e.Jobs), strings.Join(failed, "; "))
}

// SubmitPull asks VOD to fetch each item's URL itself and returns its job
// IDs at once, for callers that learn the outcome from VOD's event
// callback. At most 20 items per call.
func (u *Uploader) SubmitPull(ctx context.Context, items []PullItem) ([]PullJob, error) {
	jobs, err := u.submitPull(ctx, items)
	return jobs, opError("SubmitPull", err)
}

// WaitPull polls VOD (GetURLUploadInfos, backing off from 1 s to 30 s)
// until every job is done or ctx ends.
func (u *Uploader) WaitPull(ctx context.Context, jobIDs ...string) ([]PullJob, error) {
	jobs, err := u.waitPull(ctx, jobIDs)
	return jobs, opError("WaitPull", err)
}

// PullFromURL submits the items and waits for VOD to fetch them all. When
// any job fails, the error is a *PullError naming each failure.
func (u *Uploader) PullFromURL(ctx context.Context, items ...PullItem) ([]PullJob, error) {
	const op = "PullFromURL"
	jobs, err := u.submitPull(ctx, items)
	if err != nil {
		return nil, opError(op, err)
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.JobID
	}
	done, err := u.waitPull(ctx, ids)
	if err != nil {
		return done, opError(op, err)
	}
	for _, j := range done {
		if !j.Succeeded {
			return done, &PullError{Jobs: done}
		}
	}
	return done, nil
}

func (u *Uploader) submitPull(ctx context.Context, items []PullItem) ([]PullJob, error) {
	req, err := pullRequest(items)
	if err != nil {
		return nil, err
	}
	jobs, err := u.vod.UploadMediaByURL(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make([]PullJob, len(jobs))
	for i, j := range jobs {
		out[i] = PullJob{JobID: j.JobID, URL: j.SourceURL}
	}
	return out, nil
}

func (u *Uploader) waitPull(ctx context.Context, jobIDs []string) ([]PullJob, error) {
	infos, err := u.vod.WaitURLUploads(ctx, jobIDs)
	out := make([]PullJob, len(infos))
	for i, in := range infos {
		out[i] = PullJob{JobID: in.JobID, URL: in.SourceURL, VideoID: in.MediaID, Status: in.Status,
			FileSize: in.FileSize, ErrorCode: in.ErrorCode, ErrorMessage: in.ErrorMessage,
			Done: in.Done(), Succeeded: in.Succeeded()}
	}
	return out, err
}

// maxPullItems is UploadMediaByURL's limit per request.
const maxPullItems = 20

func pullRequest(items []PullItem) (vodapi.UploadByURLRequest, error) {
	if len(items) == 0 || len(items) > maxPullItems {
		return vodapi.UploadByURLRequest{}, invalid("items", "between 1 and 20 URLs per request", intString(len(items)))
	}
	var req vodapi.UploadByURLRequest
	for i, it := range items {
		field := fmt.Sprintf("items[%d]", i)
		u, err := url.Parse(it.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return req, invalid(field+".URL", "an http or https URL", "")
		}
		m := it.Meta
		ext := meta.Ext(m.FileName)
		if ext == "" {
			ext = meta.Ext(u.Path)
		}
		checks := []*meta.Violation{
			meta.Text(field+".Title", m.Title, meta.MaxTitleBytes, false),
			meta.Text(field+".Description", m.Description, meta.MaxDescriptionBytes, false),
			meta.Tags(m.Tags),
		}
		if !meta.VideoOrAudio(ext) { // VOD needs one, from the URL or FileName
			checks = append(checks, &meta.Violation{Field: field + ".FileName", Rule: "an extension VOD accepts for video or audio, in the URL or FileName", Value: ext})
		}
		if err := firstViolation(checks); err != nil {
			return req, err
		}
		req.Items = append(req.Items, vodapi.URLItem{URL: it.URL, Title: m.Title, FileExtension: ext,
			Description: m.Description, CoverURL: m.CoverURL, CateID: m.CateID, Tags: m.Tags,
			TemplateGroupID: m.TemplateGroupID, WorkflowID: m.WorkflowID})
	}
	first := items[0].Meta
	userData, err := encodeUserData(first.UserData)
	if err != nil {
		return req, err
	}
	req.StorageLocation, req.AppID, req.UserData = first.StorageLocation, first.AppID, userData
	return req, nil
}
