package vodupload

// What sets one kind of upload apart on the one path every Upload… method
// takes, and how a registration ends when its upload fails: renewed,
// registered again, kept for a resume, or deleted.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vodupload/vodupload/internal/uploadauth"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// registrar is what sets one kind of upload apart on the one path every
// Upload… method takes (validate → open → register → session → transfer
// → result): how the media is registered, how its credential is renewed,
// and how a registration the upload gives up is deleted.
type registrar struct {
	// register validates the metadata against the payload (its name and
	// size) and asks VOD for an address and a credential, or takes over
	// those of a ticket or a checkpoint.
	register func(ctx context.Context, o UploadOptions, p *payload) (*registration, error)
	// renew asks for a fresh credential for the same object; nil when
	// there is no way to.
	renew func(ctx context.Context, r *registration) (*vodapi.Upload, error)
	// discard deletes a record this upload registered: one given up for
	// a new registration (kinds without renew register again when their
	// credential dies early), or one whose upload failed and cannot be
	// resumed. nil when the record is not the upload's to delete (a
	// ticket's belongs to the AppServer that issued it).
	discard func(ctx context.Context, mediaID string) error
}

// registration is media VOD registered for one upload.
type registration struct {
	*vodapi.Upload
	// checkpoint continues a checkpointed upload; nil for the others.
	checkpoint *checkpointed
}

// maxRegistrations bounds how often a registrar without renew registers one
// file when its credentials keep expiring.
const maxRegistrations = 3

// registersAgain decides whether a failed attempt is worth a new
// registration: the registrar has no renew, the credential expired, the payload
// can be read again, the budget is not spent, and the attempt took less
// than the credential's lifetime. When the lifetime is why not, ue says so.
func (k registrar) registersAgain(ue *UploadError, p *payload, attempt int, took, life time.Duration) bool {
	if k.renew != nil || k.discard == nil || !errors.Is(ue.Err, ErrCredentialExpired) || p.At == nil || attempt >= maxRegistrations {
		return false
	}
	if took >= life*9/10 {
		ue.Err = fmt.Errorf("%w: the upload took %s, longer than the credential's lifetime of %s",
			ue.Err, took.Round(time.Second), life)
		return false
	}
	return true
}

// renewal is the credential holder's refresh function for r; nil when the
// registrar cannot renew.
func (k registrar) renewal(r *registration) uploadauth.RefreshFunc {
	if k.renew == nil {
		return nil
	}
	return func(ctx context.Context) (uploadauth.Credentials, error) {
		up, err := k.renew(ctx, r)
		if err != nil {
			return uploadauth.Credentials{}, err
		}
		return stsFrom(up.Auth), nil
	}
}

// abandon deletes a registration the upload gave up for a new one, so the
// library does not fill with empty records. Failing only costs a log line:
// the caller may lack the permission to delete, and the upload goes on.
func (k registrar) abandon(ctx context.Context, o UploadOptions, op, mediaID string) {
	if o.KeepFailedMedia {
		return
	}
	if err := k.delete(ctx, mediaID); err != nil {
		o.Logger.Warn("could not delete the abandoned registration; it stays in the library without a file",
			"op", op, "media_id", mediaID, "error", err)
		return
	}
	o.Logger.Debug("abandoned registration deleted", "op", op, "media_id", mediaID)
}

// dropFailed deletes the record of an upload that failed for good, so
// the library keeps no record without a file, and says so in ue. A
// resumable failure keeps its record for the next run; a failed delete is
// reported in ue, not hidden.
func (k registrar) dropFailed(ctx context.Context, o UploadOptions, ue *UploadError) {
	if ue.Resumable || k.discard == nil || o.KeepFailedMedia || ue.MediaID == "" {
		return
	}
	if err := k.delete(ctx, ue.MediaID); err != nil {
		ue.DeleteErr = public(err)
		o.Logger.Warn("could not delete the media record of the failed upload; it stays in the library without a file",
			"op", ue.Op, "media_id", ue.MediaID, "error", err)
		return
	}
	ue.Deleted = true
	o.Logger.Debug("media record of the failed upload deleted", "op", ue.Op, "media_id", ue.MediaID)
}

// delete runs discard detached from ctx, with its own deadline: a
// cancelled caller is when the cleanup matters most.
func (k registrar) delete(ctx context.Context, mediaID string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	return k.discard(ctx, mediaID)
}

// video is the registrar of UploadVideo and UploadM3U8: CreateUploadVideo,
// renewed with RefreshUploadVideo, deleted with DeleteVideo, continued from a checkpoint when the
// options have one and the payload is a file that takes a multipart
// upload. check, when set, adds a rule of the caller's.
func (u *Uploader) video(m VideoMeta, check func(VideoMeta) error) registrar {
	return registrar{
		register: func(ctx context.Context, o UploadOptions, p *payload) (*registration, error) {
			if m.FileName == "" {
				m.FileName = p.Name
			}
			if check != nil {
				if err := check(m); err != nil {
					return nil, err
				}
			}
			m.UserData = o.accelerated(m.UserData)
			req, err := videoRequest(m, p.Size)
			if err != nil {
				return nil, err
			}
			if o.Checkpoints != nil && p.Path != "" && p.Size > o.MultipartThreshold {
				return u.registerFromCheckpoint(ctx, o, p.Path, req)
			}
			created, err := u.vod.CreateUploadVideo(ctx, req)
			if err != nil {
				return nil, err
			}
			o.Logger.Debug("video created", "video_id", created.MediaID, "key", created.Address.FileName,
				"request_id", created.RequestID)
			return &registration{Upload: created}, nil
		},
		renew: func(ctx context.Context, r *registration) (*vodapi.Upload, error) {
			return u.vod.RefreshUploadVideo(ctx, r.MediaID)
		},
		discard: u.vod.DeleteVideo,
	}
}
