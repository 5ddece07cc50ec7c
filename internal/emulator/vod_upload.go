package emulator

import (
	"net/http"
	"strings"
)

// The Create* actions, RefreshUploadVideo and GetVideoInfo. Each Create
// records a media asset, picks its object key the way VOD does, and issues
// a credential scoped to that key.

type uploadVideoResult struct {
	RequestID     string `json:"RequestId" xml:"RequestId"`
	VideoID       string `json:"VideoId" xml:"VideoId"`
	UploadAddress string `json:"UploadAddress" xml:"UploadAddress"`
	UploadAuth    string `json:"UploadAuth" xml:"UploadAuth"`
}

type uploadImageResult struct {
	RequestID     string `json:"RequestId" xml:"RequestId"`
	ImageID       string `json:"ImageId" xml:"ImageId"`
	ImageURL      string `json:"ImageURL" xml:"ImageURL"`
	FileURL       string `json:"FileURL" xml:"FileURL"`
	UploadAddress string `json:"UploadAddress" xml:"UploadAddress"`
	UploadAuth    string `json:"UploadAuth" xml:"UploadAuth"`
}

type uploadAttachedResult struct {
	RequestID     string `json:"RequestId" xml:"RequestId"`
	MediaID       string `json:"MediaId" xml:"MediaId"`
	MediaURL      string `json:"MediaURL" xml:"MediaURL"`
	FileURL       string `json:"FileURL" xml:"FileURL"`
	UploadAddress string `json:"UploadAddress" xml:"UploadAddress"`
	UploadAuth    string `json:"UploadAuth" xml:"UploadAuth"`
}

type videoInfoResult struct {
	RequestID string    `json:"RequestId" xml:"RequestId"`
	Video     videoInfo `json:"Video" xml:"Video"`
}

// videoInfo carries the GetVideoInfo fields the emulator can know, with
// the JSON types of the API (Size and CateId numbers); media processing
// results (Duration, Snapshots, AuditStatus) are never produced.
type videoInfo struct {
	VideoID          string `json:"VideoId" xml:"VideoId"`
	ReferenceID      string `json:"ReferenceId,omitempty" xml:"ReferenceId,omitempty"`
	Title            string `json:"Title" xml:"Title"`
	Description      string `json:"Description,omitempty" xml:"Description,omitempty"`
	Status           string `json:"Status" xml:"Status"`
	Size             int64  `json:"Size" xml:"Size"`
	CoverURL         string `json:"CoverURL,omitempty" xml:"CoverURL,omitempty"`
	CateID           int64  `json:"CateId,omitempty" xml:"CateId,omitempty"`
	Tags             string `json:"Tags,omitempty" xml:"Tags,omitempty"`
	TemplateGroupID  string `json:"TemplateGroupId,omitempty" xml:"TemplateGroupId,omitempty"`
	StorageLocation  string `json:"StorageLocation" xml:"StorageLocation"`
	RegionID         string `json:"RegionId" xml:"RegionId"`
	AppID            string `json:"AppId" xml:"AppId"`
	StorageClass     string `json:"StorageClass" xml:"StorageClass"`
	UserData         string `json:"UserData,omitempty" xml:"UserData,omitempty"`
	CreationTime     string `json:"CreationTime" xml:"CreationTime"`
	ModificationTime string `json:"ModificationTime" xml:"ModificationTime"`
}

// Video statuses the emulator reports: VOD says Uploading until the source
// object exists, then UploadSucc (no transcoding happens here).
const (
	statusUploading  = "Uploading"
	statusUploadSucc = "UploadSucc"
)

// errVideoNotFound is InvalidVideo.NotFound (404) as GetVideoInfo words it;
// RefreshUploadVideo's reference gives "The video not exist.".
func errVideoNotFound() *rpcError {
	return newRPCError(http.StatusNotFound, "InvalidVideo.NotFound", "The video does not exist.")
}

func (s *Server) createUploadVideo(p rpcParams) (any, *rpcError) {
	if err := validateParams(p, s.createVideoRules()); err != nil {
		return nil, err
	}
	rec := s.newRecord(kindVideo, p)
	rec.ReferenceID = p.get("ReferenceId")
	rec.Key, rec.Prefix = videoKey(fileExtension(p.get("FileName")))
	if !s.addVideo(rec) {
		return nil, errReferenceIDUsed()
	}
	return s.videoResult(rec), nil
}

// videoKey is sv/<token>/<token>.<ext>. An M3U8 index also gets its
// directory as prefix, so its segments can go next to it.
func videoKey(ext string) (key, prefix string) {
	token := objectToken()
	dir := "sv/" + token + "/"
	if ext == "m3u8" {
		prefix = dir
	}
	return dir + token + "." + ext, prefix
}

