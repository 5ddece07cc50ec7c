package emulator

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// mediaKind tells the three kinds of VOD media apart; each has its own ID
// namespace in the API (VideoId, ImageId, MediaId) but one map here.
type mediaKind int

const (
	kindVideo mediaKind = iota
	kindImage
	kindAttached
)

// mediaRecord is one media asset created by a Create* call or a URL job.
type mediaRecord struct {
	ID              string
	Kind            mediaKind
	Title           string
	Description     string
	FileName        string
	FileSize        int64 // as declared by the caller; 0 when not given
	CoverURL        string
	CateID          int64
	Tags            string
	ReferenceID     string // the caller's own ID for a video, unique per account
	TemplateGroupID string
	WorkflowID      string
	AppID           string
	UserData        string
	ImageType       string
	BusinessType    string
	Bucket          string
	Key             string
	Prefix          string // "" unless the upload is an M3U8 with segments
	Created         time.Time
}

// urlJob is an UploadMediaByURL job. cancel stops its fetch and waits for
// the goroutine to finish, so Server.Close leaves nothing running.
type urlJob struct {
	cancel context.CancelFunc

	ID        string
	SourceURL string
	MediaID   string
	UserData  string
	Created   time.Time

	// guarded by Server.mu
	status    string
	errCode   string
	errMsg    string
	size      int64
	completed time.Time
}

// rpcHandler serves one action with already authenticated parameters.
type rpcHandler func(p rpcParams) (any, *rpcError)

func (s *Server) vodHandler(action string) (rpcHandler, bool) {
	switch action {
	case "CreateUploadVideo":
		return s.createUploadVideo, true
	case "RefreshUploadVideo":
		return s.refreshUploadVideo, true
	case "CreateUploadImage":
		return s.createUploadImage, true
	case "CreateUploadAttachedMedia":
		return s.createUploadAttachedMedia, true
	case "GetVideoInfo":
		return s.getVideoInfo, true
	case "UploadMediaByURL":
		return s.uploadMediaByURL, true
	case "GetURLUploadInfos":
		return s.getURLUploadInfos, true
	case "DeleteImage":
		return s.deleteImage, true
	case "DeleteAttachedMedia":
		return s.deleteAttachedMedia, true
	case "DeleteVideo":
		return s.deleteVideo, true
	}
	return nil, false
}

// serveVOD answers one RPC call: fault injection first (VOD fails before
// looking at anything), then routing, authentication and the action.
func (s *Server) serveVOD(w http.ResponseWriter, r *http.Request) {
	p, perr := readParams(w, r)
	format, action := p.get("Format"), p.get("Action") // p may be nil: reads give ""
	s.count(action)
	code := "OK"
	defer func() {
		s.opts.Logger.Debug("vod request", "action", action, "method", r.Method, "code", code)
	}()
	fail := func(e *rpcError) {
		code = e.code
		s.writeRPCError(w, format, e)
	}
	if perr != nil {
		fail(perr)
		return
	}
	if s.injectVODError() { // faults.go: draws from Faults.Seed and counts it
		fail(newRPCError(http.StatusServiceUnavailable, "ServiceUnavailable",
			"The request has failed due to a temporary failure of the server."))
		return
	}
	handler, ok := s.vodHandler(action)
	if !ok {
		fail(newRPCError(http.StatusNotFound, "InvalidAction.NotFound",
			"Specified api is not found, please check your url and method."))
		return
	}
	if err := s.authenticate(r.Method, p); err != nil {
		fail(err)
		return
	}
	result, err := handler(p)
	if err != nil {
		fail(err)
		return
	}
	writeRPCResult(w, format, action, result)
}

// bucket is the account's VOD storage bucket, derived from the root
// AccessKeyId so it is stable for a server without more state.
func (s *Server) bucket() string {
	sum := md5.Sum([]byte(s.AccessKeyID))
	return "outin-" + hex.EncodeToString(sum[:])
}

