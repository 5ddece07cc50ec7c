package vodupload

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/vodupload/vodupload/internal/checkpoint"
)

// Defaults, in one place.
const (
	// DefaultRegion is the VOD region used when none is set.
	DefaultRegion = "cn-shanghai"
	// DefaultPartSize is the multipart part size. Parts grow in multiples
	// of it when a file would otherwise need more than MaxParts parts.
	DefaultPartSize int64 = 8 << 20
	// DefaultConcurrency is the number of parts in flight per upload.
	DefaultConcurrency = 4
	// DefaultMultipartThreshold: sources up to this size go in one
	// PutObject; larger ones (and streams of unknown size that turn out
	// larger than one part) use multipart upload.
	DefaultMultipartThreshold int64 = 16 << 20
	// DefaultMaxAttempts is how often one request is tried before the
	// upload fails (transient errors only).
	DefaultMaxAttempts = 6
	// DefaultRetryBaseDelay and DefaultRetryMaxDelay bound the full-jitter
	// backoff between attempts.
	DefaultRetryBaseDelay = 200 * time.Millisecond
	DefaultRetryMaxDelay  = 10 * time.Second
	// DefaultRefreshAt is the share of a credential's lifetime after which
	// it is renewed before the next request.
	DefaultRefreshAt = 0.8
	// DefaultProgressInterval is how often the progress callback runs.
	DefaultProgressInterval = 500 * time.Millisecond
	// DefaultStallTimeout: an upload request whose body does not move for
	// this long is abandoned and retried (the peer stopped reading).
	DefaultStallTimeout = 2 * time.Minute
	// DefaultCallTimeout bounds one VOD API call when the context has no
	// earlier deadline.
	DefaultCallTimeout = 30 * time.Second

	// MinPartSize, MaxPartSize, MaxParts and MaxSinglePutSize are OSS limits.
	MinPartSize      int64 = 100 << 10
	MaxPartSize      int64 = 5 << 30
	MaxParts               = 10000
	MaxSinglePutSize int64 = 5 << 30
)

// Options configure an Uploader. Use the With… functions; each field's
// comment gives its default, which the zero value selects.
type Options struct {
	// Credentials sign VOD API calls. Default: DefaultCredentials(), the
	// environment then the SDK's default chain. Fixed at New.
	Credentials CredentialsProvider
	// Region is the VOD API region. Default DefaultRegion. Fixed at New.
	Region string
	// Endpoint overrides the VOD API endpoint, e.g. an emulator's URL.
	// Default: the official endpoint of Region. Fixed at New.
	Endpoint string
	// HTTPClient sends OSS requests; one client is shared by all uploads
	// so connections are reused. Default: a transport tuned for uploads.
	// When its Transport is an *http.Transport with a TLSClientConfig, VOD
	// calls use that TLS configuration too (RootCAs of a private CA).
	// Fixed at New.
	HTTPClient *http.Client

	// PartSize is the multipart part size, MinPartSize..MaxPartSize.
	// Default DefaultPartSize. Streams of unknown size hold up to
	// Concurrency+1 part buffers: peak memory PartSize×(Concurrency+1).
	PartSize int64
	// Concurrency is the number of parts in flight per upload. Default
	// DefaultConcurrency.
	Concurrency int
	// MultipartThreshold: sources up to this size use one PutObject.
	// Default DefaultMultipartThreshold; at most MaxSinglePutSize.
	MultipartThreshold int64
	// MaxInFlightParts caps the parts in flight across all uploads of
	// the Uploader, so a busy AppServer keeps bounded connections and
	// memory. Default 0: no cap beyond each upload's Concurrency. Fixed at
	// New.
	MaxInFlightParts int

	// MaxAttempts is how often one request is tried on transient errors
	// (5xx, throttling, timeouts, resets). Default DefaultMaxAttempts.
	MaxAttempts int
	// RetryBaseDelay and RetryMaxDelay bound the full-jitter backoff.
	// Defaults DefaultRetryBaseDelay, DefaultRetryMaxDelay.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// StallTimeout abandons and retries a request whose body has not moved
	// for this long, so a peer that stops reading cannot hang an upload.
	// Default DefaultStallTimeout.
	StallTimeout time.Duration
	// RefreshAt is the share of the upload credential's lifetime after
	// which it is renewed before the next request, in (0, 1). Default
	// DefaultRefreshAt.
	RefreshAt float64

	// BandwidthLimit caps the Uploader's total upload rate, in bytes per
	// second, across all its uploads, so background uploads cannot saturate
	// the AppServer's link. Default 0: no cap. Fixed at New.
	BandwidthLimit int64
	// TrafficLimit asks OSS to throttle each upload request to this many
	// bits per second (x-oss-traffic-limit, 819200..838860800). Default 0:
	// not sent.
	TrafficLimit int64
	// ECSRegion says the AppServer runs on ECS in this region: when VOD's
	// storage is in the same region, uploads go through OSS's internal
	// endpoint (free, no public network), as the Java SDK's EcsRegionId does.
	ECSRegion string
	// Accelerate uploads through OSS transfer acceleration: VOD is told so
	// in UserData.AccelerateConfig and the bytes go to the acceleration
	// endpoint. Acceleration must be enabled for the VOD account.
	Accelerate bool

	// Checkpoints, when set, makes video uploads of files above
	// MultipartThreshold resumable: finished parts are recorded there, a
	// failed or cancelled upload keeps its parts instead of aborting, and
	// uploading the same file with the same metadata again continues under
	// the same VideoId. Default: none (failures abort).
	Checkpoints CheckpointStore
	// CheckpointDir is a shortcut for Checkpoints: a directory store
	// (created 0700, files 0600) made by New.
	CheckpointDir string

	// Progress, when set, is called every ProgressInterval and once at the
	// end, always from one goroutine at a time.
	Progress func(Progress)
	// ProgressInterval defaults to DefaultProgressInterval.
	ProgressInterval time.Duration
	// Logger receives debug events and warnings; secrets are never logged.
	// Default: silent.
	Logger *slog.Logger
}

