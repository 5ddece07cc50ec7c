package vodupload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/vodupload/vodupload/internal/meta"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/progress"
	"github.com/vodupload/vodupload/internal/source"
	"github.com/vodupload/vodupload/internal/uploadauth"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// Uploader uploads media to VOD. Create one with New and share it: it is
// safe for concurrent use and immutable after New; per-call options apply
// to a copy.
type Uploader struct {
	opts Options
	vod  *vodapi.Client
	http *http.Client
	sem  chan struct{}
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
	if o.Credentials == nil {
		o.Credentials = DefaultCredentials()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = defaultHTTPClient()
	}
	vod, err := vodapi.New(vodapi.Config{
		Region: o.Region, Endpoint: o.Endpoint, Credentials: o.Credentials,
		Timeout: DefaultCallTimeout, UserAgent: userAgent,
	})
	if err != nil {
		return nil, fmt.Errorf("vodupload: %w", err)
	}
	u := &Uploader{opts: o, vod: vod, http: o.HTTPClient}
	if o.MaxInFlightParts > 0 {
		u.sem = make(chan struct{}, o.MaxInFlightParts)
	}
	return u, nil
}

const userAgent = "vodupload-go/0.1"

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

// Progress reports an upload's bytes on the wire. Done counts bytes the
// HTTP transport has sent for attempts that have not failed; a failed
// attempt takes its bytes back, so Done can drop before a retry.
type Progress struct {
	Total   int64 // -1 while unknown (streams)
	Done    int64
	Rate    float64 // bytes per second, smoothed
	Elapsed time.Duration
	Final   bool // the last report of the upload
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

// VideoResult describes a finished video upload.
type VideoResult struct {
	VideoID   string
	RequestID string // of CreateUploadVideo
	Bucket    string
	ObjectKey string
	Bytes     int64
	CRC64     uint64 // CRC64-ECMA of the object, verified against OSS
	Parts     int    // 1 for a single PutObject
	Retries   int    // requests repeated after transient errors
	Refreshes int    // upload credentials renewed
	Duration  time.Duration
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
	req, err := videoRequest(m, opened.Size)
	if err != nil {
		return nil, err
	}
	created, err := u.vod.CreateUploadVideo(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("UploadVideo: %w", err)
	}
	refresh := func(ctx context.Context) (uploadauth.Credentials, error) {
		up, err := u.vod.RefreshUploadVideo(ctx, created.MediaID)
		if err != nil {
			return uploadauth.Credentials{}, err
		}
		return stsFrom(up.Auth), nil
	}
	o.Logger.Debug("video created", "video_id", created.MediaID, "key", created.Address.FileName,
		"request_id", created.RequestID)
	res, err := u.transfer(ctx, o, opened, created, refresh)
	if err != nil {
		return nil, uploadError("UploadVideo", created, res, err)
	}
	return &VideoResult{
		VideoID: created.MediaID, RequestID: created.RequestID,
		Bucket: created.Address.Bucket, ObjectKey: created.Address.FileName,
		Bytes: res.Bytes, CRC64: res.CRC64, Parts: res.Parts,
		Retries: res.retries, Refreshes: res.refreshes, Duration: time.Since(start),
	}, nil
}

// uploaded is a transferResult plus the counters of its transfer.
type uploaded struct {
	transferResult
	retries, refreshes int
}

// transfer writes opened to the object VOD allocated in created, renewing
// the credential with refresh.
func (u *Uploader) transfer(ctx context.Context, o Options, opened *source.Opened, created *vodapi.Upload,
	refresh uploadauth.RefreshFunc) (uploaded, error) {
	holder := uploadauth.New(stsFrom(created.Auth), refresh,
		uploadauth.Options{RefreshAt: o.RefreshAt, Logger: o.Logger})
	api, err := ossclient.New(ossclient.Config{
		Endpoint: created.Address.Endpoint, Bucket: created.Address.Bucket,
		Credentials: holder.OSSProvider(), HTTPClient: u.http, UserAgent: userAgent,
	})
	if err != nil {
		return uploaded{}, err
	}
	meter := progress.Start(opened.Size, o.progressFunc(), o.ProgressInterval)
	defer meter.Stop()
	t := &transfer{api: api, key: created.Address.FileName, creds: holder, opts: o,
		meter: meter, sem: u.sem, log: o.Logger}
	res, err := t.run(ctx, opened)
	if err == nil {
		meter.SetTotal(res.Bytes)
	}
	return uploaded{transferResult: res, retries: int(t.retries.Load()), refreshes: holder.Refreshes()}, err
}

func (o Options) progressFunc() func(progress.Snapshot) {
	if o.Progress == nil {
		return nil
	}
	fn := o.Progress
	return func(s progress.Snapshot) {
		fn(Progress{Total: s.Total, Done: s.Done, Rate: s.Rate, Elapsed: s.Elapsed, Final: s.Final})
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
	case !sameProvider(o.Credentials, u.opts.Credentials):
		return o, invalid("Credentials", "can only be set in New", "")
	}
	return o, o.validate()
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
		meta.Text("CoverURL", m.CoverURL, meta.MaxCoverURLBytes, false),
		meta.Tags(m.Tags),
	}
	if m.CateID < 0 {
		checks = append(checks, &meta.Violation{Field: "CateID", Rule: "not negative", Value: strconv.FormatInt(m.CateID, 10)})
	}
	for _, v := range checks {
		if v != nil {
			return vodapi.CreateVideoRequest{}, invalid(v.Field, v.Rule, v.Value)
		}
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

func encodeUserData(d *UserData) (string, error) {
	if d == nil {
		return "", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", invalid("UserData", "must serialise to JSON", err.Error())
	}
	if len(b) > meta.MaxUserDataBytes {
		return "", invalid("UserData", "at most 1024 bytes of JSON", "")
	}
	return string(b), nil
}

func stsFrom(a vodapi.UploadAuth) uploadauth.Credentials {
	return uploadauth.Credentials{
		AccessKeyID: a.AccessKeyID, AccessKeySecret: a.AccessKeySecret.Reveal(),
		SecurityToken: a.SecurityToken.Reveal(), Issued: a.Expires.Add(-a.Lifetime), Expires: a.Expires,
	}
}

func uploadError(op string, created *vodapi.Upload, res uploaded, err error) error {
	if errors.Is(err, ErrValidation) && created == nil {
		return err
	}
	return &UploadError{
		Op: op, MediaID: created.MediaID, Bucket: created.Address.Bucket, ObjectKey: created.Address.FileName,
		UploadID: res.UploadID, PartsDone: res.Parts, BytesDone: res.Bytes,
		Aborted: res.Aborted, AbortErr: res.AbortErr, Err: err,
	}
}
