package vodupload

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/checkpoint"
	"github.com/vodupload/vodupload/internal/hls"
	"github.com/vodupload/vodupload/internal/m3u8"
	"github.com/vodupload/vodupload/internal/partio"
	"github.com/vodupload/vodupload/internal/source"
	"github.com/vodupload/vodupload/internal/uploadauth"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// Every error a public method returns starts with the method's name
// ("UploadVideo: ...", "CreateVideoUpload: ...") and matches the types and
// sentinels below with errors.As and errors.Is.

// Service names the service an APIError comes from.
type Service string

// Services an APIError can come from.
const (
	ServiceVOD Service = "VOD"
	ServiceOSS Service = "OSS"
)

// APIError is an error answer from VOD or OSS: the service, the action, the
// HTTP status and the service's Code, Message and RequestID (quote the
// RequestID when you contact Alibaba Cloud support). Match it with
// errors.As. It never contains credentials. Its text reads
// "VOD CreateUploadVideo: Code (HTTP 400): message [RequestId ...]".
type APIError struct {
	Service    Service
	Op         string // the action, e.g. "CreateUploadVideo" or "UploadPart"
	StatusCode int    // HTTP status; 0 when no response arrived
	Code       string // the service's error code, e.g. "SignatureDoesNotMatch"
	Message    string
	RequestID  string
	HostID     string // OSS's HostId; empty for VOD
}

func (e *APIError) Error() string { return e.internal().Error() }

// Temporary reports whether repeating the same request may succeed:
// server errors, throttling and request timeouts. The library has already
// retried these before it returns one.
func (e *APIError) Temporary() bool { return e.internal().Temporary() }

// CredentialExpired reports whether OSS refused the upload credential as
// expired or unknown, which a fresh credential cures.
func (e *APIError) CredentialExpired() bool { return e.internal().CredentialExpired() }

func (e *APIError) internal() *apierr.Error {
	return &apierr.Error{Service: apierr.Service(e.Service), Op: e.Op, StatusCode: e.StatusCode,
		Code: e.Code, Message: e.Message, RequestID: e.RequestID, HostID: e.HostID}
}

// Sentinel errors, matched with errors.Is.
var (
	// ErrValidation is matched by every *ValidationError.
	ErrValidation = errors.New("invalid input")
	// ErrEmptySource: the file or stream has no bytes.
	ErrEmptySource = errors.New("source is empty")
	// ErrNotRegularFile: the path is a directory, device or pipe.
	ErrNotRegularFile = errors.New("source is not a regular file")
	// ErrChecksumMismatch: the CRC64 OSS computed differs from ours; the
	// bytes were corrupted on the way.
	ErrChecksumMismatch = errors.New("crc64 mismatch")
	// ErrTooLarge: the source does not fit in 10,000 parts of at most 5 GiB,
	// or a stream turned out longer than its part size allows.
	ErrTooLarge = errors.New("source too large")
	// ErrCredentialRejected: OSS kept rejecting fresh credentials.
	ErrCredentialRejected = errors.New("upload credential rejected")
	// ErrCredentialExpired: the upload credential expired and could not be
	// renewed: a ticket upload without a refresh function, or an image or
	// attached media file (VOD has no refresh API for them) that kept
	// outliving its credentials.
	ErrCredentialExpired = errors.New("upload credential expired and cannot be renewed")
	// ErrUploadComplete: RefreshVideoUpload refused a video whose upload
	// has finished (its VOD status is past Uploading/UploadFail): a fresh
	// credential would let a client overwrite its source file.
	ErrUploadComplete = errors.New("upload already complete")
	// ErrCheckpointLocked: another upload (in this or another process) is
	// resuming the same checkpoint right now.
	ErrCheckpointLocked = errors.New("checkpoint locked by another upload")
	// ErrInvalidPlaylist: UploadM3U8's index cannot be uploaded as it is
	// (not an HLS playlist, a malformed tag, a segment URI outside the
	// index's directory, a segment missing or empty); found before VOD
	// is called.
	ErrInvalidPlaylist = errors.New("invalid HLS playlist")
	// ErrMasterPlaylist: UploadM3U8's index is a master playlist, listing
	// variants rather than segments; upload each variant as its own video.
	// It matches ErrInvalidPlaylist too.
	ErrMasterPlaylist = errors.New("master playlist")
)

// sentinel pairs an internal package's error with the exported one it
// reads as.
type sentinel struct{ internal, public error }