// CheckpointStore keeps the checkpoint records of resumable uploads, one
// per upload, keyed by the file's identity and the upload's metadata.
// Implement it to keep checkpoints in storage a fleet shares. Load returns
// an error matching fs.ErrNotExist for a missing key; Save must be atomic
// (readers see the old or the new record, never a mix); Delete of a
// missing key is not an error. A store that also has a method
// Lock(key string) (unlock func() error, err error) gets exclusive access
// per upload, as the directory store does with flock(2). Records never
// contain credentials.
type CheckpointStore = checkpoint.Store

// Option changes Options.
type Option func(*Options)

// WithCredentials sets the AccessKey provider for VOD calls.
func WithCredentials(p CredentialsProvider) Option { return func(o *Options) { o.Credentials = p } }

// WithRegion sets the VOD API region.
func WithRegion(region string) Option { return func(o *Options) { o.Region = region } }

// WithEndpoint points the VOD API client somewhere else, e.g. an emulator.
func WithEndpoint(url string) Option { return func(o *Options) { o.Endpoint = url } }

// WithHTTPClient sets the client for OSS requests; its transport's TLS
// configuration also applies to VOD calls.
func WithHTTPClient(c *http.Client) Option { return func(o *Options) { o.HTTPClient = c } }

// WithPartSize sets the multipart part size in bytes.
func WithPartSize(n int64) Option { return func(o *Options) { o.PartSize = n } }

// WithConcurrency sets the number of parts in flight per upload.
func WithConcurrency(n int) Option { return func(o *Options) { o.Concurrency = n } }

// WithMultipartThreshold sets the size above which multipart upload is used.
func WithMultipartThreshold(n int64) Option { return func(o *Options) { o.MultipartThreshold = n } }

// WithMaxInFlightParts caps parts in flight across all uploads.
func WithMaxInFlightParts(n int) Option { return func(o *Options) { o.MaxInFlightParts = n } }

// WithRetry sets the attempts per request and the backoff bounds.
func WithRetry(maxAttempts int, base, max time.Duration) Option {
	return func(o *Options) {
		o.MaxAttempts, o.RetryBaseDelay, o.RetryMaxDelay = maxAttempts, base, max
	}
}

