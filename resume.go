package vodupload

// Checkpointed video uploads: the store users may implement, the kind
// that registers from a checkpoint, and the engine's side of resuming
// (reconciling a checkpoint with the parts OSS holds).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/checkpoint"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/partio"
	"github.com/vodupload/vodupload/internal/resume"
	"github.com/vodupload/vodupload/internal/source"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// CheckpointStore keeps the checkpoint records of resumable uploads, one
// per upload, under keys the library makes from the file's identity and
// the upload's metadata (lower-case letters, digits, '-' and '_'). The
// records are opaque bytes with their own checksum, and never contain
// credentials. Implement it to keep checkpoints in storage a fleet shares
// (a database row, an object store); WithCheckpointDir gives a directory
// store. Implement CheckpointLocker too so two processes cannot resume one
// upload at once, and CheckpointLister so old checkpoints can be listed and
// pruned.
type CheckpointStore interface {
	// Load returns the bytes last saved under key, or an error matching
	// fs.ErrNotExist when there are none.
	Load(ctx context.Context, key string) ([]byte, error)
	// Save replaces the bytes under key atomically: a concurrent or later
	// Load sees the old bytes or the new ones, never a mix.
	Save(ctx context.Context, key string, data []byte) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// CheckpointLocker is implemented by a CheckpointStore that can give one
// upload exclusive use of a key, as the directory store does with
// flock(2). Lock fails with an error matching ErrCheckpointLocked when
// another upload holds key; unlock releases it.
type CheckpointLocker interface {
	Lock(key string) (unlock func() error, err error)
}

// CheckpointLister is implemented by a CheckpointStore that can list the
// keys it holds, as the directory store does. ListCheckpoints and
// PruneCheckpoints need it.
type CheckpointLister interface {
	Keys(ctx context.Context) ([]string, error)
}

// CheckpointInfo describes one checkpoint: the file it uploads, the video
// a resume continues, how far the upload got and when it was last saved.
// Checkpoints hold no credential, and neither does this.
type CheckpointInfo struct {
	Key       string // the store's key
	File      string // absolute path of the file being uploaded
	FileSize  int64
	MediaID   string // the VideoId a resume continues
	Bucket    string
	ObjectKey string
	UploadID  string // the OSS multipart upload; empty before the first part
	PartsDone int    // parts OSS acknowledged, as last saved
	BytesDone int64
	Created   time.Time
	Updated   time.Time // the last save
	// Err says why the record cannot be resumed (damaged, or written by
	// another version); the fields above but Key are then empty. A resume
	// would delete it, and PruneCheckpoints does whatever its age.
	Err error
}

// PrunedCheckpoint is a checkpoint PruneCheckpoints removed.
type PrunedCheckpoint struct {
	CheckpointInfo
	// MediaDeleted is true when the video the checkpoint was uploading was
	// deleted too, because VOD said its upload had not finished.
	MediaDeleted bool
}

// ListCheckpoints describes the checkpoints in the Uploader's checkpoint
// store (WithCheckpointDir, WithCheckpoints), oldest save first. A changed
// file or changed metadata starts a new checkpoint and leaves the old one
// behind; this is how to find them. It makes no network call.
func (u *Uploader) ListCheckpoints(ctx context.Context) ([]CheckpointInfo, error) {
	infos, err := listCheckpoints(ctx, u.opts.Upload.Checkpoints)
	return infos, opError("ListCheckpoints", err)
}

// PruneCheckpoints removes the checkpoints last saved more than olderThan
// ago, and damaged ones whatever their age, and deletes the video each was
// uploading when VOD says that upload never finished (GetVideoInfo status
// Uploading or UploadFail; a video whose upload completed is kept), unless
// the Uploader keeps failed media (WithKeepFailedMedia). A checkpoint an
// upload is resuming right now (locked) is skipped. It returns what it
// removed; errors of single checkpoints are joined, the others still pruned.
func (u *Uploader) PruneCheckpoints(ctx context.Context, olderThan time.Duration) ([]PrunedCheckpoint, error) {
	const op = "PruneCheckpoints"
	if olderThan < 0 {
		return nil, opError(op, invalid("olderThan", "not negative", olderThan.String()))
	}
	store := u.opts.Upload.Checkpoints
	infos, err := listCheckpoints(ctx, store)
	if err != nil {
		return nil, opError(op, err)
	}
	cutoff := time.Now().Add(-olderThan)
	var pruned []PrunedCheckpoint
	var errs []error
	for _, info := range infos {
		if info.Err == nil && info.Updated.After(cutoff) {
			continue
		}
		p, err := u.prune(ctx, store, info)
		switch {
		case errors.Is(public(err), ErrCheckpointLocked): // the directory store's lock or a CheckpointLocker's
		case err != nil:
			errs = append(errs, err)
		default:
			pruned = append(pruned, p)
		}
	}
	return pruned, opError(op, errors.Join(errs...))
}

// prune removes one checkpoint, and the video it was uploading when that
// upload never finished, holding its lock so no upload resumes it
// meanwhile.
func (u *Uploader) prune(ctx context.Context, store CheckpointStore, info CheckpointInfo) (PrunedCheckpoint, error) {
	p := PrunedCheckpoint{CheckpointInfo: info}
	if l, ok := store.(CheckpointLocker); ok {
		unlock, err := l.Lock(info.Key)
		if err != nil {
			return p, err
		}
		defer func() { _ = unlock() }()
	}
	if info.MediaID != "" && !u.opts.Upload.KeepFailedMedia {
		deleted, err := u.deleteUnfinishedVideo(ctx, info.MediaID)
		if err != nil {
			return p, fmt.Errorf("checkpoint %s: video %s: %w", info.Key, info.MediaID, err)
		}
		p.MediaDeleted = deleted
	}
	if err := store.Delete(ctx, info.Key); err != nil {
		return p, fmt.Errorf("checkpoint %s: %w", info.Key, err)
	}
	return p, nil
}

// deleteUnfinishedVideo deletes a video whose upload never finished. A
// finished one is kept: its checkpoint may outlive it when removing it
// failed after the upload completed.
func (u *Uploader) deleteUnfinishedVideo(ctx context.Context, videoID string) (bool, error) {
	info, err := u.vod.GetVideoInfo(ctx, videoID)
	switch {
	case apierr.HasCode(err, "InvalidVideo.NotFound"):
		return false, nil
	case err != nil:
		return false, err
	case !stillUploading(info.Status):
		return false, nil
	}
	return true, u.vod.DeleteVideo(ctx, videoID)
}

// listCheckpoints reads every checkpoint of store, oldest save first.
func listCheckpoints(ctx context.Context, store CheckpointStore) ([]CheckpointInfo, error) {
	if store == nil {
		return nil, invalid("Checkpoints", "a checkpoint store (WithCheckpointDir or WithCheckpoints)", "")
	}
	lister, ok := store.(CheckpointLister)
	if !ok {
		return nil, invalid("Checkpoints", "a store that implements CheckpointLister", "")
	}
	keys, err := lister.Keys(ctx)
	if err != nil {
		return nil, err
	}
	infos := make([]CheckpointInfo, 0, len(keys))
	for _, key := range keys {
		data, err := store.Load(ctx, key)
		if errors.Is(err, fs.ErrNotExist) {
			continue // finished or pruned since it was listed
		}
		if err != nil {
			return nil, err
		}
		infos = append(infos, checkpointInfo(key, data))
	}
	slices.SortStableFunc(infos, func(a, b CheckpointInfo) int { return a.Updated.Compare(b.Updated) })
	return infos, nil
}

func checkpointInfo(key string, data []byte) CheckpointInfo {
	rec, err := checkpoint.Decode(data)
	if err != nil {
		return CheckpointInfo{Key: key, Err: err}
	}
	info := CheckpointInfo{Key: key, File: rec.Source.Path, FileSize: rec.Source.Size, MediaID: rec.MediaID,
		Bucket: rec.Bucket, ObjectKey: rec.ObjectKey, UploadID: rec.UploadID, PartsDone: len(rec.Parts),
		Created: rec.Created, Updated: rec.Updated}
	for _, p := range rec.Parts {
		info.BytesDone += p.Size
	}
	return info
}

// checkpointed is the checkpoint a registration continues.
type checkpointed struct {
	cp *resume.Video
}

// registerFromCheckpoint is the register step of a checkpointed video: it
// takes over the video the checkpoint of the same file and metadata
// recorded, or creates one and records it before a byte is sent. The
// checkpoint stays locked until finish.
func (u *Uploader) registerFromCheckpoint(ctx context.Context, o UploadOptions, path string,
	req vodapi.CreateVideoRequest) (*registration, error) {
	cp, err := resume.Open(ctx, o.Checkpoints, path, req, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("checkpoint of %s: %w", path, err)
	}
	created, err := cp.Media(ctx, u.vod, req)
	if err != nil {
		cp.Release()
		if created != nil {
			return &registration{Upload: created}, err
		}
		return nil, err
	}
	return &registration{Upload: created, checkpoint: &checkpointed{cp: cp}}, nil
}

// state is what the engine needs to continue the checkpoint.
func (c *checkpointed) state(ctx context.Context) *resumeState {
	return &resumeState{uploadID: c.cp.UploadID(), partSize: c.cp.PartSize(), recorded: c.cp.Parts(),
		initiated: func(id string, partSize int64) error { return c.cp.Initiated(ctx, id, partSize) },
		partDone:  c.cp.PartDone,
	}
}

// finish saves the checkpoint of a failed upload, marking ue resumable
// when it was kept, or deletes that of a finished one (ue nil); then it
// releases the lock.
func (c *checkpointed) finish(ctx context.Context, ue *UploadError) {
	defer c.cp.Release()
	saveErr := c.cp.Finish(ctx, ue == nil)
	if ue == nil {
		return
	}
	ue.Resumable = saveErr == nil
	if saveErr != nil {
		ue.Err = errors.Join(ue.Err, fmt.Errorf("save checkpoint: %w", public(saveErr)))
	}
}

// resumeState carries a checkpointed upload into the engine and reports
// progress back to the checkpoint.
type resumeState struct {
	uploadID string           // from the checkpoint; "" to initiate
	partSize int64            // the part size the checkpoint was taken with
	recorded []ossclient.Part // parts the checkpoint says OSS holds
	// initiated is called once a new multipart upload exists, before any
	// part is sent, so a crash right after it still resumes.
	initiated func(uploadID string, partSize int64) error
	// partDone is called for every part OSS acknowledges.
	partDone func(ossclient.Part)
}

// resumeOrInitiate continues a checkpointed multipart upload when OSS still
// has it, and starts a new one otherwise. It returns the parts already done.
func (t *transfer) resumeOrInitiate(ctx context.Context, src *source.Opened, partSize int64, res *transferResult) ([]ossclient.Part, error) {
	if t.resume != nil && t.resume.uploadID != "" {
		done, err := t.reconcile(ctx, src, t.resume.uploadID, partSize)
		switch {
		case err == nil:
			res.UploadID, res.Resumed = t.resume.uploadID, len(done)
			for _, p := range done {
				res.ResumedBytes += p.Size
			}
			t.log.Info("resuming multipart upload", "key", t.key, "upload_id", res.UploadID,
				"parts_done", len(done), "parts_total", partio.Count(src.Size, partSize))
			return done, nil
		case apierr.HasCode(err, "NoSuchUpload"):
			t.log.Warn("the checkpointed multipart upload no longer exists (VOD removes unfinished uploads after 7 days); starting a new one for the same media",
				"key", t.key, "upload_id", t.resume.uploadID)
		default:
			return nil, err
		}
	}
	return nil, t.initiate(ctx, partSize, res)
}

// reconcile decides which parts of a checkpointed upload are really done.
// OSS's ListParts wins over the checkpoint: a recorded part OSS lacks is
// sent again. A part OSS holds but the checkpoint had not saved yet (the
// process died between the two) is kept if its ETag, the MD5 of its bytes,
// matches the file here: a local read instead of a re-upload.
func (t *transfer) reconcile(ctx context.Context, src *source.Opened, uploadID string, partSize int64) ([]ossclient.Part, error) {
	var listed []ossclient.Part
	err := t.do(ctx, "ListParts", t.key, func(ctx context.Context) error {
		var err error
		listed, err = t.api.ListParts(ctx, t.key, uploadID)
		return err
	})
	if err != nil {
		return nil, err
	}
	recorded := make(map[int]ossclient.Part, len(t.resume.recorded))
	for _, p := range t.resume.recorded {
		recorded[p.Number] = p
	}
	count := partio.Count(src.Size, partSize)
	var done []ossclient.Part
	for _, l := range listed {
		if l.Number < 1 || l.Number > count {
			continue
		}
		off := int64(l.Number-1) * partSize
		size := min(partSize, src.Size-off)
		if l.Size != size {
			continue
		}
		if r, ok := recorded[l.Number]; ok && sameETag(r.ETag, l.ETag) && r.Size == size {
			done = append(done, r)
			continue
		}
		sum, crc, err := partio.Digest(io.NewSectionReader(src.At, off, size))
		if err != nil {
			return nil, fmt.Errorf("verify part %d of %s: %w", l.Number, t.key, err)
		}
		if !sameETag(sum, l.ETag) {
			t.log.Warn("part on OSS differs from the file; sending it again", "key", t.key, "part", l.Number)
			continue
		}
		p := ossclient.Part{Number: l.Number, ETag: l.ETag, Size: size, CRC64: crc, HasCRC: true}
		done = append(done, p)
		if t.resume.partDone != nil {
			t.resume.partDone(p)
		}
	}
	return done, nil
}

// sameETag compares ETags the way OSS writes them: quoted, upper-case hex.
func sameETag(a, b string) bool {
	return strings.EqualFold(strings.Trim(a, `"`), strings.Trim(b, `"`))
}
