package vodupload

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vodupload/vodupload/internal/checkpoint"
	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/hls"
	"github.com/vodupload/vodupload/internal/meta"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/progress"
	"github.com/vodupload/vodupload/internal/resume"
	"github.com/vodupload/vodupload/internal/source"
	"github.com/vodupload/vodupload/internal/uploadauth"
	"github.com/vodupload/vodupload/internal/vodapi"
	"golang.org/x/time/rate"
)

// Uploader uploads media to VOD. Create one with New and share it: it is
// safe for concurrent use and immutable after New; per-call options apply
// to a copy.
type Uploader struct {
	opts    Options
	vod     *vodapi.Client
	http    *http.Client
	sem     chan struct{} // MaxInFlightParts
	limiter *rate.Limiter // BandwidthLimit
}

// New returns an Uploader. It validates the options and builds the VOD and
// HTTP clients; it makes no network call.
func New(opts ...Option) (*Uploader, error) {
	var o Options
	for _, fn := range opts {
		fn(&o)
	}
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	if err := o.openCheckpoints(); err != nil {
		return nil, err
	}
	if o.Credentials == nil {
		o.Credentials = DefaultCredentials()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = defaultHTTPClient()
	}
	vod, err := vodapi.New(vodapi.Config{
		Region: o.Region, Endpoint: o.Endpoint, Credentials: o.Credentials,
		Timeout: DefaultCallTimeout, UserAgent: userAgent,
		TLSClientConfig: httpClientTLS(o.HTTPClient),
	})
	if err != nil {
		return nil, fmt.Errorf("vodupload: %w", err)
	}
	u := &Uploader{opts: o, vod: vod, http: o.HTTPClient}
	if o.MaxInFlightParts > 0 {
		u.sem = make(chan struct{}, o.MaxInFlightParts)
	}
	u.limiter = source.NewLimiter(o.BandwidthLimit) // nil: no cap
	return u, nil
}

const userAgent = "vodupload-go/0.1"

// httpClientTLS is the TLS configuration of c's transport, when it is an
// *http.Transport with one, so VOD calls trust what OSS requests trust
// (a private CA, a test server's certificate).
func httpClientTLS(c *http.Client) *tls.Config {
	if tr, ok := c.Transport.(*http.Transport); ok {
		return tr.TLSClientConfig
	}
	return nil
}

// defaultHTTPClient keeps enough idle connections for several concurrent
// uploads to one bucket and bounds the waits that would otherwise hang an
// upload forever on a dead peer.
func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 64
	tr.ResponseHeaderTimeout = 2 * time.Minute
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	// Parts are already compressed media; asking for gzip only costs CPU.
	tr.DisableCompression = true
	return &http.Client{Transport: tr}
}

// Source is something to upload: FileSource or ReaderSource.
type Source = source.Source

// FileSource uploads a local file. Parts are read straight from the file
// at their offsets, concurrently, never copied into memory.
func FileSource(path string) Source { return source.File{Path: path} }

// ReaderSource uploads from r. size is its length, or -1 when unknown.
// Readers that are also io.ReaderAt (with a known size) or io.Seeker are
// read like files; others are read in order into at most Concurrency+1 part
// buffers. name (e.g. "movie.mp4") supplies the file extension VOD needs
// when the metadata carries no FileName; it may be empty otherwise.
func ReaderSource(r io.Reader, size int64, name string) Source {
	return source.Reader{R: r, Size: size, Name: name}
}

// URLSource uploads a file from an http(s) URL, streamed from the
// download into the upload: no temp file, memory bounded like any stream.
// The request is made when the upload starts, so a 404 fails before VOD
// is called. A dropped download resumes with Range requests. The file name
// (for its extension) comes from Content-Disposition or the URL path;
// VideoMeta.FileName overrides it. Query strings never appear in errors or
// logs.
func URLSource(rawURL string) Source { return source.URL{URL: rawURL} }

// Progress reports an upload's bytes. Done counts bytes OSS has
// acknowledged (finished parts), so it never runs ahead of the server and
// never goes back. InFlight counts bytes of unfinished requests that the
// HTTP transport has handed to the network: it runs ahead of what OSS has
// received by up to the socket buffers, and drops when an attempt fails.
type Progress struct {
	Total    int64 // -1 while unknown (streams)
	Done     int64
	InFlight int64
	Rate     float64 // acknowledged bytes per second, smoothed
	Elapsed  time.Duration
	Final    bool // the last report of the upload
}