// sentinels are the internal errors a caller may see, each answered by the
// exported sentinel errors.Is matches.
func sentinels() []sentinel {
	all := []sentinel{
		{source.ErrEmpty, ErrEmptySource},
		{source.ErrInvalidSize, ErrValidation},
		{partio.ErrTooLarge, ErrTooLarge},
		{source.ErrNotRegular, ErrNotRegularFile},
		{uploadauth.ErrNoRefresh, ErrCredentialExpired},
		{checkpoint.ErrLocked, ErrCheckpointLocked},
		{m3u8.ErrMasterPlaylist, ErrMasterPlaylist},
	}
	for _, e := range []error{m3u8.ErrMasterPlaylist, m3u8.ErrMissingHeader, m3u8.ErrNoSegments, m3u8.ErrTooLarge,
		m3u8.ErrInvalidUTF8, m3u8.ErrSyntax, m3u8.ErrUnsafeURI, m3u8.ErrUnsupportedURI, m3u8.ErrNameCollision,
		m3u8.ErrInvalidName, hls.ErrMissingSegment} {
		all = append(all, sentinel{e, ErrInvalidPlaylist})
	}
	return all
}

// public turns what the internal packages returned into what a caller
// matches: each service answer becomes an *APIError, an internal sentinel
// also matches its exported twin. The text and the chain stay as they
// were, so errors.Is still finds context errors, fs.ErrNotExist and the
// like.
func public(err error) error {
	if err == nil {
		return nil
	}
	// A provider that yielded no credential reads as what to set; its
	// complaint (for the default chain, every provider's) stays in the
	// chain.
	var nce *vodapi.NoCredentialError
	if errors.As(err, &nce) {
		return &CredentialError{Provider: nce.Provider, Err: err}
	}
	var also []error
	walk(err, func(e error) {
		if ae, ok := e.(*apierr.Error); ok {
			also = append(also, &APIError{Service: Service(ae.Service), Op: ae.Op, StatusCode: ae.StatusCode,
				Code: ae.Code, Message: ae.Message, RequestID: ae.RequestID, HostID: ae.HostID})
		}
	})
	for _, s := range sentinels() {
		if errors.Is(err, s.internal) {
			also = append(also, s.public)
		}
	}
	if len(also) == 0 {
		return err
	}
	return &publicError{err: err, tree: append(also, err)}
}

// walk calls fn for err and every error in its tree, in the order
// errors.As searches them.
func walk(err error, fn func(error)) {
	if err == nil {
		return
	}
	fn(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walk(u.Unwrap(), fn)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walk(e, fn)
		}
	}
}

// publicError is an internal error with the exported errors it matches.
type publicError struct {
	err error
	// tree is the exported errors, then err: built once, because Unwrap
	// runs on every errors.Is and errors.As, from any goroutine that holds
	// the error, and must not write.
	tree []error
}

func (e *publicError) Error() string   { return e.err.Error() }
func (e *publicError) Unwrap() []error { return e.tree }

// opError is the error a public method returns: its name first, then the
// cause in the caller's terms. An *UploadError names its method itself.
func opError(op string, err error) error {
	if err == nil {
		return nil
	}
	var ue *UploadError
	if errors.As(err, &ue) && ue.Op == op {
		return err
	}
	return fmt.Errorf("%s: %w", op, public(err))
}

// ValidationError says which field of a request or option broke which rule.
// It is returned before any network call.
type ValidationError struct {
	Field string // e.g. "Title", "Tags[3]", "PartSize"
	Rule  string // e.g. "at most 128 bytes"
	Value string // the offending value, shortened; never a secret
}

