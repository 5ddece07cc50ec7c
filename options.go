package vodupload

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vodupload/vodupload/internal/checkpoint"
)

// Options configure an Uploader: the settings fixed for its lifetime, and
// in Upload the defaults of every upload, which each call may override.
// Build them with the With… functions; each field's comment gives its
// default, which the zero value selects.
type Options struct {
	// Credentials sign VOD API calls. Default: DefaultCredentials(), the
	// environment then the SDK's default chain.
	Credentials CredentialsProvider
	// Region is the VOD API region. Default DefaultRegion.
	Region string
	// Endpoint overrides the VOD API endpoint, e.g. an emulator's URL.
	// Default: the official endpoint of Region.
	Endpoint string
	// CallTimeout bounds each attempt of a VOD API call (CreateUpload…,
	// RefreshUploadVideo, ...) when the context has no earlier deadline.
	// Default DefaultCallTimeout.
	CallTimeout time.Duration
	// HTTPClient sends OSS requests; one client is shared by all uploads
	// so connections are reused. Default: a transport tuned for uploads,
	// whose connections send request bodies in 256 KiB writes (TLS
	// records collected into writes of that size), over HTTP/1.1; a client
	// of your own sends them as its transport does (net/http's: 32 KiB
	// writes, a socket write per TLS record). To trust a private CA and
	// keep the default, set SSL_CERT_FILE. When its Transport is an
	// *http.Transport with a TLSClientConfig, VOD calls use that TLS
	// configuration too (RootCAs of a private CA).
	HTTPClient *http.Client
	// MaxInFlightParts caps the parts in flight across all uploads of
	// the Uploader, so a busy AppServer keeps bounded connections and
	// memory. Default 0: no cap beyond each upload's Concurrency.
	MaxInFlightParts int
	// BandwidthLimit caps the Uploader's total upload rate, in bytes per
	// second, across all its uploads, so background uploads cannot saturate
	// the AppServer's link. Default 0: no cap.
	BandwidthLimit int64

	// Upload holds the defaults of every upload of the Uploader.
	Upload UploadOptions
}

// UploadOptions tune one upload. The Uploader keeps a set of them as
// defaults (Options.Upload); the options passed to an Upload… method are
// applied to a copy of those, so a call never changes the Uploader. A copy
// is safe: the fields are plain values, or a store, callback and logger
// the copies share on purpose.
type UploadOptions struct {
	// PartSize is the multipart part size, MinPartSize..MaxPartSize.
	// Default DefaultPartSize. Streams of unknown size hold up to
	// Concurrency+1 part buffers: peak memory PartSize×(Concurrency+1).
	PartSize int64
	// Concurrency is the number of parts in flight per upload, 1..1000.
	// Default DefaultConcurrency.
	Concurrency int
	// MultipartThreshold: sources up to this size use one PutObject.
	// Default DefaultMultipartThreshold; at most MaxSinglePutSize.
	MultipartThreshold int64

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
	// (created 0700, files 0600), opened when the options are applied.
	CheckpointDir string
	// KeepFailedMedia keeps the media record of an upload that failed and
	// cannot be resumed, and of a registration given up for a new one.
	// Default false: such records are deleted, so the media library holds
	// no record without a file (UploadError.Deleted says so).
	KeepFailedMedia bool

	// Progress, when set, is called every ProgressInterval and once at the
	// end, always from one goroutine at a time.
	Progress func(Progress)
	// ProgressInterval defaults to DefaultProgressInterval.
	ProgressInterval time.Duration
	// Logger receives debug events and warnings; secrets are never logged.
	// Default: silent.
	Logger *slog.Logger
}

// Option configures New: a ClientOption, or an UploadOption, which then
// sets a default of every upload.
type Option interface{ apply(*Options) }

// ClientOption sets what is fixed for an Uploader's lifetime. Only New
// takes it: an Upload… method does not compile with one.
type ClientOption func(*Options)

func (f ClientOption) apply(o *Options) { f(o) }

// UploadOption tunes uploads. Passed to New it sets the default of every
// upload; passed to an Upload… method it applies to that call only.
type UploadOption func(*UploadOptions)

func (f UploadOption) apply(o *Options) { f(&o.Upload) }

// WithCredentials sets the AccessKey provider for VOD calls.
func WithCredentials(p CredentialsProvider) ClientOption {
	return func(o *Options) { o.Credentials = p }
}

// WithRegion sets the VOD API region.
func WithRegion(region string) ClientOption { return func(o *Options) { o.Region = region } }

