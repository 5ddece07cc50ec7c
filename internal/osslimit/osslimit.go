// Package osslimit names OSS's upload limits once, for the packages that
// check against them; the root package re-exports them as MaxParts,
// MinPartSize, MaxPartSize and MaxSinglePutSize.
package osslimit

const (
	// MaxParts is the most parts one multipart upload may have.
	MaxParts = 10000
	// MinPartSize is the smallest part OSS accepts, except the last.
	MinPartSize = 100 << 10
	// MaxPartSize is the largest part OSS accepts.
	MaxPartSize = 5 << 30
	// MaxSinglePutSize is the largest object one PutObject may write.
	MaxSinglePutSize = 5 << 30
)
