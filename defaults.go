package vodupload

// Every default and every OSS limit, named once. Each field's doc comment
// in options.go refers to these; internal packages get them as parameters
// or from internal/osslimit, which the limits below re-export.

import (
	"time"

	"github.com/vodupload/vodupload/internal/osslimit"
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
	// DefaultBatchConcurrency is how many items UploadBatch uploads at once
	// unless WithBatchConcurrency says otherwise. Each upload has its own
	// Concurrency parts in flight; the Uploader's MaxInFlightParts and
	// BandwidthLimit cap them all together.
	DefaultBatchConcurrency = 4
)

// OSS's limits: parts of MinPartSize (100 KiB, except the last) to
// MaxPartSize (5 GiB), at most MaxParts (10,000) of them, and at most
// MaxSinglePutSize (5 GiB) in one PutObject.
const (
	MinPartSize      int64 = osslimit.MinPartSize
	MaxPartSize      int64 = osslimit.MaxPartSize
	MaxParts               = osslimit.MaxParts
	MaxSinglePutSize int64 = osslimit.MaxSinglePutSize
)

// Bounds of upload options that are not part sizes.
const (
	// maxConcurrency bounds UploadOptions.Concurrency: more parts in flight
	// per upload only multiply connections and part buffers.
	maxConcurrency = 1000
	// minTrafficLimit and maxTrafficLimit are the range OSS accepts in
	// x-oss-traffic-limit, in bits per second (100 KiB/s to 100 MiB/s;
	// OSS user guide, "Single-connection bandwidth throttling").
	minTrafficLimit = 819200
	maxTrafficLimit = 838860800
)
