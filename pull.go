package vodupload

// Pulls: VOD fetches files from URLs itself (UploadMediaByURL), so no byte
// crosses the AppServer.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/batch"
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
	// One job per URL is what callers index by; an answer without that
	// would leave a URL unaccounted for, never failed and never done.
	if len(jobs) != len(items) {
		return nil, &apierr.Error{Service: apierr.VOD, Op: "UploadMediaByURL", StatusCode: http.StatusOK,
			Code: "MalformedResponse", Message: fmt.Sprintf("%d jobs for %d URLs", len(jobs), len(items))}
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
		u, ok := httpURL(it.URL)
		if !ok {
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

// Pulls in a batch (UploadBatch): grouped into calls of up to 20, a
// refused call split so one bad URL fails alone, each job reported as
// started and then as done.

// pullGroup is the group key of a pull. Pulls share an UploadMediaByURL
// call when they agree on what the call sets for all of them; a pull that
// resumes an earlier run's job has a group of its own, and one that fails
// validation is run (and reported) alone.
func pullGroup(it BatchItem) (string, bool) {
	if !it.Pull || it.Validate() != nil {
		return "", false
	}
	if it.Resume != nil && it.Resume.PullJobID != "" {
		return "job\x00" + it.Resume.PullJobID, true
	}
	userData, _ := encodeUserData(it.Video.UserData) // validated: cannot fail
	return strings.Join([]string{"pull", it.Video.StorageLocation, it.Video.AppID, userData}, "\x00"), true
}

// pulling is a pull VOD accepted.
type pulling struct {
	it  batch.Indexed[BatchItem]
	job PullJob
}

// pulls submits a group of pulls, in calls of distinct URLs, and waits
// for VOD to fetch them all.
func (b *batchRun) pulls(ctx context.Context, group []batch.Indexed[BatchItem], emit func(BatchResult)) {
	start := time.Now()
	if it := group[0]; len(group) == 1 && it.Item.Resume != nil && it.Item.Resume.PullJobID != "" {
		p := pulling{it: it, job: PullJob{JobID: it.Item.Resume.PullJobID, URL: it.Item.URL}}
		done, err := b.u.waitPull(ctx, []string{p.job.JobID})
		if !errors.Is(err, vodapi.ErrUnknownJob) {
			b.report([]pulling{p}, done, err, start, emit)
			return
		}
		b.u.opts.Upload.Logger.Warn("VOD no longer knows the pull job of an earlier run; submitting the URL again",
			"op", batchOp, "key", it.Item.Key, "job_id", p.job.JobID)
	}
	for _, it := range group {
		if r := it.Item.Resume; r != nil && r.PullJobID == "" && r.MediaID != "" {
			// The empty video of an earlier fetch that failed.
			b.u.video(VideoMeta{}, nil).abandon(ctx, b.u.opts.Upload, batchOp, r.MediaID)
		}
	}
	var jobs []pulling
	for _, round := range distinctURLs(group) {
		jobs = append(jobs, b.submit(ctx, round, start, emit)...)
	}
	if len(jobs) == 0 {
		return
	}
	ids := make([]string, len(jobs))
	for i, p := range jobs {
		ids[i] = p.job.JobID
	}
	done, err := b.u.waitPull(ctx, ids)
	b.report(jobs, done, err, start, emit)
}

// submit asks VOD to fetch a round of pulls and reports each job as
// started. The items VOD refused are emitted as failed. A call refused as
// a whole (a 4xx answer: VOD created nothing) is split into one call per
// item, so one bad URL fails only its own item.
func (b *batchRun) submit(ctx context.Context, round []batch.Indexed[BatchItem], start time.Time, emit func(BatchResult)) []pulling {
	items := make([]PullItem, len(round))
	for i, it := range round {
		items[i] = PullItem{URL: it.Item.URL, Meta: it.Item.Video}
	}
	jobs, err := b.u.submitPull(ctx, items)
	if err != nil && len(round) > 1 && refusedWhole(err) {
		var out []pulling
		for i := range round {
			out = append(out, b.submit(ctx, round[i:i+1], start, emit)...)
		}
		return out
	}
	fail := func(it batch.Indexed[BatchItem], err error) {
		res := b.result(it)
		res.Err, res.Duration = opError(batchOp, err), time.Since(start)
		emit(res)
	}
	if err != nil {
		for _, it := range round {
			fail(it, err)
		}
		return nil
	}
	accepted, missing := matchJobs(round, jobs)
	for _, it := range missing {
		fail(it, errors.New("UploadMediaByURL answered no job for this URL"))
	}
	for _, p := range accepted {
		b.started(p.it, "", p.job.JobID)
	}
	return accepted
}

// report emits the result of every job from what VOD last said of them
// (done), or err when the wait ended before a job did.
func (b *batchRun) report(jobs []pulling, done []PullJob, err error, start time.Time, emit func(BatchResult)) {
	byID := make(map[string]PullJob, len(done))
	for _, j := range done {
		byID[j.JobID] = j
	}
	for _, p := range jobs {
		res := b.result(p.it)
		res.Duration = time.Since(start)
		job, ok := byID[p.job.JobID]
		if !ok {
			job = p.job
		}
		res.Pull, res.MediaID = &job, job.VideoID
		switch {
		case job.Succeeded:
			res.Bytes = job.FileSize
		case job.Done:
			res.Err = opError(batchOp, &PullError{Jobs: []PullJob{job}})
		case err != nil:
			res.Err = opError(batchOp, err)
		default:
			res.Err = opError(batchOp, errors.New("VOD did not report the pull job"))
		}
		emit(res)
	}
}

// refusedWhole reports whether VOD refused a call for its content, so
// that nothing was created and a smaller call may succeed.
func refusedWhole(err error) bool {
	var ae *apierr.Error
	return errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 && !ae.Temporary()
}

// distinctURLs splits a group into rounds in which no URL appears twice,
// so each job VOD answers names one item.
func distinctURLs(group []batch.Indexed[BatchItem]) [][]batch.Indexed[BatchItem] {
	var rounds [][]batch.Indexed[BatchItem]
	var seen []map[string]bool
next:
	for _, it := range group {
		for r := range rounds {
			if !seen[r][it.Item.URL] {
				rounds[r] = append(rounds[r], it)
				seen[r][it.Item.URL] = true
				continue next
			}
		}
		rounds = append(rounds, []batch.Indexed[BatchItem]{it})
		seen = append(seen, map[string]bool{it.Item.URL: true})
	}
	return rounds
}

// matchJobs pairs a round's items with VOD's jobs by URL (which VOD may
// answer URL-encoded), or by position when the URLs do not match but the
// counts do.
func matchJobs(round []batch.Indexed[BatchItem], jobs []PullJob) (accepted []pulling, missing []batch.Indexed[BatchItem]) {
	byURL := make(map[string]PullJob, 2*len(jobs))
	for _, j := range jobs {
		byURL[j.URL] = j
		if u, err := url.QueryUnescape(j.URL); err == nil {
			byURL[u] = j
		}
	}
	for i, it := range round {
		j, ok := byURL[it.Item.URL]
		if !ok && len(jobs) == len(round) {
			j, ok = jobs[i], true
		}
		if !ok {
			missing = append(missing, it)
			continue
		}
		accepted = append(accepted, pulling{it: it, job: j})
	}
	return accepted, missing
}