// VideoMeta is what VOD records about a video or audio file
// (CreateUploadVideo's parameters).
type VideoMeta struct {
	// Title is required: at most 128 bytes of UTF-8.
	Title string
	// FileName is the source file name VOD records; its extension decides
	// the format. Default: the source's name.
	FileName        string
	Description     string   // at most 1024 bytes
	CoverURL        string   // a custom thumbnail URL
	CateID          int64    // category; 0 for none
	Tags            []string // at most 16, each at most 32 bytes, no commas
	TemplateGroupID string   // transcoding template group
	WorkflowID      string   // wins over TemplateGroupID
	StorageLocation string   // a storage address other than the default
	AppID           string   // default app-1000000
	UserData        *UserData
}

// UserData is VOD's per-upload extension: callbacks, custom fields,
// upload acceleration.
type UserData struct {
	MessageCallback  *MessageCallback  `json:"MessageCallback,omitempty"`
	Extend           map[string]string `json:"Extend,omitempty"`
	AccelerateConfig *AccelerateConfig `json:"AccelerateConfig,omitempty"`
}

// MessageCallback overrides the event notification of one upload.
type MessageCallback struct {
	CallbackURL  string `json:"CallbackURL,omitempty"`
	CallbackType string `json:"CallbackType,omitempty"` // "http" or "mns"
}

// AccelerateConfig turns on OSS transfer acceleration for one upload.
type AccelerateConfig struct {
	Type   string `json:"Type"`   // "oss"
	Domain string `json:"Domain"` // e.g. https://oss-accelerate.aliyuncs.com
}

// Result describes a finished upload.
type Result struct {
	MediaID   string // VideoId, ImageId or MediaId
	RequestID string // of the VOD call that created the media
	Bucket    string
	ObjectKey string
	Bytes     int64
	CRC64     uint64 // CRC64-ECMA of the object, verified against OSS
	Parts     int    // 1 for a single PutObject
	// ResumedParts were uploaded by an earlier, interrupted run and taken
	// over from the checkpoint.
	ResumedParts int
	Retries      int // requests repeated after transient errors
	Refreshes    int // upload credentials renewed
	Duration     time.Duration
}

// VideoResult describes a finished video upload.
type VideoResult struct {
	VideoID string
	Result
}

// UploadVideo uploads a video or audio file to VOD through CreateUploadVideo
// and returns its VideoId. Input is validated before any network call; a
// failure after VOD created the video is an *UploadError.
func (u *Uploader) UploadVideo(ctx context.Context, src Source, m VideoMeta, opts ...Option) (*VideoResult, error) {
	o, err := u.callOptions(opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	opened, err := src.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("UploadVideo: %w", err)
	}
	defer opened.Close()
	if m.FileName == "" {
		m.FileName = opened.Name
	}
	m.UserData = o.accelerated(m.UserData)
	req, err := videoRequest(m, opened.Size)
	if err != nil {
		return nil, err
	}
	if o.Checkpoints != nil && opened.Path != "" && opened.Size > o.MultipartThreshold {
		return u.uploadVideoResumable(ctx, o, opened, req, start)
	}
	created, err := u.vod.CreateUploadVideo(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("UploadVideo: %w", err)
	}
	o.Logger.Debug("video created", "video_id", created.MediaID, "key", created.Address.FileName,
		"request_id", created.RequestID)
	res, err := u.transfer(ctx, o, opened, created, u.videoRefresher(created.MediaID), nil)
	if err != nil {
		return nil, uploadError("UploadVideo", created, res, err)
	}
	return &VideoResult{VideoID: created.MediaID, Result: res.result(created, start)}, nil
}

// UploadWithTicket uploads src with a ticket an AppServer issued (see
// CreateVideoUpload): the client mode, for devices and workers that hold no
// AccessKey. refresh, when not nil, is asked for a fresh ticket for the
// same media when the credential nears expiry or OSS rejects it; without
// it the upload must finish within the ticket's lifetime.
func (u *Uploader) UploadWithTicket(ctx context.Context, src Source, t *UploadTicket, refresh TicketRefresher,
	opts ...Option) (*Result, error) {
	o, err := u.callOptions(opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	created, err := decodeTicket(t, start)
	if err != nil {
		return nil, err
	}
	opened, err := src.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("UploadWithTicket: %w", err)
	}
	defer opened.Close()
	var renew uploadauth.RefreshFunc
	if refresh != nil {
		renew = func(ctx context.Context) (uploadauth.Credentials, error) {
			fresh, err := refresh(ctx)
			if err != nil {
				return uploadauth.Credentials{}, err
			}
			up, err := decodeTicket(fresh, time.Now())
			if err != nil {
				return uploadauth.Credentials{}, err
			}
			if up.MediaID != created.MediaID || up.Address != created.Address {
				return uploadauth.Credentials{}, invalid("UploadTicket", "a refreshed ticket must be for the same media and address", up.MediaID)
			}
			return stsFrom(up.Auth), nil
		}
	}
	res, err := u.transfer(ctx, o, opened, created, renew, nil)
	if err != nil {
		return nil, uploadError("UploadWithTicket", created, res, err)
	}
	r := res.result(created, start)
	return &r, nil
}

