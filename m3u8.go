package vodupload

import (
	"bytes"
	"context"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/hls"
	"github.com/vodupload/vodupload/internal/meta"
	"github.com/vodupload/vodupload/internal/source"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// M3U8 names an HLS media playlist to upload.
type M3U8 struct {
	// Index is the .m3u8 index: a local path or an http(s) URL. Segments,
	// init segments (EXT-X-MAP) and relative key files are found next to
	// it (or at their absolute URLs), checked to exist before VOD is
	// called, and uploaded next to the stored index.
	Index string
	// Segments, when set, are uploaded instead of the files the index
	// names (local paths or URLs, stored under their base names), and the
	// index is stored unchanged, as the official SDKs allow.
	Segments []string
}

// UploadM3U8 uploads an HLS video: the segments go under the video's
// ObjectPrefix (or the index's directory), concurrently, and the index
// last, rewritten where needed so every reference resolves next to it.
// An index that cannot be uploaded as it is fails before VOD is called
// with ErrInvalidPlaylist; a master playlist with ErrMasterPlaylist too:
// upload each variant as its own video. The result's Parts counts the
// objects written and CRC64 is the index's.
func (u *Uploader) UploadM3U8(ctx context.Context, src M3U8, m VideoMeta, opts ...UploadOption) (*VideoResult, error) {
	open := func(ctx context.Context) (*payload, error) {
		plan, err := hls.Build(ctx, u.http, src.Index, src.Segments)
		if err != nil {
			return nil, err
		}
		return &payload{Opened: &source.Opened{Name: plan.IndexName, Size: plan.Size}, plan: plan}, nil
	}
	reg, res, err := u.upload(ctx, "UploadM3U8", opts, open, u.video(m, func(m VideoMeta) error {
		if meta.Ext(m.FileName) != "m3u8" {
			return invalid("FileName", "must end in .m3u8 for an HLS upload", m.FileName)
		}
		return nil
	}))
	if err != nil {
		return nil, err
	}
	return &VideoResult{VideoID: reg.MediaID, Result: res}, nil
}

// sendPlan writes the segments, Concurrency at a time, then the index,
// all next to addr's object. Segments are small, so each is one PutObject
// (or a sequential multipart upload for a large one).
func (s *session) sendPlan(ctx context.Context, plan *hls.Plan, addr vodapi.UploadAddress) (transferResult, error) {
	var mu sync.Mutex
	var total transferResult
	send := func(ctx context.Context, key string, src source.Source) error {
		opened, err := src.Open(ctx)
		if err != nil {
			return err
		}
		defer opened.Close()
		t := s.transfer(key)
		t.concurrency = 1
		r, err := t.run(ctx, opened)
		mu.Lock()
		total.Bytes += r.Bytes
		total.Parts++
		mu.Unlock()
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Concurrency)
	prefix := addr.Dir()
	for _, seg := range plan.Segments {
		if gctx.Err() != nil {
			break // a segment failed: start no more
		}
		g.Go(func() error { return send(gctx, prefix+seg.Name, seg.Source) })
	}
	if err := g.Wait(); err != nil {
		return total, err
	}
	err := send(ctx, addr.FileName,
		source.Reader{R: bytes.NewReader(plan.Index), Size: int64(len(plan.Index)), Name: plan.IndexName})
	total.CRC64 = crc64.Checksum(plan.Index)
	return total, err
}