func (s *Server) videoResult(rec *mediaRecord) uploadVideoResult {
	return uploadVideoResult{
		RequestID:     newRequestID(),
		VideoID:       rec.ID,
		UploadAddress: s.uploadAddress(rec.Bucket, rec.Key, rec.Prefix),
		UploadAuth:    s.uploadAuth(s.credentialFor(rec)),
	}
}

// refreshUploadVideo keeps the address (same key, same prefix) and issues a
// fresh credential for it.
func (s *Server) refreshUploadVideo(p rpcParams) (any, *rpcError) {
	rec, err := s.videoFor(p)
	if err != nil {
		if err.code == "InvalidVideo.NotFound" {
			err.message = "The video not exist."
		}
		return nil, err
	}
	res := s.videoResult(rec)
	s.mu.Lock()
	s.counters.refreshes++
	s.mu.Unlock()
	return res, nil
}

func (s *Server) createUploadImage(p rpcParams) (any, *rpcError) {
	if err := validateParams(p, s.createImageRules()); err != nil {
		return nil, err
	}
	rec := s.newRecord(kindImage, p)
	rec.ImageType = strings.ToLower(p.get("ImageType"))
	ext := strings.ToLower(defaultString(p.get("ImageExt"), "png")) // VOD's documented default
	rec.FileName = p.get("OriginalFileName")
	rec.Key = "image/" + rec.ImageType + "/" + strings.ToUpper(rec.ID) + "." + ext
	s.addMedia(rec)
	url := s.objectURL(rec.Bucket, rec.Key)
	return uploadImageResult{
		RequestID:     newRequestID(),
		ImageID:       rec.ID,
		ImageURL:      url,
		FileURL:       url,
		UploadAddress: s.uploadAddress(rec.Bucket, rec.Key, ""),
		UploadAuth:    s.uploadAuth(s.credentialFor(rec)),
	}, nil
}

func (s *Server) createUploadAttachedMedia(p rpcParams) (any, *rpcError) {
	if err := validateParams(p, s.createAttachedRules()); err != nil {
		return nil, err
	}
	rec := s.newRecord(kindAttached, p)
	rec.BusinessType = strings.ToLower(p.get("BusinessType"))
	rec.Key = "attached/" + rec.BusinessType + "/" + strings.ToUpper(rec.ID)
	// Without MediaExt or an extension in FileName, which VOD allows, the
	// key has none: VOD documents no default.
	if ext := attachedExt(p); ext != "" {
		rec.Key += "." + ext
	}
	s.addMedia(rec)
	url := s.objectURL(rec.Bucket, rec.Key)
	return uploadAttachedResult{
		RequestID:     newRequestID(),
		MediaID:       rec.ID,
		MediaURL:      url,
		FileURL:       url,
		UploadAddress: s.uploadAddress(rec.Bucket, rec.Key, ""),
		UploadAuth:    s.uploadAuth(s.credentialFor(rec)),
	}, nil
}

func (s *Server) getVideoInfo(p rpcParams) (any, *rpcError) {
	rec, err := s.videoFor(p)
	if err != nil {
		return nil, err
	}
	status, size, modified := statusUploading, int64(0), rec.Created
	if info, ok := s.statObject(rec.Bucket, rec.Key); ok {
		status, size = statusUploadSucc, info.Size
		if !info.Modified.IsZero() {
			modified = info.Modified
		}
	}
	return videoInfoResult{
		RequestID: newRequestID(),
		Video: videoInfo{
			VideoID:          rec.ID,
			ReferenceID:      rec.ReferenceID,
			Title:            rec.Title,
			Description:      rec.Description,
			Status:           status,
			Size:             size,
			CoverURL:         rec.CoverURL,
			CateID:           rec.CateID,
			Tags:             rec.Tags,
			TemplateGroupID:  rec.TemplateGroupID,
			StorageLocation:  s.storageLocation(),
			RegionID:         s.Region,
			AppID:            rec.AppID,
			StorageClass:     "Standard",
			UserData:         rec.UserData,
			CreationTime:     formatTime(rec.Created),
			ModificationTime: formatTime(modified),
		},
	}, nil
}

// videoFor finds the video named by VideoId, or by ReferenceId when no
// VideoId is given (RefreshUploadVideo, GetVideoInfo). Neither is marked
// required since ReferenceId came, so VOD itself answers MissingParameter.
func (s *Server) videoFor(p rpcParams) (*mediaRecord, *rpcError) {
	id, ref := p.get("VideoId"), p.get("ReferenceId")
	var rec *mediaRecord
	switch {
	case id != "":
		rec = s.lookupMedia(id, kindVideo)
	case ref != "":
		if err := referenceID(p, "ReferenceId", ref); err != nil {
			return nil, err
		}
		rec = s.videoByReference(ref)
	default:
		return nil, missingParameter("VideoId")
	}
	if rec == nil {
		return nil, errVideoNotFound()
	}
	return rec, nil
}