// M3U8 names an HLS media playlist to upload.
type M3U8 struct {
	// Index is the .m3u8 index: a local path or an http(s) URL. Segments,
	// init segments (EXT-X-MAP) and relative key files are found next to
	// it (or at their absolute URLs), checked to exist before VOD is
	// called, and uploaded next to the stored index.
	Index string
	// Segments, when set, are uploaded instead of the files the index
	// names (local paths or URLs, stored under their base names), and the
	// index is stored unchanged, as the official SDKs allow.
	Segments []string
}

// UploadM3U8 uploads an HLS video: the segments go under the video's
// ObjectPrefix (or the index's directory), concurrently, and the index
// last, rewritten where needed so every reference resolves next to it.
// Master playlists are refused (m3u8.ErrMasterPlaylist in the chain):
// upload each variant as its own video. The result's Parts counts the
// objects written and CRC64 is the index's.
func (u *Uploader) UploadM3U8(ctx context.Context, src M3U8, m VideoMeta, opts ...Option) (*VideoResult, error) {
	o, err := u.callOptions(opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	plan, err := hls.Build(ctx, u.http, src.Index, src.Segments)
	if err != nil {
		return nil, fmt.Errorf("UploadM3U8: %w", err)
	}
	if m.FileName == "" {
		m.FileName = plan.IndexName
	}
	if meta.Ext(m.FileName) != "m3u8" {
		return nil, invalid("FileName", "must end in .m3u8 for an HLS upload", m.FileName)
	}
	m.UserData = o.accelerated(m.UserData)
	req, err := videoRequest(m, plan.Size)
	if err != nil {
		return nil, err
	}
	created, err := u.vod.CreateUploadVideo(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("UploadM3U8: %w", err)
	}
	res, err := u.uploadPlan(ctx, o, plan, created)
	if err != nil {
		return nil, uploadError("UploadM3U8", created, res, err)
	}
	return &VideoResult{VideoID: created.MediaID, Result: res.result(created, start)}, nil
}

// uploadPlan writes the segments through one session, Concurrency at a
// time, then the index. Segments are small, so each is one PutObject (or
// a sequential multipart upload for a large one).
func (u *Uploader) uploadPlan(ctx context.Context, o Options, plan *hls.Plan, created *vodapi.Upload) (uploaded, error) {
	s, err := u.newSession(o, created, u.videoRefresher(created.MediaID))
	if err != nil {
		return uploaded{}, err
	}
	meter := progress.Start(plan.Size, o.progressFunc(), o.ProgressInterval)
	defer meter.Stop()
	segOpts := o
	segOpts.Concurrency = 1
	prefix := created.Address.Dir()

	var mu sync.Mutex
	var total uploaded
	add := func(t *transfer, r transferResult) {
		mu.Lock()
		total.Bytes += r.Bytes
		total.Parts++
		total.retries += int(t.retries.Load())
		mu.Unlock()
	}
	send := func(ctx context.Context, key string, src source.Source) error {
		opened, err := src.Open(ctx)
		if err != nil {
			return err
		}
		defer opened.Close()
		t := u.newTransfer(segOpts, s, key, meter)
		r, err := t.run(ctx, opened)
		add(t, r)
		return err
	}
	g, gctx := errgroupWithLimit(ctx, o.Concurrency)
	for _, seg := range plan.Segments {
		g.Go(func() error { return send(gctx, prefix+seg.Name, seg.Source) })
	}
	if err := g.Wait(); err != nil {
		return total, err
	}
	index := crc64.Checksum(plan.Index)
	err = send(ctx, created.Address.FileName,
		source.Reader{R: bytes.NewReader(plan.Index), Size: int64(len(plan.Index)), Name: plan.IndexName})
	total.CRC64, total.refreshes = index, s.creds.Refreshes()
	return total, err
}

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
	return fmt.Sprintf("UploadMediaByURL: %d of %d jobs failed: %s", len(failed), len(e.Jobs), strings.Join(failed, "; "))
}

// SubmitPull asks VOD to fetch each item's URL itself and returns its job
// IDs at once, for callers that learn the outcome from VOD's event
// callback. At most 20 items per call.
func (u *Uploader) SubmitPull(ctx context.Context, items []PullItem) ([]PullJob, error) {
	req, err := pullRequest(items)
	if err != nil {
		return nil, err
	}
	jobs, err := u.vod.UploadMediaByURL(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("SubmitPull: %w", err)
	}
	out := make([]PullJob, len(jobs))
	for i, j := range jobs {
		out[i] = PullJob{JobID: j.JobID, URL: j.SourceURL}
	}
	return out, nil
}

