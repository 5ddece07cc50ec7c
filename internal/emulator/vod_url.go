package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"
)

// UploadMediaByURL and GetURLUploadInfos: VOD pulls each URL itself. The
// emulator does the same with net/http in one goroutine per job, bound to
// a context that Server.Close cancels.

// URL job statuses, as VOD's URL upload job status values name them.
const (
	jobPending      = "PENDING"
	jobDownloading  = "DOWNLOADING"
	jobUploading    = "UPLOADING"
	jobSuccess      = "SUCCESS"
	jobDownloadFail = "DOWNLOAD_FAIL"
	jobUploadFail   = "UPLOAD_FAIL"
)

// urlJobTimeout bounds one fetch, so a job started while Close runs still
// ends.
const urlJobTimeout = 5 * time.Minute

type uploadJobResult struct {
	SourceURL string `json:"SourceURL" xml:"SourceURL"`
	JobID     string `json:"JobId" xml:"JobId"`
}

type uploadByURLResult struct {
	RequestID  string            `json:"RequestId" xml:"RequestId"`
	UploadJobs []uploadJobResult `json:"UploadJobs" xml:"UploadJobs"`
}

type urlUploadInfo struct {
	CreationTime string `json:"CreationTime" xml:"CreationTime"`
	Status       string `json:"Status" xml:"Status"`
	ErrorMessage string `json:"ErrorMessage" xml:"ErrorMessage"`
	ErrorCode    string `json:"ErrorCode" xml:"ErrorCode"`
	CompleteTime string `json:"CompleteTime" xml:"CompleteTime"`
	JobID        string `json:"JobId" xml:"JobId"`
	UserData     string `json:"UserData" xml:"UserData"`
	UploadURL    string `json:"UploadURL" xml:"UploadURL"`
	MediaID      string `json:"MediaId" xml:"MediaId"`
	FileSize     string `json:"FileSize" xml:"FileSize"`
}

type urlUploadInfosResult struct {
	RequestID         string          `json:"RequestId" xml:"RequestId"`
	NonExists         []string        `json:"NonExists" xml:"NonExists"`
	URLUploadInfoList []urlUploadInfo `json:"URLUploadInfoList" xml:"URLUploadInfoList"`
}

// urlMetadata is one entry of UploadMetadatas. Numbers may come as JSON
// numbers or strings; VOD documents neither strictly.
type urlMetadata struct {
	SourceURL       string          `json:"SourceURL"`
	Title           string          `json:"Title"`
	FileExtension   string          `json:"FileExtension"`
	Description     string          `json:"Description"`
	CoverURL        string          `json:"CoverURL"`
	Tags            string          `json:"Tags"`
	TemplateGroupID string          `json:"TemplateGroupId"`
	WorkflowID      string          `json:"WorkflowId"`
	CateID          json.RawMessage `json:"CateId"`
	FileSize        json.RawMessage `json:"FileSize"`
}

// decodeURLList splits a comma-separated list of URL-encoded URLs. A URL
// that does not decode is taken as it is.
func decodeURLList(v string) []string {
	items := splitList(v)
	for i, item := range items {
		if u, err := url.QueryUnescape(item); err == nil {
			items[i] = u
		}
	}
	return items
}

func parseMetadatas(v string) map[string]urlMetadata {
	var list []urlMetadata
	_ = json.Unmarshal([]byte(v), &list) // validated as a JSON array already
	out := make(map[string]urlMetadata, len(list))
	for _, m := range list {
		if u, err := url.QueryUnescape(m.SourceURL); err == nil {
			m.SourceURL = u
		}
		out[m.SourceURL] = m
	}
	return out
}

func (s *Server) uploadMediaByURL(p rpcParams) (any, *rpcError) {
	if err := validateParams(p, s.uploadByURLRules()); err != nil {
		return nil, err
	}
	meta := parseMetadatas(p.get("UploadMetadatas"))
	res := uploadByURLResult{RequestID: newRequestID()}
	type pending struct {
		job *urlJob
		rec *mediaRecord
	}
	var jobs []pending
	for _, src := range decodeURLList(p.get("UploadURLs")) {
		m := meta[src]
		rec, err := s.urlRecord(p, src, m)
		if err != nil {
			return nil, err
		}
		job := &urlJob{ID: newMediaID(), SourceURL: src, MediaID: rec.ID,
			UserData: p.get("UserData"), Created: s.now(), status: jobPending}
		jobs = append(jobs, pending{job, rec})
		res.UploadJobs = append(res.UploadJobs, uploadJobResult{SourceURL: src, JobID: job.ID})
	}
	// Only start fetching once every URL is accepted: VOD rejects the
	// request as a whole.
	for _, j := range jobs {
		s.addMedia(j.rec)
		s.startURLJob(j.job, j.rec)
	}
	return res, nil
}