// WithCallTimeout bounds each attempt of a VOD API call.
func WithCallTimeout(d time.Duration) ClientOption { return func(o *Options) { o.CallTimeout = d } }

// WithEndpoint points the VOD API client somewhere else, e.g. an emulator.
func WithEndpoint(url string) ClientOption { return func(o *Options) { o.Endpoint = url } }

// WithHTTPClient sets the client for OSS requests.
//
// Its transport's TLS configuration also applies to VOD calls.
func WithHTTPClient(c *http.Client) ClientOption { return func(o *Options) { o.HTTPClient = c } }

// WithMaxInFlightParts caps parts in flight across all uploads.
func WithMaxInFlightParts(n int) ClientOption { return func(o *Options) { o.MaxInFlightParts = n } }

// WithBandwidthLimit caps the Uploader's total upload rate in bytes per second.
func WithBandwidthLimit(bytesPerSecond int64) ClientOption {
	return func(o *Options) { o.BandwidthLimit = bytesPerSecond }
}

// WithPartSize sets the multipart part size in bytes.
func WithPartSize(n int64) UploadOption { return func(o *UploadOptions) { o.PartSize = n } }

// WithConcurrency sets the number of parts in flight per upload.
func WithConcurrency(n int) UploadOption { return func(o *UploadOptions) { o.Concurrency = n } }

// WithMultipartThreshold sets the size above which multipart upload is used.
func WithMultipartThreshold(n int64) UploadOption {
	return func(o *UploadOptions) { o.MultipartThreshold = n }
}

// WithRetry sets the attempts per request and the backoff bounds.
func WithRetry(maxAttempts int, base, max time.Duration) UploadOption {
	return func(o *UploadOptions) {
		o.MaxAttempts, o.RetryBaseDelay, o.RetryMaxDelay = maxAttempts, base, max
	}
}

// WithStallTimeout sets how long a request body may stand still before the
// request is abandoned and retried.
func WithStallTimeout(d time.Duration) UploadOption {
	return func(o *UploadOptions) { o.StallTimeout = d }
}

// WithRefreshAt sets the share of the credential lifetime after which it is renewed.
func WithRefreshAt(share float64) UploadOption { return func(o *UploadOptions) { o.RefreshAt = share } }

// WithTrafficLimit sends x-oss-traffic-limit (bits per second) with each upload request.
func WithTrafficLimit(bitsPerSecond int64) UploadOption {
	return func(o *UploadOptions) { o.TrafficLimit = bitsPerSecond }
}

// WithECSRegion uploads through OSS's internal endpoint when the bucket is in region.
func WithECSRegion(region string) UploadOption {
	return func(o *UploadOptions) { o.ECSRegion = region }
}

// WithAccelerate uploads through OSS transfer acceleration.
func WithAccelerate() UploadOption { return func(o *UploadOptions) { o.Accelerate = true } }

// WithCheckpoints keeps resumable checkpoints in store.
func WithCheckpoints(store CheckpointStore) UploadOption {
	return func(o *UploadOptions) { o.Checkpoints = store }
}

// WithCheckpointDir keeps resumable checkpoints as files in dir.
func WithCheckpointDir(dir string) UploadOption {
	return func(o *UploadOptions) { o.CheckpointDir = dir }
}

// WithKeepFailedMedia keeps the media record of a failed upload instead of
// deleting it, e.g. when the AccessKey may not delete media.
func WithKeepFailedMedia() UploadOption { return func(o *UploadOptions) { o.KeepFailedMedia = true } }

// WithProgress sets the progress callback.
func WithProgress(fn func(Progress)) UploadOption { return func(o *UploadOptions) { o.Progress = fn } }

// WithProgressInterval sets how often the progress callback runs.
func WithProgressInterval(d time.Duration) UploadOption {
	return func(o *UploadOptions) { o.ProgressInterval = d }
}

// WithLogger sets the structured logger.
func WithLogger(l *slog.Logger) UploadOption { return func(o *UploadOptions) { o.Logger = l } }

// withDefaults returns o with zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.Credentials == nil {
		o.Credentials = DefaultCredentials()
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.HTTPClient == nil {
		o.HTTPClient = defaultHTTPClient()
	}
	o.Upload = o.Upload.withDefaults()
	return o
}