// WaitPull polls VOD (GetURLUploadInfos, backing off from 1 s to 30 s)
// until every job is done or ctx ends.
func (u *Uploader) WaitPull(ctx context.Context, jobIDs ...string) ([]PullJob, error) {
	infos, err := u.vod.WaitURLUploads(ctx, jobIDs)
	out := make([]PullJob, len(infos))
	for i, in := range infos {
		out[i] = PullJob{JobID: in.JobID, URL: in.SourceURL, VideoID: in.MediaID, Status: in.Status,
			FileSize: in.FileSize, ErrorCode: in.ErrorCode, ErrorMessage: in.ErrorMessage,
			Done: in.Done(), Succeeded: in.Succeeded()}
	}
	if err != nil {
		return out, fmt.Errorf("WaitPull: %w", err)
	}
	return out, nil
}

// PullFromURL submits the items and waits for VOD to fetch them all. When
// any job fails, the error is a *PullError naming each failure.
func (u *Uploader) PullFromURL(ctx context.Context, items ...PullItem) ([]PullJob, error) {
	jobs, err := u.SubmitPull(ctx, items)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.JobID
	}
	done, err := u.WaitPull(ctx, ids...)
	if err != nil {
		return done, err
	}
	for _, j := range done {
		if !j.Succeeded {
			return done, &PullError{Jobs: done}
		}
	}
	return done, nil
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

// ImageMeta is what VOD records about an image (CreateUploadImage).
type ImageMeta struct {
	// ImageType is "default" (sent when empty: VOD requires one) or
	// "cover". Watermarks are attached media.
	ImageType string
	// ImageExt is png, jpg, jpeg, gif, heic or webp. Default: the source
	// name's extension, else none, and VOD's default png applies.
	ImageExt        string
	Title           string // at most 128 bytes
	Description     string // at most 1024 bytes
	CateID          int64
	Tags            []string
	StorageLocation string
	AppID           string
	UserData        *UserData
}

// ImageResult describes a finished image upload.
type ImageResult struct {
	ImageID  string
	ImageURL string // where the image is served
	Result
}

// AttachedMediaMeta is what VOD records about an auxiliary file
// (CreateUploadAttachedMedia).
type AttachedMediaMeta struct {
	// BusinessType is required: "watermark" (png, gif, apng, mov),
	// "subtitle" (srt, ass, stl, ttml, vtt) or "material" (jpg, gif, png,
	// mp4, mat, zip, apk).
	BusinessType string
	// MediaExt defaults to FileName's extension; FileName defaults to the
	// source's name. Both are optional for VOD.
	MediaExt        string
	FileName        string
	Title           string
	Description     string
	CateIDs         []int64 // at most 5
	Tags            []string
	StorageLocation string
	AppID           string
	UserData        *UserData
}

// AttachedMediaResult describes a finished attached-media upload.
type AttachedMediaResult struct {
	MediaID  string
	MediaURL string
	Result
}

// UploadImage uploads an image through CreateUploadImage. VOD has no
// refresh API for images: if the credential dies early, a file (not a
// stream) is registered again, the abandoned registration deleted and the
// upload restarted, up to 3 registrations; otherwise the upload fails with
// ErrCredentialExpired.
func (u *Uploader) UploadImage(ctx context.Context, src Source, m ImageMeta, opts ...Option) (*ImageResult, error) {
	created, res, err := u.uploadRegistered(ctx, "UploadImage", src, opts, registration{
		create: func(ctx context.Context, size int64, name string) (*vodapi.Upload, error) {
			req, err := imageRequest(m, name)
			if err != nil {
				return nil, err
			}
			return u.vod.CreateUploadImage(ctx, req)
		},
		discard: u.vod.DeleteImage,
	})
	if err != nil {
		return nil, err
	}
	return &ImageResult{ImageID: created.MediaID, ImageURL: created.MediaURL, Result: res}, nil
}

// UploadAttachedMedia uploads a watermark, subtitle or material file
// through CreateUploadAttachedMedia; like images, it has no refresh API.
func (u *Uploader) UploadAttachedMedia(ctx context.Context, src Source, m AttachedMediaMeta, opts ...Option) (*AttachedMediaResult, error) {
	created, res, err := u.uploadRegistered(ctx, "UploadAttachedMedia", src, opts, registration{
		create: func(ctx context.Context, size int64, name string) (*vodapi.Upload, error) {
			req, err := attachedRequest(m, name, size)
			if err != nil {
				return nil, err
			}
			return u.vod.CreateUploadAttachedMedia(ctx, req)
		},
		discard: u.vod.DeleteAttachedMedia,
	})
	if err != nil {
		return nil, err
	}
	return &AttachedMediaResult{MediaID: created.MediaID, MediaURL: created.MediaURL, Result: res}, nil
}

