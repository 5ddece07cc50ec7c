package vodupload

// Batches: many files or URLs through one Uploader, a bounded number at a
// time, each reported as it finishes; what a bulk import is built on.

import (
	"context"
	"errors"
	"iter"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/batch"
	"github.com/vodupload/vodupload/internal/source"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// pullGroups is how many UploadMediaByURL calls a batch waits on at once:
// up to 200 fetches in VOD's hands. Waiting costs a poll now and then, so
// it is not bounded by the uploads' Concurrency.
const pullGroups = 10

// pullLinger is how long a pull waits for others to share its
// UploadMediaByURL call. VOD's fetches take seconds to minutes, so the
// wait costs nothing and saves calls.
const pullLinger = time.Second

// BatchItem is one file of a batch: a source or URL, its kind and its
// metadata.
type BatchItem struct {
	// Key is the caller's name for the item (a manifest's row key),
	// returned with its result; optional.
	Key string
	// Kind is KindVideo (also when empty), KindImage or KindAttachedMedia.
	Kind MediaKind
	// Source is what to upload; set it or URL.
	Source Source
	// URL is an http(s) URL to upload instead of a Source: streamed through
	// this process as URLSource does, or, with Pull, fetched by VOD itself
	// (UploadMediaByURL; videos only), up to 20 items per call. A pull's
	// per-call settings (StorageLocation, AppID, UserData) come from its
	// VideoMeta, and only items that agree on them share a call.
	URL  string
	Pull bool
	// Video, Image and Attached are the metadata; the one of Kind is used.
	Video    VideoMeta
	Image    ImageMeta
	Attached AttachedMediaMeta
	// Options tune this item's upload, over the Uploader's defaults.
	// Pulls take none.
	Options []UploadOption
	// Resume continues what an earlier run started for this item and
	// reported through WithBatchStarted before it was interrupted. A video
	// is uploaded under the same VideoId (or, when VOD says it is complete
	// already, reported done without a byte sent); the registration of an
	// image or attached media file is deleted and the file registered
	// again, since VOD cannot renew their credentials; a pull is waited
	// for instead of submitted again, and a pull with only a MediaID (the
	// video of an earlier fetch that failed) has that video deleted before
	// its URL is submitted again. WithKeepFailedMedia keeps what would be
	// deleted.
	Resume *BatchStarted
}

// BatchStarted says VOD registered an item's media, or accepted its pull,
// before any byte of it is sent. Record it durably and give it back as
// BatchItem.Resume after a crash, so the rerun continues that media
// instead of leaving it empty and registering another.
type BatchStarted struct {
	Key       string
	Index     int // the item's position in the batch, from 0
	Kind      MediaKind
	MediaID   string // VideoId, ImageId or MediaId; empty for a pull
	PullJobID string // the UploadMediaByURL job of a pull
}

// BatchResult is one item's outcome.
type BatchResult struct {
	Key   string
	Index int // the item's position in the batch, from 0
	Kind  MediaKind
	// Result describes the upload. After a failure, MediaID is still set
	// when VOD registered the media and the record was kept (a resumable
	// video, WithKeepFailedMedia, a delete that failed, a failed pull). For
	// a pull, Bytes is the size VOD fetched and Parts is 0.
	Result
	MediaURL string // where an image or attached media file is served
	// Pull is VOD's fetch job of a pulled item; nil for the others.
	Pull *PullJob
	// Err says why the item failed: a *ValidationError before any network
	// call, an *UploadError after VOD registered the media, a *PullError
	// when VOD's fetch failed, or the context's error.
	Err error
}

// BatchOptions tune UploadBatch.
type BatchOptions struct {
	// Concurrency is how many items upload at once. Default (and below
	// 1) DefaultBatchConcurrency. An item counts from its start until the
	// caller's loop body for its result returns, so a slow consumer holds
	// new items back rather than letting results queue up. Pulls do not count: VOD does their work,
	// and up to 10 calls of up to 20 URLs are waited on at once.
	Concurrency int
	// Started, when set, is called each time VOD registers an item's media
	// or accepts its pull, before any byte of it is sent; the item waits
	// until it returns. It is called from several goroutines at once.
	Started func(BatchStarted)
}

// BatchOption sets a BatchOptions field.
type BatchOption func(*BatchOptions)

// WithBatchConcurrency sets how many items upload at once.
func WithBatchConcurrency(n int) BatchOption { return func(o *BatchOptions) { o.Concurrency = n } }

// WithBatchStarted sets the callback told of each registration.
func WithBatchStarted(fn func(BatchStarted)) BatchOption {
	return func(o *BatchOptions) { o.Started = fn }
}

// UploadBatch uploads items, Concurrency at a time, and yields each
// item's result as it finishes. One item's failure never stops the
// others. Cancelling ctx stops every upload promptly: videos with
// checkpoints keep their parts for the next run, and items taken from the
// sequence but not started are reported with the context's error; no
// further item is taken. Breaking out of the loop cancels the rest, and
// the loop ends only once every upload has stopped, so no goroutine is
// left behind.
//
// Items are validated one by one as they are taken (see
// BatchItem.Validate); to reject a whole manifest before the first
// upload, validate every item first.
func (u *Uploader) UploadBatch(ctx context.Context, items iter.Seq[BatchItem], opts ...BatchOption) iter.Seq[BatchResult] {
	var o BatchOptions
	for _, fn := range opts {
		fn(&o)
	}
	if o.Concurrency < 1 {
		o.Concurrency = DefaultBatchConcurrency
	}
	b := &batchRun{u: u, o: o}
	r := batch.Runner[BatchItem, BatchResult]{
		Concurrency: o.Concurrency,
		One:         b.one,
		Skipped: func(it batch.Indexed[BatchItem], err error) BatchResult {
			res := b.result(it)
			res.Err = opError(batchOp, err)
			return res
		},
		GroupKey:  pullGroup,
		GroupSize: maxPullItems,
		Groups:    pullGroups,
		Many:      b.pulls,
		Linger:    pullLinger,
	}
	return r.Run(ctx, items)
}

// batchOp names UploadBatch in its items' errors.
const batchOp = "UploadBatch"

// batchRun is one UploadBatch call.
type batchRun struct {
	u *Uploader
	o BatchOptions
}

func (b *batchRun) result(it batch.Indexed[BatchItem]) BatchResult {
	return BatchResult{Key: it.Item.Key, Index: it.Index, Kind: it.Item.kind()}
}

func (b *batchRun) started(it batch.Indexed[BatchItem], mediaID, jobID string) {
	if b.o.Started != nil {
		b.o.Started(BatchStarted{Key: it.Item.Key, Index: it.Index, Kind: it.Item.kind(), MediaID: mediaID, PullJobID: jobID})
	}
}

// one uploads an item that is not pulled.
func (b *batchRun) one(ctx context.Context, it batch.Indexed[BatchItem]) BatchResult {
	item, res, start := it.Item, b.result(it), time.Now()
	finish := func(err error) BatchResult { // err names UploadBatch already
		res.Err, res.Duration = err, time.Since(start)
		var ue *UploadError
		if errors.As(err, &ue) && !ue.Deleted {
			res.MediaID = ue.MediaID
		}
		return res
	}
	if err := item.validate(b.u.opts.Upload); err != nil {
		return finish(opError(batchOp, err))
	}
	if item.Pull { // a pull that cannot share a call still runs alone
		var out BatchResult
		b.pulls(ctx, []batch.Indexed[BatchItem]{it}, func(r BatchResult) { out = r })
		return out
	}
	src := item.Source
	if src == nil {
		src = URLSource(item.URL)
	}
	u, k, done, err := b.registrar(ctx, item)
	if err != nil || done != nil {
		if done != nil {
			res.Result = *done
			res.Duration = time.Since(start)
			return res
		}
		return finish(opError(batchOp, err))
	}
	k = k.reporting(func(id string) { b.started(it, id, "") })
	reg, r, err := u.upload(ctx, batchOp, item.Options, openSource(src), k)
	if err != nil {
		return finish(err)
	}
	res.Result, res.MediaURL = r, reg.MediaURL
	return res
}

// registrar is the item's kind of upload, continuing what Resume names:
// the Uploader to upload through, its registrar, or the result of a video
// an earlier run completed.
func (b *batchRun) registrar(ctx context.Context, item BatchItem) (*Uploader, registrar, *Result, error) {
	u, resumed := b.u, ""
	if item.Resume != nil {
		resumed = item.Resume.MediaID
	}
	var k registrar
	switch item.kind() {
	case KindImage:
		k = u.image(item.Image)
	case KindAttachedMedia:
		k = u.attachedMedia(item.Attached)
	}
	if k.register != nil {
		if resumed != "" {
			o, err := u.uploadOptions(item.Options)
			if err != nil {
				return nil, registrar{}, nil, err
			}
			k.abandon(ctx, o, batchOp, resumed)
		}
		return u, k, nil, nil
	}
	if resumed == "" {
		return u, u.video(item.Video, nil), nil, nil
	}
	info, err := u.vod.GetVideoInfo(ctx, resumed)
	switch {
	case apierr.HasCode(err, "InvalidVideo.NotFound"):
		// Deleted since: a new video it is.
	case err != nil:
		return nil, registrar{}, nil, err
	case !stillUploading(info.Status):
		// The earlier run finished the upload but not its report.
		return nil, registrar{}, &Result{MediaID: resumed, Bytes: info.Size}, nil
	}
	u = u.adopting(resumed)
	return u, u.video(item.Video, nil), nil, nil
}

// reporting is k telling fn of every registration, before any byte is
// sent; a kind that registers again reports each new one.
func (k registrar) reporting(fn func(mediaID string)) registrar {
	register := k.register
	k.register = func(ctx context.Context, o UploadOptions, p *payload) (*registration, error) {
		reg, err := register(ctx, o, p)
		if reg != nil {
			fn(reg.MediaID)
		}
		return reg, err
	}
	return k
}

// adopting is u with a VOD whose CreateUploadVideo takes over videoID,
// an earlier run's video, instead of creating another; a checkpoint of
// the file, when there is one, names the same video and wins.
func (u *Uploader) adopting(videoID string) *Uploader {
	c := *u // shares the caps: sem and limiter are references
	c.vod = adoptingVOD{vodAPI: u.vod, videoID: videoID}
	return &c
}

type adoptingVOD struct {
	vodAPI
	videoID string
}

func (a adoptingVOD) CreateUploadVideo(ctx context.Context, req vodapi.CreateVideoRequest) (*vodapi.Upload, error) {
	up, err := a.vodAPI.RefreshUploadVideo(ctx, a.videoID)
	if apierr.HasCode(err, "InvalidVideo.NotFound") {
		return a.vodAPI.CreateUploadVideo(ctx, req)
	}
	return up, err
}

func (it BatchItem) kind() MediaKind {
	if it.Kind == "" {
		return KindVideo
	}
	return it.Kind
}

// Validate checks the item as UploadBatch does before any network call:
// its kind, its source or URL, and its metadata against VOD's rules (see
// UploadVideo, UploadImage, UploadAttachedMedia and PullFromURL). It does
// not open the source: a missing file fails when its upload starts. An
// extension that only a URL's answer can tell is checked then too. The
// item's Options are checked over the package's defaults; UploadBatch
// checks them over its Uploader's, so an option valid only beside those (a
// RetryMaxDelay below DefaultRetryBaseDelay) passes there. The error is a
// *ValidationError.
func (it BatchItem) Validate() error { return it.validate(UploadOptions{}) }

// validate is Validate with the item's Options applied over base.
func (it BatchItem) validate(base UploadOptions) error {
	kind := it.kind()
	switch {
	case kind != KindVideo && kind != KindImage && kind != KindAttachedMedia:
		return invalid("Kind", "one of video, image, attached", string(kind))
	case it.Source != nil && it.URL != "":
		return invalid("URL", "empty when Source is set", "")
	case it.Source == nil && it.URL == "":
		return invalid("Source", "a Source or a URL is required", "")
	case it.Pull && it.URL == "":
		return invalid("Pull", "only with a URL", "")
	case it.Pull && kind != KindVideo:
		return invalid("Pull", "only for videos: VOD fetches no other kind", string(kind))
	}
	if it.URL != "" {
		if _, ok := httpURL(it.URL); !ok {
			return invalid("URL", "an http or https URL", source.RedactURL(it.URL))
		}
	}
	if err := checkOptions(base, it.Options); err != nil {
		return err
	}
	if it.Pull {
		_, err := pullRequest([]PullItem{{URL: it.URL, Meta: it.Video}})
		var ve *ValidationError
		if errors.As(err, &ve) {
			ve.Field = strings.TrimPrefix(ve.Field, "items[0].")
		}
		return err
	}
	return it.checkMeta(kind)
}

// checkMeta runs the kind's request builder on the metadata, with the
// file name the source will have; where the name is not known before the
// source opens, a stand-in of an accepted extension keeps the other rules
// checked.
func (it BatchItem) checkMeta(kind MediaKind) error {
	name := it.name()
	var err error
	switch kind {
	case KindVideo:
		m := it.Video
		if m.FileName == "" {
			m.FileName = name
		}
		if m.FileName == "" && it.URL != "" {
			m.FileName = "unknown.mp4"
		}
		_, err = videoRequest(m, 0)
	case KindImage:
		if name == "" && it.Image.ImageExt == "" && it.URL != "" {
			name = "unknown.png"
		}
		_, err = imageRequest(it.Image, name)
	case KindAttachedMedia:
		m := it.Attached
		if name == "" && m.FileName == "" && m.MediaExt == "" && it.URL != "" {
			ext := map[string]string{"watermark": "png", "subtitle": "srt", "material": "zip"}[m.BusinessType]
			m.MediaExt, name = ext, "unknown."+ext
		}
		_, err = attachedRequest(m, name, 0)
	}
	return err
}

// name is the file name the item's source will have, when known before
// it opens.
func (it BatchItem) name() string {
	if it.URL != "" {
		return urlName(it.URL)
	}
	o, ok := it.Source.(opener)
	if !ok {
		return ""
	}
	switch s := o.s.(type) {
	case source.File:
		return filepath.Base(s.Path)
	case source.Reader:
		return s.Name
	case source.URL:
		if s.Name != "" {
			return s.Name
		}
		return urlName(s.URL)
	}
	return ""
}

// urlName is the last element of a URL's path when it has an extension.
func urlName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if n := path.Base(u.Path); strings.Contains(n, ".") {
		return n
	}
	return ""
}

// checkOptions validates per-item options without opening a store.
func checkOptions(base UploadOptions, opts []UploadOption) error {
	o := base
	for _, fn := range opts {
		fn(&o)
	}
	return o.withDefaults().validate()
}