// urlRecord prepares the video record a URL job fills.
func (s *Server) urlRecord(p rpcParams, src string, m urlMetadata) (*mediaRecord, *rpcError) {
	ext := m.FileExtension
	if ext == "" {
		ext = fileExtension(src)
	}
	if ext == "" {
		ext = "mp4" // the emulator's choice for extension-less URLs
	}
	if !inList(videoExts+" "+audioExts, ext) {
		return nil, newRPCError(http.StatusBadRequest, "InvalidFileName.Extension",
			"The extension of UploadURLs is not supported.")
	}
	rec := s.newRecord(kindVideo, p)
	rec.Title = m.Title
	if rec.Title == "" {
		u, _ := url.Parse(src)
		if u != nil {
			rec.Title = path.Base(u.Path)
		}
	}
	rec.Description, rec.CoverURL, rec.Tags = m.Description, m.CoverURL, m.Tags
	if m.TemplateGroupID != "" {
		rec.TemplateGroupID = m.TemplateGroupID
	}
	if m.WorkflowID != "" {
		rec.WorkflowID = m.WorkflowID
	}
	rec.CateID = rawInt(m.CateID)
	rec.FileSize = rawInt(m.FileSize)
	rec.FileName = src
	rec.Key, rec.Prefix = videoKey(ext)
	return rec, nil
}

// rawInt reads a JSON number or a quoted number; anything else is 0.
func rawInt(raw json.RawMessage) int64 {
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		v, _ := n.Int64()
		return v
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		v, _ := strconv.ParseInt(str, 10, 64)
		return v
	}
	return 0
}

// startURLJob registers job and starts its fetch. job.cancel cancels the
// fetch and waits for the goroutine, which is what Close relies on.
func (s *Server) startURLJob(job *urlJob, rec *mediaRecord) {
	ctx, cancel := context.WithTimeout(context.Background(), urlJobTimeout)
	done := make(chan struct{})
	job.cancel = func() {
		cancel()
		<-done
	}
	s.mu.Lock()
	s.jobs[job.ID] = job
	s.mu.Unlock()
	go func() {
		defer close(done)
		defer cancel()
		s.runURLJob(ctx, job, rec)
	}()
}

// runURLJob downloads the source and stores it at the record's key.
func (s *Server) runURLJob(ctx context.Context, job *urlJob, rec *mediaRecord) {
	s.setJobStatus(job, jobDownloading)
	body, contentType, err := fetchSource(ctx, job.SourceURL)
	if err != nil {
		s.finishJob(job, jobDownloadFail, "URLInvalidError", "download failed: "+err.Error(), 0)
		return
	}
	defer body.Close()
	s.setJobStatus(job, jobUploading)
	info, err := s.store.put(rec.Bucket, rec.Key, body, contentType)
	if err != nil {
		s.finishJob(job, jobUploadFail, "UploadFailed", "store failed: "+err.Error(), 0)
		return
	}
	s.finishJob(job, jobSuccess, "200", "Success", info.Size)
}

// fetchSource GETs src on a client of its own, without keep-alive, so no
// idle connection outlives the job.
func fetchSource(ctx context.Context, src string) (body io.ReadCloser, contentType string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, "", fmt.Errorf("bad source URL: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is already in the job
		}
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", fmt.Errorf("source answered HTTP %s", resp.Status)
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

func (s *Server) setJobStatus(job *urlJob, status string) {
	s.mu.Lock()
	job.status = status
	s.mu.Unlock()
}

func (s *Server) finishJob(job *urlJob, status, code, msg string, size int64) {
	now := s.now()
	s.mu.Lock()
	job.status, job.errCode, job.errMsg, job.size, job.completed = status, code, msg, size, now
	s.mu.Unlock()
}

func (s *Server) getURLUploadInfos(p rpcParams) (any, *rpcError) {
	ids, byURL := splitList(p.get("JobIds")), false
	if len(ids) == 0 {
		ids, byURL = decodeURLList(p.get("UploadURLs")), true
	}
	if len(ids) == 0 {
		return nil, missingParam("JobIds")
	}
	if len(ids) > maxInfoQueries {
		return nil, invalidParam("JobIds", fmt.Sprintf("At most %d IDs or URLs are allowed.", maxInfoQueries))
	}
	res := urlUploadInfosResult{RequestID: newRequestID(), NonExists: []string{}, URLUploadInfoList: []urlUploadInfo{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		job := s.jobs[id]
		if byURL {
			job = s.latestJobForURLLocked(id)
		}
		if job == nil {
			res.NonExists = append(res.NonExists, id)
			continue
		}
		res.URLUploadInfoList = append(res.URLUploadInfoList, job.infoLocked())
	}
	return res, nil
}

// latestJobForURLLocked finds the newest job for a source URL; s.mu held.
func (s *Server) latestJobForURLLocked(src string) *urlJob {
	var latest *urlJob
	for _, j := range s.jobs {
		if j.SourceURL == src && (latest == nil || j.Created.After(latest.Created)) {
			latest = j
		}
	}
	return latest
}

// infoLocked renders the job as GetURLUploadInfos does; Server.mu held.
func (j *urlJob) infoLocked() urlUploadInfo {
	size := ""
	if j.status == jobSuccess {
		size = strconv.FormatInt(j.size, 10)
	}
	return urlUploadInfo{
		CreationTime: formatTime(j.Created),
		Status:       j.status,
		ErrorMessage: j.errMsg,
		ErrorCode:    j.errCode,
		CompleteTime: formatTime(j.completed),
		JobID:        j.ID,
		UserData:     j.UserData,
		UploadURL:    j.SourceURL,
		MediaID:      j.MediaID,
		FileSize:     size,
	}
}