// CreateImageUpload registers an image and returns the ticket a client
// uploads it with. Without ImageExt VOD registers a png.
func (u *Uploader) CreateImageUpload(ctx context.Context, m ImageMeta) (*UploadTicket, error) {
	req, err := imageRequest(m, "")
	if err != nil {
		return nil, err
	}
	up, err := u.vod.CreateUploadImage(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("CreateImageUpload: %w", err)
	}
	t := up.ClientPayload()
	return &t, nil
}

// CreateAttachedMediaUpload registers an attached media file and returns
// the ticket a client uploads it with. Set MediaExt or a FileName with an
// extension, or VOD decides the extension.
func (u *Uploader) CreateAttachedMediaUpload(ctx context.Context, m AttachedMediaMeta, fileSize int64) (*UploadTicket, error) {
	if err := checkFileSize(fileSize); err != nil {
		return nil, err
	}
	req, err := attachedRequest(m, "", fileSize)
	if err != nil {
		return nil, err
	}
	up, err := u.vod.CreateUploadAttachedMedia(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("CreateAttachedMediaUpload: %w", err)
	}
	t := up.ClientPayload()
	return &t, nil
}

// registration creates and deletes media of a kind without a refresh API.
type registration struct {
	// create validates and registers media of the given size and name.
	create func(ctx context.Context, size int64, name string) (*vodapi.Upload, error)
	// discard deletes a registration abandoned for a new one.
	discard func(ctx context.Context, mediaID string) error
}

// maxRegistrations bounds how often an image or attached media file is
// registered when its credentials keep expiring.
const maxRegistrations = 3

// uploadRegistered runs the upload of a media kind without a refresh API.
// An expired credential cannot be renewed for the same object, so a file
// is registered again and uploaded anew, as long as the credential died
// early (revoked, or spent waiting): an attempt that used up most of a
// credential's lifetime would not fit in the next one either.
func (u *Uploader) uploadRegistered(ctx context.Context, op string, src Source, opts []Option, reg registration) (*vodapi.Upload, Result, error) {
	o, err := u.callOptions(opts)
	if err != nil {
		return nil, Result{}, err
	}
	start := time.Now()
	opened, err := src.Open(ctx)
	if err != nil {
		return nil, Result{}, fmt.Errorf("%s: %w", op, err)
	}
	defer opened.Close()
	for attempt := 1; ; attempt++ {
		created, err := reg.create(ctx, opened.Size, opened.Name)
		if err != nil {
			if errors.Is(err, ErrValidation) {
				return nil, Result{}, err
			}
			return nil, Result{}, fmt.Errorf("%s: %w", op, err)
		}
		began := time.Now()
		res, err := u.transfer(ctx, o, opened, created, nil, nil)
		if err == nil {
			return created, res.result(created, start), nil
		}
		if !errors.Is(err, ErrCredentialExpired) || opened.At == nil || attempt >= maxRegistrations {
			return nil, Result{}, uploadError(op, created, res, err)
		}
		if took, life := time.Since(began), created.Auth.Lifetime; took >= life*9/10 {
			err = fmt.Errorf("%w: the upload took %s, longer than the credential's lifetime of %s", err, took.Round(time.Second), life)
			return nil, Result{}, uploadError(op, created, res, err)
		}
		o.Logger.Warn("upload credential expired and cannot be refreshed; registering the media again",
			"op", op, "abandoned_media_id", created.MediaID, "attempt", attempt)
		discardRegistration(ctx, o.Logger, op, created.MediaID, reg.discard)
	}
}

// discardRegistration deletes a registration the upload abandoned, so the
// library does not fill with empty records. It runs detached from ctx (a
// cancelled caller still gets the cleanup) and failing only costs a log
// line: the caller may lack the permission to delete.
func discardRegistration(ctx context.Context, log *slog.Logger, op, mediaID string, discard func(context.Context, string) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	if err := discard(ctx, mediaID); err != nil {
		log.Warn("could not delete the abandoned registration; it stays in the library without a file",
			"op", op, "media_id", mediaID, "error", err)
		return
	}
	log.Debug("abandoned registration deleted", "op", op, "media_id", mediaID)
}