// WithStallTimeout sets how long a request body may stand still before the
// request is abandoned and retried.
func WithStallTimeout(d time.Duration) Option { return func(o *Options) { o.StallTimeout = d } }

// WithRefreshAt sets the share of the credential lifetime after which it is renewed.
func WithRefreshAt(share float64) Option { return func(o *Options) { o.RefreshAt = share } }

// WithBandwidthLimit caps the Uploader's total upload rate in bytes per second.
func WithBandwidthLimit(bytesPerSecond int64) Option {
	return func(o *Options) { o.BandwidthLimit = bytesPerSecond }
}

// WithTrafficLimit sends x-oss-traffic-limit (bits per second) with each upload request.
func WithTrafficLimit(bitsPerSecond int64) Option {
	return func(o *Options) { o.TrafficLimit = bitsPerSecond }
}

// WithECSRegion uploads through OSS's internal endpoint when the bucket is in region.
func WithECSRegion(region string) Option { return func(o *Options) { o.ECSRegion = region } }

// WithAccelerate uploads through OSS transfer acceleration.
func WithAccelerate() Option { return func(o *Options) { o.Accelerate = true } }

// WithCheckpoints keeps resumable checkpoints in store.
func WithCheckpoints(store CheckpointStore) Option { return func(o *Options) { o.Checkpoints = store } }

// WithCheckpointDir keeps resumable checkpoints as files in dir.
func WithCheckpointDir(dir string) Option { return func(o *Options) { o.CheckpointDir = dir } }

// WithProgress sets the progress callback.
func WithProgress(fn func(Progress)) Option { return func(o *Options) { o.Progress = fn } }

// WithProgressInterval sets how often the progress callback runs.
func WithProgressInterval(d time.Duration) Option {
	return func(o *Options) { o.ProgressInterval = d }
}

// WithLogger sets the structured logger.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// withDefaults returns o with zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MultipartThreshold == 0 {
		o.MultipartThreshold = DefaultMultipartThreshold
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.RetryBaseDelay == 0 {
		o.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if o.RetryMaxDelay == 0 {
		o.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if o.RefreshAt == 0 {
		o.RefreshAt = DefaultRefreshAt
	}
	if o.StallTimeout == 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	if o.ProgressInterval == 0 {
		o.ProgressInterval = DefaultProgressInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// validate checks options after defaults are applied.
func (o Options) validate() error {
	switch {
	case o.PartSize < MinPartSize || o.PartSize > MaxPartSize:
		return invalid("PartSize", "between 100 KiB and 5 GiB", sizeString(o.PartSize))
	case o.Concurrency < 1 || o.Concurrency > 1000:
		return invalid("Concurrency", "between 1 and 1000", intString(o.Concurrency))
	case o.MultipartThreshold < 1 || o.MultipartThreshold > MaxSinglePutSize:
		return invalid("MultipartThreshold", "between 1 byte and 5 GiB", sizeString(o.MultipartThreshold))
	case o.MaxInFlightParts < 0:
		return invalid("MaxInFlightParts", "not negative", intString(o.MaxInFlightParts))
	case o.MaxAttempts < 1:
		return invalid("MaxAttempts", "at least 1", intString(o.MaxAttempts))
	case o.RetryBaseDelay < 0 || o.RetryMaxDelay < o.RetryBaseDelay:
		return invalid("RetryBaseDelay", "not negative and at most RetryMaxDelay", o.RetryBaseDelay.String())
	case o.StallTimeout < 0:
		return invalid("StallTimeout", "not negative", o.StallTimeout.String())
	case o.RefreshAt <= 0 || o.RefreshAt >= 1:
		return invalid("RefreshAt", "between 0 and 1, exclusive", floatString(o.RefreshAt))
	case o.BandwidthLimit < 0:
		return invalid("BandwidthLimit", "not negative", sizeString(o.BandwidthLimit))
	case o.TrafficLimit != 0 && (o.TrafficLimit < 819200 || o.TrafficLimit > 838860800):
		return invalid("TrafficLimit", "between 819200 and 838860800 bits per second", intString(int(o.TrafficLimit)))
	case o.ProgressInterval < 0:
		return invalid("ProgressInterval", "not negative", o.ProgressInterval.String())
	}
	return nil
}
