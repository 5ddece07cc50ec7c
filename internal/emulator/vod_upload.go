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

// videoInfo carries the GetVideoInfo fields the emulator can know; media
// processing results (Duration, snapshots) are never produced.
type videoInfo struct {
	VideoID          string `json:"VideoId" xml:"VideoId"`
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
	CreateTime       string `json:"CreateTime" xml:"CreateTime"`
	ModificationTime string `json:"ModificationTime" xml:"ModificationTime"`
}

// Video statuses the emulator reports: VOD says Uploading until the source
// object exists, then UploadSucc (no transcoding happens here).
const (
	statusUploading  = "Uploading"
	statusUploadSucc = "UploadSucc"
)

func errVideoNotFound() *rpcError {
	return newRPCError(http.StatusNotFound, "InvalidVideo.NotFound", "The video does not exist.")
}

func (s *Server) createUploadVideo(p rpcParams) (any, *rpcError) {
	if err := validateParams(p, s.createVideoRules()); err != nil {
		return nil, err
	}
	rec := s.newRecord(kindVideo, p)
	rec.Key, rec.Prefix = videoKey(fileExtension(p.get("FileName")))
	s.addMedia(rec)
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
	id := p.get("VideoId")
	if id == "" {
		return nil, missingParam("VideoId")
	}
	rec := s.lookupMedia(id, kindVideo)
	if rec == nil {
		return nil, errVideoNotFound()
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
	ext := strings.ToLower(defaultString(p.get("ImageExt"), "png"))
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
	ext := strings.ToLower(p.get("MediaExt"))
	if ext == "" {
		ext = fileExtension(p.get("FileName"))
	}
	if ext == "" {
		return nil, missingParam("MediaExt")
	}
	rec := s.newRecord(kindAttached, p)
	rec.BusinessType = strings.ToLower(p.get("BusinessType"))
	rec.Key = "attached/" + rec.BusinessType + "/" + strings.ToUpper(rec.ID) + "." + ext
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
	id := p.get("VideoId")
	if id == "" {
		return nil, missingParam("VideoId")
	}
	rec := s.lookupMedia(id, kindVideo)
	if rec == nil {
		return nil, errVideoNotFound()
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
			CreateTime:       rec.Created.UTC().Format("2006-01-02 15:04:05"),
			ModificationTime: formatTime(modified),
		},
	}, nil
}