// validate checks options after defaults are applied.
func (o Options) validate() error {
	switch {
	case !validRegion(o.Region):
		return invalid("Region", "a region ID such as cn-shanghai or ap-southeast-1", o.Region)
	case o.CallTimeout < 0:
		return invalid("CallTimeout", "not negative", o.CallTimeout.String())
	case o.MaxInFlightParts < 0:
		return invalid("MaxInFlightParts", "not negative", intString(o.MaxInFlightParts))
	case o.BandwidthLimit < 0:
		return invalid("BandwidthLimit", "not negative", sizeString(o.BandwidthLimit))
	}
	return o.Upload.validate()
}

// withDefaults returns o with zero fields set to their defaults.
func (o UploadOptions) withDefaults() UploadOptions {
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
func (o UploadOptions) validate() error {
	switch {
	case o.PartSize < MinPartSize || o.PartSize > MaxPartSize:
		return invalid("PartSize", "between 100 KiB and 5 GiB", sizeString(o.PartSize))
	case o.Concurrency < 1 || o.Concurrency > maxConcurrency:
		return invalid("Concurrency", fmt.Sprintf("between 1 and %d", maxConcurrency), intString(o.Concurrency))
	case o.MultipartThreshold < 1 || o.MultipartThreshold > MaxSinglePutSize:
		return invalid("MultipartThreshold", "between 1 byte and 5 GiB", sizeString(o.MultipartThreshold))
	case o.MaxAttempts < 1:
		return invalid("MaxAttempts", "at least 1", intString(o.MaxAttempts))
	case o.RetryBaseDelay < 0 || o.RetryMaxDelay < o.RetryBaseDelay:
		return invalid("RetryBaseDelay", "not negative and at most RetryMaxDelay", o.RetryBaseDelay.String())
	case o.StallTimeout < 0:
		return invalid("StallTimeout", "not negative", o.StallTimeout.String())
	case o.RefreshAt <= 0 || o.RefreshAt >= 1:
		return invalid("RefreshAt", "between 0 and 1, exclusive", floatString(o.RefreshAt))
	case o.TrafficLimit != 0 && (o.TrafficLimit < minTrafficLimit || o.TrafficLimit > maxTrafficLimit):
		return invalid("TrafficLimit", fmt.Sprintf("between %d and %d bits per second", minTrafficLimit, maxTrafficLimit),
			intString(int(o.TrafficLimit)))
	case o.ProgressInterval < 0:
		return invalid("ProgressInterval", "not negative", o.ProgressInterval.String())
	case o.ECSRegion != "" && !validRegion(o.ECSRegion):
		return invalid("ECSRegion", "a region ID such as cn-shanghai or ap-southeast-1", o.ECSRegion)
	}
	return nil
}

// validRegion reports whether s reads as an Alibaba Cloud region ID
// (cn-shanghai, ap-southeast-1, cn-shanghai-finance-1): lower-case words
// of letters and digits joined by single hyphens, the first a two- or
// three-letter area (cn, ap, eu, us, me, rus, ...). Only the syntax is
// checked: VOD adds regions, and a list here would refuse them.
func validRegion(s string) bool {
	words := strings.Split(s, "-")
	if len(words) < 2 || len(words[0]) < 2 || len(words[0]) > 3 {
		return false
	}
	for i, w := range words {
		if w == "" {
			return false
		}
		for _, c := range w {
			letter, digit := c >= 'a' && c <= 'z', c >= '0' && c <= '9'
			if !letter && !(digit && i > 0) {
				return false
			}
		}
	}
	return true
}

// openCheckpoints turns CheckpointDir into a store.
func (o *UploadOptions) openCheckpoints() error {
	if o.Checkpoints != nil || o.CheckpointDir == "" {
		return nil
	}
	store, err := checkpoint.NewDirStore(o.CheckpointDir)
	if err != nil {
		return fmt.Errorf("checkpoint directory: %w", err)
	}
	o.Checkpoints = store
	return nil
}

// uploadOptions applies a call's options to a copy of the Uploader's
// defaults. A call that names another CheckpointDir gets that store.
func (u *Uploader) uploadOptions(opts []UploadOption) (UploadOptions, error) {
	o := u.opts.Upload
	if len(opts) == 0 {
		return o, nil
	}
	for _, fn := range opts {
		fn(&o)
	}
	o = o.withDefaults()
	if o.CheckpointDir != u.opts.Upload.CheckpointDir {
		o.Checkpoints = nil
	}
	if err := o.validate(); err != nil {
		return o, err
	}
	return o, o.openCheckpoints()
}