func imageRequest(m ImageMeta, name string) (vodapi.CreateImageRequest, error) {
	ext := m.ImageExt
	if ext == "" {
		ext = meta.Ext(name)
	}
	ext = strings.ToLower(ext)
	checks := []*meta.Violation{
		meta.Text("Title", m.Title, meta.MaxTitleBytes, false),
		meta.Text("Description", m.Description, meta.MaxDescriptionBytes, false),
		meta.Tags(m.Tags),
	}
	if m.CateID < 0 {
		checks = append(checks, &meta.Violation{Field: "CateID", Rule: "not negative", Value: strconv.FormatInt(m.CateID, 10)})
	}
	if m.ImageType != "" && !meta.ImageType(m.ImageType) {
		checks = append(checks, &meta.Violation{Field: "ImageType", Rule: meta.ImageTypeRule, Value: m.ImageType})
	}
	if ext != "" && !meta.Image(ext) {
		checks = append(checks, &meta.Violation{Field: "ImageExt", Rule: meta.ImageExtRule, Value: ext})
	}
	if err := firstViolation(checks); err != nil {
		return vodapi.CreateImageRequest{}, err
	}
	userData, err := encodeUserData(m.UserData)
	if err != nil {
		return vodapi.CreateImageRequest{}, err
	}
	return vodapi.CreateImageRequest{
		ImageType: m.ImageType, ImageExt: ext, Title: m.Title, Description: m.Description,
		CateID: m.CateID, Tags: m.Tags, OriginalFileName: name, StorageLocation: m.StorageLocation,
		AppID: m.AppID, UserData: userData,
	}, nil
}

func attachedRequest(m AttachedMediaMeta, name string, size int64) (vodapi.CreateAttachedMediaRequest, error) {
	if m.FileName == "" {
		m.FileName = name
	}
	ext := strings.ToLower(m.MediaExt)
	if ext == "" {
		ext = meta.Ext(m.FileName)
	}
	checks := []*meta.Violation{
		meta.Text("Title", m.Title, meta.MaxTitleBytes, false),
		meta.Text("Description", m.Description, meta.MaxDescriptionBytes, false),
		meta.Tags(m.Tags),
	}
	if len(m.CateIDs) > meta.MaxCateIDs {
		checks = append(checks, &meta.Violation{Field: "CateIDs", Rule: "at most 5", Value: intString(len(m.CateIDs))})
	}
	for i, id := range m.CateIDs {
		if id < 0 {
			checks = append(checks, &meta.Violation{Field: fmt.Sprintf("CateIDs[%d]", i), Rule: "not negative", Value: strconv.FormatInt(id, 10)})
		}
	}
	switch ok, known := meta.Attached(m.BusinessType, ext); {
	case !known:
		checks = append(checks, &meta.Violation{Field: "BusinessType", Rule: meta.BusinessTypeRule, Value: m.BusinessType})
	case !ok:
		checks = append(checks, &meta.Violation{Field: "MediaExt", Rule: meta.AttachedRule(m.BusinessType), Value: ext})
	}
	if err := firstViolation(checks); err != nil {
		return vodapi.CreateAttachedMediaRequest{}, err
	}
	userData, err := encodeUserData(m.UserData)
	if err != nil {
		return vodapi.CreateAttachedMediaRequest{}, err
	}
	return vodapi.CreateAttachedMediaRequest{
		BusinessType: m.BusinessType, MediaExt: ext, Title: m.Title, FileName: m.FileName,
		FileSize: max(size, 0), Description: m.Description, CateIDs: m.CateIDs, Tags: m.Tags,
		StorageLocation: m.StorageLocation, AppID: m.AppID, UserData: userData,
	}, nil
}

func firstViolation(checks []*meta.Violation) error {
	for _, v := range checks {
		if v != nil {
			return invalid(v.Field, v.Rule, v.Value)
		}
	}
	return nil
}

// uploadVideoResumable uploads a file with a checkpoint: it resumes the
// video a previous run of the same file and metadata left, or creates one
// and records it before sending a byte.
func (u *Uploader) uploadVideoResumable(ctx context.Context, o Options, opened *source.Opened,
	req vodapi.CreateVideoRequest, start time.Time) (*VideoResult, error) {
	cp, err := resume.Open(ctx, o.Checkpoints, opened.Path, req, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("UploadVideo %s: %w", opened.Path, err)
	}
	defer cp.Release()
	created, err := cp.Media(ctx, u.vod, req)
	if err != nil {
		if created != nil {
			return nil, uploadError("UploadVideo", created, uploaded{}, err)
		}
		return nil, fmt.Errorf("UploadVideo: %w", err)
	}
	rs := &resumeState{uploadID: cp.UploadID(), partSize: cp.PartSize(), recorded: cp.Parts(),
		initiated: func(id string, partSize int64) error { return cp.Initiated(ctx, id, partSize) },
		partDone:  cp.PartDone,
	}
	res, err := u.transfer(ctx, o, opened, created, u.videoRefresher(created.MediaID), rs)
	saveErr := cp.Finish(ctx, err == nil)
	if err != nil {
		ue := uploadError("UploadVideo", created, res, err)
		ue.Resumable = saveErr == nil
		if saveErr != nil {
			ue.Err = errors.Join(err, fmt.Errorf("save checkpoint: %w", saveErr))
		}
		return nil, ue
	}
	return &VideoResult{VideoID: created.MediaID, Result: res.result(created, start)}, nil
}

