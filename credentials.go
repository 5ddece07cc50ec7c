package vodupload

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// CredentialsProvider supplies the AccessKey (or STS token) that signs VOD
// API calls. It is alibaba-cloud-sdk-go's provider interface, so any of the
// SDK's providers (RAM role ARN, ECS RAM role, OIDC, CLI profile, credentials
// URI) can be passed as they are. VOD then issues a separate, short-lived
// upload credential per media file; that one is handled internally.
type CredentialsProvider = credentials.CredentialsProvider

// StaticCredentials uses a fixed AccessKey pair.
func StaticCredentials(accessKeyID, accessKeySecret string) CredentialsProvider {
	return credentials.NewStaticAKCredentialsProvider(accessKeyID, accessKeySecret)
}

// STSCredentials uses a fixed STS token, e.g. one an AppServer obtained
// from AssumeRole. It stops working when the token expires.
func STSCredentials(accessKeyID, accessKeySecret, securityToken string) CredentialsProvider {
	return credentials.NewStaticSTSCredentialsProvider(accessKeyID, accessKeySecret, securityToken)
}

// EnvironmentCredentials reads ALIBABA_CLOUD_ACCESS_KEY_ID,
// ALIBABA_CLOUD_ACCESS_KEY_SECRET and, when set,
// ALIBABA_CLOUD_SECURITY_TOKEN on every call, so rotated values are picked
// up.
func EnvironmentCredentials() CredentialsProvider {
	return credentials.NewEnvironmentVariableCredentialsProvider()
}

// ECSRAMRoleCredentials uses the RAM role attached to the ECS instance
// (through the instance metadata service). roleName may be empty to use the
// attached role.
func ECSRAMRoleCredentials(roleName string) (CredentialsProvider, error) {
	return credentials.NewECSRAMRoleCredentialsProviderBuilder().WithRoleName(roleName).Build()
}

// DefaultCredentials is the SDK's default chain: environment variables,
// OIDC role (ACK RRSA), the Alibaba Cloud CLI profile, the credentials file
// (~/.alibabacloud/credentials), the ECS RAM role, and a credentials URI.
// The first that yields a credential is used from then on.
func DefaultCredentials() CredentialsProvider {
	return credentials.NewDefaultCredentialsProvider()
}

// UploadTicket is an upload address and credential for one media file, as
// an AppServer hands it to a web, mobile or device client that holds no
// AccessKey. UploadAddress and UploadAuth are the base64 strings exactly
// as VOD issued them, so VOD's own client SDKs accept them too.
//
// It marshals to JSON with UploadAuth in clear — that is its purpose — so
// send it only over TLS to the client you authorised. fmt and slog print it
// with UploadAuth redacted.
type UploadTicket = vodapi.ClientPayload

// CreateVideoUpload registers a video with VOD and returns the ticket a
// client uploads it with (CreateUploadVideo), without uploading anything.
// The metadata is validated first, as UploadVideo does; FileName is
// required here since there is no source to take it from.
func (u *Uploader) CreateVideoUpload(ctx context.Context, m VideoMeta, fileSize int64) (*UploadTicket, error) {
	if err := checkFileSize(fileSize); err != nil {
		return nil, err
	}
	req, err := videoRequest(m, fileSize)
	if err != nil {
		return nil, err
	}
	up, err := u.vod.CreateUploadVideo(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("CreateVideoUpload: %w", err)
	}
	t := up.ClientPayload()
	return &t, nil
}

// RefreshVideoUpload issues a fresh credential for a video created earlier
// (RefreshUploadVideo): the same VideoId and upload address, a new
// UploadAuth. Clients call it through their AppServer when a long upload
// outlives its credential, or to resume.
//
// VOD itself renews the credential of any video, even one long published,
// and that credential may overwrite its source file. So the video's status
// is read first (GetVideoInfo) and a video whose upload is complete gets
// ErrUploadComplete instead.
func (u *Uploader) RefreshVideoUpload(ctx context.Context, videoID string) (*UploadTicket, error) {
	if videoID == "" {
		return nil, invalid("VideoID", "required", "")
	}
	info, err := u.vod.GetVideoInfo(ctx, videoID)
	if err != nil {
		return nil, fmt.Errorf("RefreshVideoUpload %s: %w", videoID, err)
	}
	if !stillUploading(info.Status) {
		return nil, fmt.Errorf("RefreshVideoUpload %s: status %s: %w", videoID, info.Status, ErrUploadComplete)
	}
	up, err := u.vod.RefreshUploadVideo(ctx, videoID)
	if err != nil {
		return nil, fmt.Errorf("RefreshVideoUpload %s: %w", videoID, err)
	}
	t := up.ClientPayload()
	return &t, nil
}