func (e *ValidationError) Error() string {
	msg := "invalid " + e.Field + ": " + e.Rule
	if e.Value != "" {
		msg += fmt.Sprintf(" (got %q)", e.Value)
	}
	return msg
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

func invalid(field, rule, value string) *ValidationError {
	return &ValidationError{Field: field, Rule: rule, Value: shorten(value, 64)}
}

// shorten cuts s to at most limit bytes, "..." included, at a character
// boundary: a value cut inside a UTF-8 sequence would print as an escaped
// byte instead of text.
func shorten(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// UploadError is returned when an upload fails after VOD created its media
// record. It carries what is needed to resume or clean up, and unwraps to
// the cause (and to the abort failure, if the cleanup failed too).
type UploadError struct {
	Op        string // "UploadVideo", "UploadImage", ...
	MediaID   string // VideoId / ImageId / MediaId; empty if creation failed
	Bucket    string
	ObjectKey string
	UploadID  string // OSS multipart upload ID; empty for a single PUT
	PartsDone int    // parts OSS acknowledged
	BytesDone int64  // bytes OSS acknowledged
	// Resumable is true when the parts and the checkpoint were kept: run
	// the same upload again with the same checkpoint store to continue.
	Resumable bool
	// Aborted is true when the multipart upload was aborted (no parts left
	// behind). AbortErr is set when aborting failed.
	Aborted  bool
	AbortErr error
	// Deleted is true when the media record VOD created was deleted
	// (DeleteVideo, DeleteImage, DeleteAttachedMedia) because the upload
	// cannot be resumed: MediaID then names a record that no longer
	// exists. DeleteErr is set when deleting failed and the record stays
	// in the library without a file. WithKeepFailedMedia turns the delete
	// off; a resumable failure and a ticket upload never delete.
	Deleted   bool
	DeleteErr error
	Err       error
}

func (e *UploadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", e.Op)
	if e.MediaID != "" {
		fmt.Fprintf(&b, " %s", e.MediaID)
	}
	if e.ObjectKey != "" {
		fmt.Fprintf(&b, " (object %s", e.ObjectKey)
		if e.UploadID != "" {
			fmt.Fprintf(&b, ", upload %s, %d parts done", e.UploadID, e.PartsDone)
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if e.Resumable {
		b.WriteString("; resumable: run the same upload again with the same checkpoint store")
		return b.String()
	}
	if e.AbortErr != nil {
		fmt.Fprintf(&b, "; abort also failed, unfinished parts remain until VOD removes them after 7 days: %v", e.AbortErr)
	}
	switch {
	case e.Deleted:
		b.WriteString("; media record deleted")
	case e.DeleteErr != nil:
		fmt.Fprintf(&b, "; deleting the media record also failed, it stays in the library without a file: %v", e.DeleteErr)
	}
	return b.String()
}

// Unwrap returns the cause and, if aborting or deleting failed, those
// errors too.
func (e *UploadError) Unwrap() []error {
	errs := []error{e.Err}
	for _, err := range []error{e.AbortErr, e.DeleteErr} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// CredentialError says the AccessKey that signs VOD calls is missing or
// refused; CheckCredentials returns it. Its message names the credential
// provider and what to set, never a secret, and leaves out the provider's
// own error (for the SDK's default chain, a list of every provider's
// complaint), which Unwrap still returns.
type CredentialError struct {
	// Provider is the SDK provider's name: "env", "static_ak", "default"
	// (the chain found nothing), "default/env" (the chain's environment
	// provider), ...
	Provider string
	// Code is VOD's error code when VOD refused the credential, e.g.
	// "InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch",
	// "Forbidden.RAM"; empty when the provider yielded none.
	Code string
	Err  error
}

func (e *CredentialError) Error() string {
	switch {
	case e.Code == "":
		return fmt.Sprintf("no VOD credential from the %s provider: %s", e.Provider, credentialHint(e.Provider))
	case strings.HasPrefix(e.Code, "Forbidden"):
		return fmt.Sprintf("VOD accepted the AccessKey from the %s provider but its RAM policy forbids the call (%s): "+
			"grant the RAM user or role VOD permissions, e.g. AliyunVODFullAccess", e.Provider, e.Code)
	}
	return fmt.Sprintf("VOD refused the AccessKey from the %s provider (%s): %s", e.Provider, e.Code, credentialHint(e.Provider))
}

func (e *CredentialError) Unwrap() error { return e.Err }

const envHint = "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET " +
	"(and ALIBABA_CLOUD_SECURITY_TOKEN for an STS token)"

// credentialHint says what to fix for a provider of the given name.
func credentialHint(provider string) string {
	switch provider {
	case "default":
		return envHint + ", or configure an Alibaba Cloud CLI profile, ~/.alibabacloud/credentials or an ECS RAM role"
	case "env", "default/env":
		return envHint
	case "static_ak", "static_sts":
		return "check the AccessKey given to StaticCredentials or STSCredentials"
	case "default/cli_profile", "cli_profile":
		return "check the Alibaba Cloud CLI profile (aliyun configure)"
	case "default/profile", "profile":
		return "check ~/.alibabacloud/credentials or $ALIBABA_CLOUD_CREDENTIALS_FILE"
	}
	return "check the " + provider + " provider's configuration"
}

func intString(n int) string       { return strconv.Itoa(n) }
func sizeString(n int64) string    { return strconv.FormatInt(n, 10) + " bytes" }
func floatString(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
