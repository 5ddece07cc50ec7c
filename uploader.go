package vodupload

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/vodupload/vodupload/internal/hls"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/partio"
	"github.com/vodupload/vodupload/internal/progress"
	"github.com/vodupload/vodupload/internal/source"
	"github.com/vodupload/vodupload/internal/uploadauth"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// Uploader uploads media to VOD. Create one with New and share it: it is
// safe for concurrent use and immutable after New; per-call options apply
// to a copy.
type Uploader struct {
	opts    Options
	vod     vodAPI
	http    *http.Client
	sem     chan struct{} // MaxInFlightParts
	limiter *rate.Limiter // BandwidthLimit
}

// vodAPI is what the uploads ask of VOD. internal/vodapi implements it;
// its errors become the caller's (*APIError) where a public method returns.
type vodAPI interface {
	CreateUploadVideo(ctx context.Context, req vodapi.CreateVideoRequest) (*vodapi.Upload, error)
	RefreshUploadVideo(ctx context.Context, videoID string) (*vodapi.Upload, error)
	CreateUploadImage(ctx context.Context, req vodapi.CreateImageRequest) (*vodapi.Upload, error)
	CreateUploadAttachedMedia(ctx context.Context, req vodapi.CreateAttachedMediaRequest) (*vodapi.Upload, error)
	DeleteImage(ctx context.Context, imageID string) error
	DeleteAttachedMedia(ctx context.Context, mediaID string) error
	DeleteVideo(ctx context.Context, videoID string) error
	UploadMediaByURL(ctx context.Context, req vodapi.UploadByURLRequest) ([]vodapi.URLJob, error)
	WaitURLUploads(ctx context.Context, jobIDs []string) ([]vodapi.URLUploadInfo, error)
	GetVideoInfo(ctx context.Context, videoID string) (*vodapi.VideoInfo, error)
	ResolveCredentials(ctx context.Context) (provider string, err error)
}