// storageLocation is the StorageLocation VOD reports for the bucket.
func (s *Server) storageLocation() string {
	return s.bucket() + ".oss-" + s.Region + ".aliyuncs.com"
}

// objectURL is where the emulator serves an object (path-style OSS).
func (s *Server) objectURL(bucket, key string) string {
	return s.URL + "/" + bucket + "/" + key
}

// objectToken looks like the tokens in VOD object keys, e.g.
// "5b1b4a0c-16e3bb6eb1b".
func objectToken() string {
	return randomHex(4) + "-" + randomHex(6)[:11]
}

// newMediaID is a VOD media ID: 32 lower-case hex digits.
func newMediaID() string { return randomHex(16) }

func (s *Server) addMedia(m *mediaRecord) {
	s.mu.Lock()
	s.media[m.ID] = m
	s.mu.Unlock()
}

// addVideo stores a video record unless its ReferenceId is taken.
func (s *Server) addVideo(m *mediaRecord) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.ReferenceID != "" && s.videoByReferenceLocked(m.ReferenceID) != nil {
		return false
	}
	s.media[m.ID] = m
	return true
}

// unusedReferenceID refuses a ReferenceId another video has.
func (s *Server) unusedReferenceID(_ rpcParams, _, v string) *rpcError {
	if s.videoByReference(v) != nil {
		return errReferenceIDUsed()
	}
	return nil
}

// errReferenceIDUsed answers a ReferenceId that is not unique. VOD
// documents the uniqueness, not the code; InvalidParameter is the
// emulator's choice.
func errReferenceIDUsed() *rpcError { return invalidParam("ReferenceId") }

func (s *Server) videoByReference(ref string) *mediaRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.videoByReferenceLocked(ref)
}

// videoByReferenceLocked finds a video by ReferenceId; s.mu held.
func (s *Server) videoByReferenceLocked(ref string) *mediaRecord {
	for _, m := range s.media {
		if m.Kind == kindVideo && m.ReferenceID == ref {
			return m
		}
	}
	return nil
}

// lookupMedia returns the record of id if it is of kind.
func (s *Server) lookupMedia(id string, kind mediaKind) *mediaRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.media[id]; m != nil && m.Kind == kind {
		return m
	}
	return nil
}

// credentialFor issues a fresh STS credential scoped to m's object and
// counts it.
func (s *Server) credentialFor(m *mediaRecord) *stsCredential {
	c := s.issueSTS(m.ID, m.Bucket, m.Key, m.Prefix)
	s.mu.Lock()
	s.counters.credentials++
	s.mu.Unlock()
	return c
}

// statObject reports a stored object's info, if it exists.
func (s *Server) statObject(bucket, key string) (objectInfo, bool) {
	info, err := s.store.stat(bucket, key)
	return info, err == nil
}

// formatTime is VOD's UTC timestamp format.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// newRecord fills what every media record shares from the request; the
// caller sets Key and Prefix, which may depend on the ID.
func (s *Server) newRecord(kind mediaKind, p rpcParams) *mediaRecord {
	return &mediaRecord{
		ID:              newMediaID(),
		Kind:            kind,
		Title:           p.get("Title"),
		Description:     p.get("Description"),
		FileName:        p.get("FileName"),
		FileSize:        parseInt(p.get("FileSize")),
		CoverURL:        p.get("CoverURL"),
		CateID:          parseInt(p.get("CateId")),
		Tags:            strings.Join(splitList(p.get("Tags")), ","),
		TemplateGroupID: p.get("TemplateGroupId"),
		WorkflowID:      p.get("WorkflowId"),
		AppID:           defaultString(p.get("AppId"), "app-1000000"),
		UserData:        p.get("UserData"),
		Bucket:          s.bucket(),
		Created:         s.now(),
	}
}

// parseInt reads an already validated integer parameter; "" is 0.
func parseInt(v string) int64 {
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

func defaultString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
