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
	"strings"
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

// urlUploadInfo is one URLUploadInfo. As in VOD's examples, a field is
// left out until the job has it: MediaId once the job runs, CompleteTime
// once it ends, FileSize (a string) on success, ErrorCode and
// ErrorMessage on failure.
type urlUploadInfo struct {
	CreationTime string `json:"CreationTime" xml:"CreationTime"`
	Status       string `json:"Status" xml:"Status"`
	ErrorMessage string `json:"ErrorMessage,omitempty" xml:"ErrorMessage,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty" xml:"ErrorCode,omitempty"`
	CompleteTime string `json:"CompleteTime,omitempty" xml:"CompleteTime,omitempty"`
	JobID        string `json:"JobId" xml:"JobId"`
	UserData     string `json:"UserData,omitempty" xml:"UserData,omitempty"`
	UploadURL    string `json:"UploadURL" xml:"UploadURL"`
	MediaID      string `json:"MediaId,omitempty" xml:"MediaId,omitempty"`
	FileSize     string `json:"FileSize,omitempty" xml:"FileSize,omitempty"`
}

type urlUploadInfosResult struct {
	RequestID         string          `json:"RequestId" xml:"RequestId"`
	NonExists         []string        `json:"NonExists" xml:"NonExists"`
	URLUploadInfoList []urlUploadInfo `json:"URLUploadInfoList" xml:"URLUploadInfoList"`
}

// urlMetadata is one entry of UploadMetadatas. VOD documents FileSize and
// CateId as strings; JSON numbers are taken too.
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

// parseMetadatas keys the entries by decoded SourceURL: VOD's samples
// send it URL-encoded, like UploadURLs, and raw URLs work as well.
func parseMetadatas(v string) map[string]urlMetadata {
	list, _ := decodeMetadatas(v) // validated already
	out := make(map[string]urlMetadata, len(list))
	for _, m := range list {
		if u, err := url.QueryUnescape(m.SourceURL); err == nil {
			m.SourceURL = u
		}
		out[m.SourceURL] = m
	}
	return out
}

func decodeMetadatas(v string) ([]urlMetadata, error) {
	var list []urlMetadata
	err := json.Unmarshal([]byte(v), &list)
	return list, err
}

// urlList checks UploadURLs: at most 20 http(s) URLs, each URL-encoded as
// VOD asks. The extension is checked per URL in urlRecord, where
// UploadMetadatas can supply it.
func urlList(_ rpcParams, name, v string) *rpcError {
	urls := decodeURLList(v)
	if len(urls) == 0 {
		return missingParam(name)
	}
	if len(urls) > maxURLJobs {
		return invalidUploadURLs()
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return invalidUploadURLs()
		}
	}
	return nil
}

// uploadMetadatas checks UploadMetadatas: a JSON array of UploadMetadata
// whose SourceURL and Title are required, with the Title, Description
// and Tags rules of CreateUploadVideo ("Do not include emoticons"). VOD
// documents no code for a malformed entry; InvalidParameter is the
// emulator's choice.
func uploadMetadatas(p rpcParams, name, v string) *rpcError {
	list, err := decodeMetadatas(v)
	if err != nil {
		return invalidParam(name)
	}
	for _, m := range list {
		if m.SourceURL == "" || m.Title == "" || !numberOrString(m.CateID) || !numberOrString(m.FileSize) {
			return invalidParam(name)
		}
		entry := rpcParams{"Title": m.Title, "Description": m.Description, "Tags": m.Tags}
		if err := validateParams(entry, metadataTextRules); err != nil {
			return err
		}
		if m.FileExtension != "" && !inList(videoExts+" "+audioExts, strings.ToLower(m.FileExtension)) {
			return badExtension()
		}
		if m.TemplateGroupID != "" && m.WorkflowID == "" {
			if err := knownTemplateGroup(p, "TemplateGroupId", m.TemplateGroupID); err != nil {
				return err
			}
		}
	}
	return nil
}

// metadataTextRules are CreateUploadVideo's rules for the text fields of
// an UploadMetadata entry.
var metadataTextRules = []paramRule{
	{name: "Title", checks: titleRule},
	{name: "Description", checks: descriptionRule},
	{name: "Tags", checks: []check{tagList}},
}

// numberOrString accepts an absent value, a non-negative JSON integer or
// a string holding one.
func numberOrString(raw json.RawMessage) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	_, ok := rawInt(raw)
	return ok
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

// urlRecord prepares the video record a URL job fills. The extension
// comes from the entry's FileExtension, else the URL: VOD requires one of
// them and fills in none.
func (s *Server) urlRecord(p rpcParams, src string, m urlMetadata) (*mediaRecord, *rpcError) {
	ext := strings.ToLower(m.FileExtension)
	if ext == "" {
		ext = fileExtension(src)
	}
	if ext == "" {
		return nil, invalidUploadURLs()
	}
	if !inList(videoExts+" "+audioExts, ext) {
		return nil, badExtension()
	}
	rec := s.newRecord(kindVideo, p)
	rec.Title = m.Title
	if rec.Title == "" {
		// Without metadata VOD names the video itself; the emulator takes
		// the file name from the URL.
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
	rec.CateID, _ = rawInt(m.CateID)
	rec.FileSize, _ = rawInt(m.FileSize)
	rec.FileName = src
	rec.Key, rec.Prefix = videoKey(ext)
	return rec, nil
}

// rawInt reads a non-negative integer given as a JSON number or string.
func rawInt(raw json.RawMessage) (int64, bool) {
	var str string
	if json.Unmarshal(raw, &str) != nil {
		str = string(raw)
	}
	v, err := strconv.ParseInt(str, 10, 64)
	return v, err == nil && v >= 0
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
	s.finishJob(job, jobSuccess, "", "", info.Size)
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

// getURLUploadInfos answers by JobIds, or by UploadURLs when no JobIds
// are given; one of them is required, which only VOD itself checks
// (MissingParameter).
func (s *Server) getURLUploadInfos(p rpcParams) (any, *rpcError) {
	ids, byURL, name := splitList(p.get("JobIds")), false, "JobIds"
	if len(ids) == 0 {
		ids, byURL, name = decodeURLList(p.get("UploadURLs")), true, "UploadURLs"
	}
	if len(ids) == 0 {
		return nil, missingParameter("JobIds")
	}
	if len(ids) > maxInfoQueries {
		return nil, invalidParam(name)
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
	size, mediaID := "", j.MediaID
	if j.status == jobSuccess {
		size = strconv.FormatInt(j.size, 10)
	}
	if j.status == jobPending {
		mediaID = "" // VOD's examples show a PENDING job without one
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
		MediaID:      mediaID,
		FileSize:     size,
	}
}
