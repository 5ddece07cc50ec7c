package vodupload

// Checkpointed video uploads: the store users may implement, the kind
// that registers from a checkpoint, and the engine's side of resuming
// (reconciling a checkpoint with the parts OSS holds).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vodupload/vodupload/internal/apierr"
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
// upload at once.
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