// stillUploading reports whether a video in this status may still have its
// source file written: Uploading (the initial status) and UploadFail (VOD
// says: retry the upload). Every other documented status — UploadSucc,
// Transcoding, TranscodeFail, Checking, Blocked, Normal, ProduceFail —
// comes after a complete upload, and so does any status VOD adds later.
// Reference: ApsaraVideo VOD API reference, "Basic data types", Status:
// the status of an audio or video file.
func stillUploading(status string) bool {
	return status == "Uploading" || status == "UploadFail"
}

// checkFileSize refuses a negative size a caller declares for a client's
// file (zero means unknown).
func checkFileSize(n int64) error {
	if n < 0 {
		return invalid("FileSize", "not negative", sizeString(n))
	}
	return nil
}

// TicketRefresher obtains a fresh ticket for the same media, typically by
// asking the AppServer (which calls RefreshVideoUpload, or for images and
// attached media creates a new upload).
type TicketRefresher func(ctx context.Context) (*UploadTicket, error)

// decodeTicket turns a ticket into the address and credential the engine
// uses; received anchors a lifetime given only in seconds.
func decodeTicket(t *UploadTicket, received time.Time) (*vodapi.Upload, error) {
	if t == nil {
		return nil, invalid("UploadTicket", "required", "")
	}
	addr, err := vodapi.DecodeAddress(t.UploadAddress)
	if err != nil {
		return nil, &ValidationError{Field: "UploadTicket.UploadAddress", Rule: err.Error()}
	}
	auth, err := vodapi.DecodeAuth(t.UploadAuth, received)
	if err != nil {
		return nil, &ValidationError{Field: "UploadTicket.UploadAuth", Rule: err.Error()}
	}
	return &vodapi.Upload{MediaID: t.MediaID, RequestID: t.RequestID, Address: addr, Auth: auth,
		RawAddress: t.UploadAddress, RawAuth: vodapi.Secret(t.UploadAuth), MediaURL: t.MediaURL, FileURL: t.FileURL}, nil
}

// probeVideoID is a well-formed VideoId that names no video, so asking VOD
// about it reads nothing and changes nothing.
const probeVideoID = "00000000000000000000000000000000"

// CheckCredentials makes one cheap signed VOD call (GetVideoInfo of a
// VideoId that does not exist) to learn whether the AccessKey works. A
// service should call it at start, so a missing or refused key shows up
// as one clear line instead of failing every request later.
//
// It returns nil when VOD accepts the signature (the answer is then
// InvalidVideo.NotFound), a *CredentialError when the provider yields no
// credential or VOD refuses it, and another error when VOD could not be
// asked (network, timeout, VOD unavailable). The RAM policy must allow
// vod:GetVideoInfo, which RefreshVideoUpload needs too.
func (u *Uploader) CheckCredentials(ctx context.Context) error {
	provider, err := u.vod.ResolveCredentials(ctx)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("CheckCredentials: %w", cerr)
		}
		return &CredentialError{Provider: provider, Err: err}
	}
	_, err = u.vod.GetVideoInfo(ctx, probeVideoID)
	var ae *APIError
	switch {
	case err == nil, apierr.HasCode(err, "InvalidVideo.NotFound"):
		return nil
	case errors.As(err, &ae) && refusesCredential(ae):
		return &CredentialError{Provider: provider, Code: ae.Code, Err: err}
	default:
		return fmt.Errorf("CheckCredentials: %w", err)
	}
}

// refusesCredential reports whether VOD turned the request down for its
// AccessKey, signature or the key's permissions.
func refusesCredential(ae *APIError) bool {
	if ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden {
		return true
	}
	for _, p := range []string{"InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature",
		"InvalidSecurityToken", "Forbidden"} {
		if strings.HasPrefix(ae.Code, p) {
			return true
		}
	}
	return false
}