// videoRefresher renews a video's upload credential (RefreshUploadVideo).
func (u *Uploader) videoRefresher(videoID string) uploadauth.RefreshFunc {
	return func(ctx context.Context) (uploadauth.Credentials, error) {
		up, err := u.vod.RefreshUploadVideo(ctx, videoID)
		if err != nil {
			return uploadauth.Credentials{}, err
		}
		return stsFrom(up.Auth), nil
	}
}

// uploaded is a transferResult plus the counters of its transfer.
type uploaded struct {
	transferResult
	retries, refreshes int
}

func (r uploaded) result(created *vodapi.Upload, start time.Time) Result {
	return Result{
		MediaID: created.MediaID, RequestID: created.RequestID,
		Bucket: created.Address.Bucket, ObjectKey: created.Address.FileName,
		Bytes: r.Bytes, CRC64: r.CRC64, Parts: r.Parts, ResumedParts: r.Resumed,
		Retries: r.retries, Refreshes: r.refreshes, Duration: time.Since(start),
	}
}

// session is one media's access to OSS: the credential holder and the
// client, shared by every object the media writes (an M3U8 index and its
// segments), so a refresh reaches all of them.
type session struct {
	creds *uploadauth.Holder
	api   ossclient.API
}

func (u *Uploader) newSession(o Options, created *vodapi.Upload, refresh uploadauth.RefreshFunc) (*session, error) {
	holder := uploadauth.New(stsFrom(created.Auth), refresh,
		uploadauth.Options{RefreshAt: o.RefreshAt, Logger: o.Logger})
	endpoint, err := ossclient.Endpoint(created.Address.Endpoint, o.ECSRegion, o.Accelerate)
	if err != nil {
		return nil, err
	}
	api, err := ossclient.New(ossclient.Config{
		Endpoint: endpoint, Bucket: created.Address.Bucket, Credentials: holder.OSSProvider(),
		HTTPClient: u.http, UserAgent: userAgent, TrafficLimit: o.TrafficLimit,
	})
	if err != nil {
		return nil, err
	}
	return &session{creds: holder, api: api}, nil
}

func (u *Uploader) newTransfer(o Options, s *session, key string, meter *progress.Meter) *transfer {
	return &transfer{api: s.api, key: key, creds: s.creds, opts: o, meter: meter,
		sem: u.sem, limiter: u.limiter, log: o.Logger}
}

// transfer writes opened to the object VOD allocated in created, renewing
// the credential with refresh.
func (u *Uploader) transfer(ctx context.Context, o Options, opened *source.Opened, created *vodapi.Upload,
	refresh uploadauth.RefreshFunc, resume *resumeState) (uploaded, error) {
	s, err := u.newSession(o, created, refresh)
	if err != nil {
		return uploaded{}, err
	}
	meter := progress.Start(opened.Size, o.progressFunc(), o.ProgressInterval)
	defer meter.Stop()
	t := u.newTransfer(o, s, created.Address.FileName, meter)
	t.resume = resume
	res, err := t.run(ctx, opened)
	if err == nil {
		meter.SetTotal(res.Bytes)
	}
	return uploaded{transferResult: res, retries: int(t.retries.Load()), refreshes: s.creds.Refreshes()}, err
}

func (o Options) progressFunc() func(progress.Snapshot) {
	if o.Progress == nil {
		return nil
	}
	fn := o.Progress
	return func(s progress.Snapshot) {
		fn(Progress{Total: s.Total, Done: s.Done, InFlight: s.InFlight, Rate: s.Rate, Elapsed: s.Elapsed, Final: s.Final})
	}
}

