// Package resume is the checkpoint side of a resumable video upload: it
// identifies the file, locks its checkpoint against a second process,
// decides whether the record on disk can be resumed (and says why not),
// renews or creates the video accordingly, and keeps the record up to date
// as parts finish. The engine stays unaware of files on disk.
package resume

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/checkpoint"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// closeTimeout bounds the final checkpoint save, which runs on a context
// detached from the caller's: a cancelled upload is when it matters most.
const closeTimeout = 30 * time.Second

// VOD is what resuming needs from the VOD API.
type VOD interface {
	CreateUploadVideo(ctx context.Context, req vodapi.CreateVideoRequest) (*vodapi.Upload, error)
	RefreshUploadVideo(ctx context.Context, videoID string) (*vodapi.Upload, error)
}

// Video is the checkpoint of one video upload of one file.
type Video struct {
	store  checkpoint.Store
	key    string
	ident  checkpoint.SourceIdentity
	hash   string
	log    *slog.Logger
	unlock func() error

	rec     *checkpoint.Record // the record being tracked
	tracker *checkpoint.Tracker
}

// Open identifies the file at path, takes the checkpoint's lock when the
// store has locks, and loads the record if it can be resumed. Release it.
func Open(ctx context.Context, store checkpoint.Store, path string, req vodapi.CreateVideoRequest,
	log *slog.Logger) (*Video, error) {
	ident, err := checkpoint.IdentifyFile(path)
	if err != nil {
		return nil, err
	}
	v := &Video{store: store, ident: ident, hash: destinationHash(req), log: log}
	v.key = checkpoint.Key(checkpoint.KindVideo, ident, v.hash)
	if l, ok := store.(interface {
		Lock(string) (func() error, error)
	}); ok {
		if v.unlock, err = l.Lock(v.key); err != nil {
			return nil, err
		}
	}
	if v.rec, err = v.load(ctx); err != nil {
		v.Release()
		return nil, err
	}
	return v, nil
}

// Release drops the lock.
func (v *Video) Release() {
	if v.unlock != nil {
		_ = v.unlock()
	}
}

// Media renews the credential of the checkpointed video, or creates a video
// when there is no usable checkpoint, and records it durably before any
// byte is sent, so even a crash right after keeps the VideoId.
func (v *Video) Media(ctx context.Context, vod VOD, req vodapi.CreateVideoRequest) (*vodapi.Upload, error) {
	if v.rec != nil {
		up, err := vod.RefreshUploadVideo(ctx, v.rec.MediaID)
		switch {
		case err == nil && up.Address.Bucket == v.rec.Bucket && up.Address.FileName == v.rec.ObjectKey:
			return up, v.track(ctx, v.rec)
		case err == nil:
			v.log.Warn("checkpointed video now has another upload address; starting a fresh upload", "video_id", v.rec.MediaID)
		case apierr.HasCode(err, "InvalidVideo.NotFound"):
			v.log.Warn("checkpointed video no longer exists in VOD; starting a fresh upload", "video_id", v.rec.MediaID)
		default:
			return nil, err
		}
	}
	up, err := vod.CreateUploadVideo(ctx, req)
	if err != nil {
		return nil, err
	}
	rec := &checkpoint.Record{Kind: checkpoint.KindVideo, MediaID: up.MediaID,
		Endpoint: up.Address.Endpoint, Bucket: up.Address.Bucket, ObjectKey: up.Address.FileName}
	return up, v.track(ctx, rec)
}

// UploadID, PartSize and Parts describe the multipart upload to continue;
// UploadID is empty when there is none.
func (v *Video) UploadID() string { return v.rec.UploadID }

// PartSize is the part size the checkpoint was taken with.
func (v *Video) PartSize() int64 { return v.rec.PartSize }

// Parts are the parts the checkpoint says OSS holds.
func (v *Video) Parts() []ossclient.Part {
	out := make([]ossclient.Part, len(v.rec.Parts))
	for i, p := range v.rec.Parts {
		out[i] = ossclient.Part{Number: p.Number, ETag: p.ETag, Size: p.Size, CRC64: p.CRC64, HasCRC: true}
	}
	return out
}

// Initiated records a new multipart upload (replacing any earlier one of
// this video) before any part of it is sent.
func (v *Video) Initiated(ctx context.Context, uploadID string, partSize int64) error {
	next := *v.rec
	next.UploadID, next.PartSize, next.Parts = uploadID, partSize, nil
	return v.track(ctx, &next)
}

// PartDone records a part OSS acknowledged; it never waits for the disk.
func (v *Video) PartDone(p ossclient.Part) {
	v.tracker.PartDone(checkpoint.Part{Number: p.Number, ETag: p.ETag, Size: p.Size, CRC64: p.CRC64})
}

// Finish saves the final state of a failed upload, or removes the
// checkpoint of a finished one. A non-nil error means the checkpoint may
// not reflect the parts OSS holds.
func (v *Video) Finish(ctx context.Context, succeeded bool) error {
	if err := v.closeTracker(ctx); err != nil {
		return err
	}
	if succeeded {
		if err := v.store.Delete(context.WithoutCancel(ctx), v.key); err != nil {
			v.log.Warn("could not remove the checkpoint of a finished upload", "key", v.key, "error", err)
		}
	}
	return nil
}

// track starts recording rec, durably before it returns.
func (v *Video) track(ctx context.Context, rec *checkpoint.Record) error {
	if err := v.closeTracker(ctx); err != nil {
		return err
	}
	rec.Source, rec.DestinationHash = v.ident, v.hash
	v.rec = rec
	v.tracker = checkpoint.NewTracker(v.store, v.key, rec, checkpoint.TrackerOptions{Logger: v.log})
	if err := v.tracker.Flush(ctx); err != nil {
		return fmt.Errorf("record checkpoint: %w", err)
	}
	return nil
}

func (v *Video) closeTracker(ctx context.Context) error {
	if v.tracker == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	err := v.tracker.Close(ctx)
	v.tracker = nil
	return err
}

// load returns the usable record, or nil. A corrupt, foreign or stale
// record is deleted with a warning saying why; only a store that cannot be
// read is an error, since starting over then could duplicate the video.
func (v *Video) load(ctx context.Context) (*checkpoint.Record, error) {
	data, err := v.store.Load(ctx, v.key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load checkpoint: %w", err)
	}
	rec, err := checkpoint.Decode(data)
	reason := ""
	switch {
	case err != nil:
		reason = "checkpoint is unreadable (" + err.Error() + ")"
	case rec.Kind != checkpoint.KindVideo:
		reason = "checkpoint is for another kind of upload"
	case !rec.Source.Matches(v.ident):
		reason = "the file changed since the checkpoint was written"
	default:
		return rec, nil
	}
	v.log.Warn("ignoring checkpoint; starting a fresh upload", "reason", reason, "key", v.key)
	if err := v.store.Delete(ctx, v.key); err != nil {
		v.log.Warn("could not delete the ignored checkpoint", "key", v.key, "error", err)
	}
	return nil, nil
}

// destinationHash fingerprints the request, so changed metadata makes a
// new video instead of resuming into the old one. The size is left out: a
// changed file keeps its checkpoint key, so the stale record is found,
// reported and replaced rather than orphaned.
func destinationHash(req vodapi.CreateVideoRequest) string {
	req.FileSize = 0
	b, _ := json.Marshal(req) // plain strings and numbers: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