// New returns an Uploader. It validates the options and builds the VOD and
// HTTP clients; it makes no network call. UploadOptions given here are the
// defaults of every upload.
func New(opts ...Option) (*Uploader, error) {
	var o Options
	for _, opt := range opts {
		opt.apply(&o)
	}
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, opError("New", err)
	}
	if err := o.Upload.openCheckpoints(); err != nil {
		return nil, opError("New", err)
	}
	vod, err := vodapi.New(vodapi.Config{
		Region: o.Region, Endpoint: o.Endpoint, Credentials: o.Credentials,
		Timeout: o.CallTimeout, UserAgent: userAgent,
		TLSClientConfig: httpClientTLS(o.HTTPClient),
	})
	if err != nil {
		return nil, opError("New", err)
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
	// over from the checkpoint; ResumedBytes is their size, part of Bytes.
	// Bytes-ResumedBytes is what this run sent.
	ResumedParts int
	ResumedBytes int64
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
// failure after VOD created the video is an *UploadError. With checkpoints
// on (UploadOptions.Checkpoints), a file above MultipartThreshold is
// uploaded resumably.
func (u *Uploader) UploadVideo(ctx context.Context, src Source, m VideoMeta, opts ...UploadOption) (*VideoResult, error) {
	reg, res, err := u.upload(ctx, "UploadVideo", opts, openSource(src), u.video(m, nil))
	if err != nil {
		return nil, err
	}
	return &VideoResult{VideoID: reg.MediaID, Result: res}, nil
}

// payload is an upload's bytes, opened: one source, or an HLS plan.
type payload struct {
	// Opened is the source; for a plan, only the index's name and the
	// plan's size, which is what registering needs.
	*source.Opened
	plan *hls.Plan
}

// openSource is the open step of a single-source upload.
func openSource(src Source) func(context.Context) (*payload, error) {
	return func(ctx context.Context) (*payload, error) {
		opened, err := src.open(ctx)
		if err != nil {
			return nil, err
		}
		return &payload{Opened: opened}, nil
	}
}

// upload is the path of every Upload… method. A registrar without renew whose
// credential dies early (revoked, or spent waiting) registers the file
// again and starts over, as long as the payload can be read again; an
// attempt that used up most of a credential's lifetime would not fit in
// the next one either. An upload that fails for good and cannot be
// resumed deletes the record it registered.
func (u *Uploader) upload(ctx context.Context, op string, opts []UploadOption,
	open func(context.Context) (*payload, error), k registrar) (*registration, Result, error) {
	o, err := u.uploadOptions(opts)
	if err != nil {
		return nil, Result{}, opError(op, err)
	}
	start := time.Now()
	p, err := open(ctx)
	if err != nil {
		return nil, Result{}, opError(op, err)
	}
	defer p.Close()
	if err := o.fits(p); err != nil {
		return nil, Result{}, opError(op, err)
	}
	for attempt := 1; ; attempt++ {
		reg, err := k.register(ctx, o, p)
		if err != nil {
			if reg != nil { // registered, but its checkpoint could not be recorded
				ue := uploadError(op, reg, uploaded{}, err)
				k.dropFailed(ctx, o, ue)
				return nil, Result{}, ue
			}
			return nil, Result{}, opError(op, err)
		}
		began := time.Now()
		res, err := u.send(ctx, o, p, reg, k.renewal(reg))
		var ue *UploadError
		if err != nil {
			ue = uploadError(op, reg, res, err)
		}
		if reg.checkpoint != nil {
			reg.checkpoint.finish(ctx, ue)
		}
		if ue == nil {
			return reg, res.result(reg.Upload, start), nil
		}
		if !k.registersAgain(ue, p, attempt, time.Since(began), reg.Auth.Lifetime) {
			k.dropFailed(ctx, o, ue)
			return nil, Result{}, ue
		}
		o.Logger.Warn("upload credential expired and cannot be refreshed; registering the media again",
			"op", op, "abandoned_media_id", reg.MediaID, "attempt", attempt)
		k.abandon(ctx, o, op, reg.MediaID)
	}
}

// fits refuses a payload whose size, known before any network call, no
// part size can fit into MaxParts parts, so VOD never creates a record
// for an upload that cannot succeed. A plan's objects are sized one by one.
func (o UploadOptions) fits(p *payload) error {
	if p.plan != nil || p.Size <= o.MultipartThreshold {
		return nil
	}
	if _, err := partio.PartSize(p.Size, o.PartSize); err != nil {
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	return nil
}

// uploaded is a transferResult plus the counters of its session.
type uploaded struct {
	transferResult
	retries, refreshes int
}

func (r uploaded) result(created *vodapi.Upload, start time.Time) Result {
	return Result{
		MediaID: created.MediaID, RequestID: created.RequestID,
		Bucket: created.Address.Bucket, ObjectKey: created.Address.FileName,
		Bytes: r.Bytes, CRC64: r.CRC64, Parts: r.Parts, ResumedParts: r.Resumed, ResumedBytes: r.ResumedBytes,
		Retries: r.retries, Refreshes: r.refreshes, Duration: time.Since(start),
	}
}

func stsFrom(a vodapi.UploadAuth) uploadauth.Credentials {
	return uploadauth.Credentials{
		AccessKeyID: a.AccessKeyID, AccessKeySecret: a.AccessKeySecret.Reveal(),
		SecurityToken: a.SecurityToken.Reveal(), Issued: a.Expires.Add(-a.Lifetime), Expires: a.Expires,
	}
}

func uploadError(op string, reg *registration, res uploaded, err error) *UploadError {
	return &UploadError{
		Op: op, MediaID: reg.MediaID, Bucket: reg.Address.Bucket, ObjectKey: reg.Address.FileName,
		UploadID: res.UploadID, PartsDone: res.Parts, BytesDone: res.Bytes,
		Aborted: res.Aborted, AbortErr: public(res.AbortErr), Err: public(err),
	}
}

// send is the session and transfer steps: it writes the payload to the
// registration's object (a plan: to its objects) through one session.
func (u *Uploader) send(ctx context.Context, o UploadOptions, p *payload, reg *registration,
	renew uploadauth.RefreshFunc) (uploaded, error) {
	s, err := u.newSession(o, reg.Upload, renew, p.Size)
	if err != nil {
		return uploaded{}, err
	}
	defer s.meter.Stop()
	var res transferResult
	if p.plan != nil {
		res, err = s.sendPlan(ctx, p.plan, reg.Address)
	} else {
		t := s.transfer(reg.Address.FileName)
		if reg.checkpoint != nil {
			t.resume = reg.checkpoint.state(ctx)
		}
		if res, err = t.run(ctx, p.Opened); err == nil {
			s.meter.SetTotal(res.Bytes)
		}
	}
	return uploaded{transferResult: res, retries: int(s.retries.Load()), refreshes: s.creds.Refreshes()}, err
}

// newSession opens the OSS access of one registration: its credential,
// renewed with renew, and a client for its bucket. size starts the
// progress meter.
func (u *Uploader) newSession(o UploadOptions, created *vodapi.Upload, renew uploadauth.RefreshFunc, size int64) (*session, error) {
	holder := uploadauth.New(stsFrom(created.Auth), renew,
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
	return &session{api: api, creds: holder, opts: o, sem: u.sem, limiter: u.limiter, log: o.Logger,
		meter: progress.Start(size, o.progressFunc(), o.ProgressInterval)}, nil
}