// callOptions applies per-call options to a copy of the Uploader's. The
// fields that shape the Uploader's clients cannot change per call; trying
// is an error rather than a silent no-op.
func (u *Uploader) callOptions(opts []Option) (Options, error) {
	o := u.opts
	if len(opts) == 0 {
		return o, nil
	}
	for _, fn := range opts {
		fn(&o)
	}
	o = o.withDefaults()
	switch {
	case o.Region != u.opts.Region:
		return o, invalid("Region", "can only be set in New", o.Region)
	case o.Endpoint != u.opts.Endpoint:
		return o, invalid("Endpoint", "can only be set in New", o.Endpoint)
	case o.HTTPClient != u.opts.HTTPClient:
		return o, invalid("HTTPClient", "can only be set in New", "")
	case o.MaxInFlightParts != u.opts.MaxInFlightParts:
		return o, invalid("MaxInFlightParts", "can only be set in New", intString(o.MaxInFlightParts))
	case o.BandwidthLimit != u.opts.BandwidthLimit:
		return o, invalid("BandwidthLimit", "can only be set in New", sizeString(o.BandwidthLimit))
	case !sameProvider(o.Credentials, u.opts.Credentials):
		return o, invalid("Credentials", "can only be set in New", "")
	}
	if o.CheckpointDir != u.opts.CheckpointDir {
		o.Checkpoints = nil
	}
	if err := o.validate(); err != nil {
		return o, err
	}
	return o, o.openCheckpoints()
}

// openCheckpoints turns CheckpointDir into a store.
func (o *Options) openCheckpoints() error {
	if o.Checkpoints != nil || o.CheckpointDir == "" {
		return nil
	}
	store, err := checkpoint.NewDirStore(o.CheckpointDir)
	if err != nil {
		return fmt.Errorf("vodupload: checkpoint directory: %w", err)
	}
	o.Checkpoints = store
	return nil
}

func sameProvider(a, b CredentialsProvider) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	if a == nil || !reflect.TypeOf(a).Comparable() {
		return a == nil && b == nil || reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer()
	}
	return a == b
}

// videoRequest validates m against VOD's rules and converts it.
func videoRequest(m VideoMeta, size int64) (vodapi.CreateVideoRequest, error) {
	checks := []*meta.Violation{
		meta.Text("Title", m.Title, meta.MaxTitleBytes, true),
		meta.FileName("FileName", m.FileName, meta.VideoOrAudio),
		meta.Text("Description", m.Description, meta.MaxDescriptionBytes, false),
		meta.Tags(m.Tags),
	}
	if m.CateID < 0 {
		checks = append(checks, &meta.Violation{Field: "CateID", Rule: "not negative", Value: strconv.FormatInt(m.CateID, 10)})
	}
	if err := firstViolation(checks); err != nil {
		return vodapi.CreateVideoRequest{}, err
	}
	userData, err := encodeUserData(m.UserData)
	if err != nil {
		return vodapi.CreateVideoRequest{}, err
	}
	return vodapi.CreateVideoRequest{
		Title: m.Title, FileName: m.FileName, FileSize: max(size, 0), Description: m.Description,
		CoverURL: m.CoverURL, CateID: m.CateID, Tags: m.Tags,
		TemplateGroupID: m.TemplateGroupID, WorkflowID: m.WorkflowID,
		StorageLocation: m.StorageLocation, AppID: m.AppID, UserData: userData,
	}, nil
}

// accelerated adds OSS acceleration to d when the Accelerate option is on
// and the caller did not configure it: VOD must know, or the accelerate
// endpoint refuses the credential.
func (o Options) accelerated(d *UserData) *UserData {
	if !o.Accelerate || (d != nil && d.AccelerateConfig != nil) {
		return d
	}
	out := UserData{}
	if d != nil {
		out = *d
	}
	out.AccelerateConfig = &AccelerateConfig{Type: "oss", Domain: ossclient.AccelerateEndpoint}
	return &out
}

func encodeUserData(d *UserData) (string, error) {
	if d == nil {
		return "", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", invalid("UserData", "must serialise to JSON", err.Error())
	}
	if v := meta.Extend(d.Extend); v != nil {
		return "", invalid(v.Field, v.Rule, v.Value)
	}
	return string(b), nil
}

func stsFrom(a vodapi.UploadAuth) uploadauth.Credentials {
	return uploadauth.Credentials{
		AccessKeyID: a.AccessKeyID, AccessKeySecret: a.AccessKeySecret.Reveal(),
		SecurityToken: a.SecurityToken.Reveal(), Issued: a.Expires.Add(-a.Lifetime), Expires: a.Expires,
	}
}

func uploadError(op string, created *vodapi.Upload, res uploaded, err error) *UploadError {
	return &UploadError{
		Op: op, MediaID: created.MediaID, Bucket: created.Address.Bucket, ObjectKey: created.Address.FileName,
		UploadID: res.UploadID, PartsDone: res.Parts, BytesDone: res.Bytes,
		Aborted: res.Aborted, AbortErr: res.AbortErr, Err: err,
	}
}
