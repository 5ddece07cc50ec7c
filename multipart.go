package vodupload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/partio"
	"github.com/vodupload/vodupload/internal/progress"
	"github.com/vodupload/vodupload/internal/retry"
	"github.com/vodupload/vodupload/internal/source"
	"github.com/vodupload/vodupload/internal/uploadauth"
	"golang.org/x/time/rate"
)

// maxRefreshesPerRequest bounds how often in a row one request may see a
// credential renewed for it rejected before the upload gives up: a
// credential that OSS refuses right after VOD issued it will not get
// better. Each renewal is one VOD call, so the bound is generous; a
// rejection of a credential someone else already replaced, or one that
// follows a backoff, says nothing about the fresh one and is not counted.
const maxRefreshesPerRequest = 5

// abortTimeout bounds the cleanup after a failed upload. The abort runs on a
// context detached from the caller's, which may already be cancelled.
const abortTimeout = 30 * time.Second

// transfer moves one opened source into one OSS object. Data flows one way:
// source → part plan → worker pool → OSS; the credential holder is shared
// by the workers.
type transfer struct {
	api   ossclient.API
	key   string
	creds *uploadauth.Holder
	opts  Options
	meter *progress.Meter
	sem   chan struct{} // the Uploader's cap on parts in flight; nil: none
	// limiter is the Uploader's bandwidth cap; nil: none.
	limiter *rate.Limiter
	log     *slog.Logger
	// resume is set for checkpointed uploads: they reconcile with OSS
	// instead of starting over, and keep their parts on failure.
	resume *resumeState
	// spare is a stream's head buffer, handed to the part pool.
	spare []byte

	retries atomic.Int64
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

// transferResult is what a transfer achieved, also on failure.
type transferResult struct {
	Bytes    int64
	CRC64    uint64
	Parts    int
	UploadID string
	Resumed  int // parts taken over from an earlier run
	Aborted  bool
	AbortErr error
}

// part is one unit of work: a range of a random-access source, or a buffer
// filled from a stream.
type part struct {
	number int
	offset int64
	size   int64
	buf    []byte // stream parts only
}

func (p part) reader(at io.ReaderAt) io.Reader {
	if p.buf != nil {
		return bytes.NewReader(p.buf[:p.size])
	}
	return io.NewSectionReader(at, p.offset, p.size)
}

// attempt prepares one attempt to send p: a context the stall watchdog
// cancels when the body stops moving, and the request body, which computes
// the CRC, counts progress and waits for the Uploader's bandwidth cap.
// Call stop when the attempt ends; stalled turns the attempt's error into
// a retryable one when the watchdog fired.
func (t *transfer) attempt(ctx context.Context, at io.ReaderAt, p part) (context.Context, *partio.Body, func(), func(error) error) {
	ctx, cancel := context.WithCancelCause(ctx)
	g := &stallGuard{left: p.size, d: t.opts.StallTimeout}
	g.timer = time.AfterFunc(g.d, func() { cancel(stallError{g.d}) })
	r := &guardedReader{r: source.LimitReader(ctx, p.reader(at), t.limiter), g: g}
	stop := func() {
		g.timer.Stop()
		cancel(nil)
	}
	stalled := func(err error) error {
		var se stallError
		if errors.As(context.Cause(ctx), &se) {
			return se // retryable on its own; the SDK's "context canceled" would not be
		}
		return err
	}
	return ctx, partio.NewBody(r, p.size, t.meter), stop, stalled
}

// stallError is an attempt whose body did not move for StallTimeout: the
// peer stopped reading. It is a timeout, so the attempt is retried.
type stallError struct{ d time.Duration }

func (e stallError) Error() string {
	return fmt.Sprintf("upload stalled: no body progress for %s", e.d)
}
func (e stallError) Timeout() bool   { return true }
func (e stallError) Temporary() bool { return true }

// stallGuard restarts its timer whenever body bytes move, and stops it once
// the whole body was taken: from then on the transport's response timeout
// applies, since the bytes may still be draining from socket buffers.
type stallGuard struct {
	timer *time.Timer
	d     time.Duration
	left  int64
}

type guardedReader struct {
	r io.Reader
	g *stallGuard
}

func (r *guardedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.g.left -= int64(n)
		if r.g.left <= 0 {
			r.g.timer.Stop()
		} else {
			r.g.timer.Reset(r.g.d)
		}
	}
	return n, err
}

// run uploads src: one PutObject up to the threshold, multipart above it.
func (t *transfer) run(ctx context.Context, src *source.Opened) (transferResult, error) {
	switch {
	case src.Size >= 0 && src.Size <= t.opts.MultipartThreshold:
		return t.putSmall(ctx, src)
	case src.At != nil:
		partSize, err := partio.PartSize(src.Size, t.opts.PartSize)
		if err != nil {
			return transferResult{}, fmt.Errorf("%w: %w", ErrTooLarge, err)
		}
		if t.resume != nil && t.resume.partSize > 0 {
			partSize = t.resume.partSize
		}
		return t.multipart(ctx, src, partSize)
	default:
		return t.stream(ctx, src)
	}
}

// putSmall sends a source of known size in one request. A stream is read
// into memory first (it is at most MultipartThreshold) so retries can
// resend it.
func (t *transfer) putSmall(ctx context.Context, src *source.Opened) (transferResult, error) {
	p := part{number: 1, size: src.Size}
	if src.At == nil {
		buf := make([]byte, src.Size)
		if _, err := io.ReadFull(src.Stream, buf); err != nil {
			return transferResult{}, fmt.Errorf("read %d bytes from the stream: %w", src.Size, err)
		}
		// A stream longer than declared would otherwise be cut silently.
		if n, _ := src.Stream.Read(make([]byte, 1)); n > 0 {
			return transferResult{}, fmt.Errorf("%w: the stream has more than the %d bytes declared", ErrTooLarge, src.Size)
		}
		p.buf = buf
	}
	return t.putPart(ctx, src.At, p)
}

// putPart sends p as the whole object and checks OSS's CRC64 of it.
func (t *transfer) putPart(ctx context.Context, at io.ReaderAt, p part) (transferResult, error) {
	var crc uint64
	err := t.do(ctx, "PutObject", func(ctx context.Context) error {
		ctx, body, stop, stalled := t.attempt(ctx, at, p)
		defer stop()
		res, err := t.api.PutObject(ctx, t.key, body, p.size)
		err = stalled(err)
		if err == nil {
			err = checkCRC("PutObject", t.key, res.HasCRC, res.CRC64, body.CRC64())
		}
		if err != nil {
			t.meter.Add(-body.BytesRead())
			return err
		}
		t.meter.Ack(body.BytesRead())
		crc = body.CRC64()
		return nil
	})
	if err != nil {
		return transferResult{}, err
	}
	return transferResult{Bytes: p.size, CRC64: crc, Parts: 1}, nil
}

// stream uploads a sequential source. The first part is read before
// deciding: a stream that ends within the threshold becomes one PutObject.
func (t *transfer) stream(ctx context.Context, src *source.Opened) (transferResult, error) {
	partSize := t.opts.PartSize
	if src.Size > 0 {
		var err error
		if partSize, err = partio.PartSize(src.Size, partSize); err != nil {
			return transferResult{}, fmt.Errorf("%w: %w", ErrTooLarge, err)
		}
	}
	// Read a small prefix first, so a small stream never allocates a full
	// part buffer.
	head, err := partio.ReadHead(src.Stream, min(partSize, t.opts.MultipartThreshold)+1)
	if err != nil {
		return transferResult{}, fmt.Errorf("read stream: %w", err)
	}
	if int64(len(head)) <= t.opts.MultipartThreshold && int64(len(head)) <= partSize {
		if len(head) == 0 {
			return transferResult{}, fmt.Errorf("read stream: %w", ErrEmptySource)
		}
		t.meter.SetTotal(int64(len(head)))
		return t.putPart(ctx, nil, part{number: 1, size: int64(len(head)), buf: head})
	}
	rest := io.MultiReader(bytes.NewReader(head), src.Stream)
	// The head's array becomes one of the part buffers once its bytes are
	// copied into the first part, instead of a (Concurrency+2)th buffer.
	t.spare = head
	return t.multipart(ctx, &source.Opened{Size: src.Size, Stream: rest}, partSize)
}

// multipart runs Initiate → parts → Complete. Without a checkpoint a
// failure aborts the upload; with one, the parts stay for the next run.
func (t *transfer) multipart(ctx context.Context, src *source.Opened, partSize int64) (transferResult, error) {
	var res transferResult
	done, err := t.resumeOrInitiate(ctx, src, partSize, &res)
	if err != nil {
		return res, err
	}
	parts, err := t.uploadParts(ctx, src, res.UploadID, partSize, done)
	for _, p := range parts {
		res.Bytes += p.Size
	}
	res.Parts = len(parts)
	if err == nil {
		res.CRC64, err = t.complete(ctx, res.UploadID, parts, res.Bytes)
	}
	if err != nil && t.resume == nil {
		res.AbortErr = t.abort(ctx, res.UploadID)
		res.Aborted = res.AbortErr == nil
	}
	return res, err
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
	err := t.do(ctx, "InitiateMultipartUpload", func(ctx context.Context) error {
		id, err := t.api.InitiateMultipart(ctx, t.key)
		res.UploadID = id
		return err
	})
	if err != nil {
		return nil, err
	}
	t.log.Debug("multipart upload started", "key", t.key, "upload_id", res.UploadID, "part_size", partSize)
	if t.resume != nil && t.resume.initiated != nil {
		if err := t.resume.initiated(res.UploadID, partSize); err != nil {
			return nil, fmt.Errorf("record checkpoint: %w", err)
		}
	}
	return nil, nil
}

// uploadParts feeds the worker pool and collects acknowledged parts. The
// first failure cancels the rest; every worker has returned when it does.
func (t *transfer) uploadParts(ctx context.Context, src *source.Opened, uploadID string, partSize int64, done []ossclient.Part) ([]ossclient.Part, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	jobs := make(chan part)
	var pool *partio.Pool
	if src.At == nil {
		// Concurrency buffers in workers' hands plus one being filled.
		pool = partio.NewPool(t.opts.Concurrency+1, int(partSize))
		pool.Seed(t.spare)
		t.spare = nil
	}
	skip := make(map[int]bool, len(done))
	for _, p := range done {
		skip[p.Number] = true
		t.meter.Resumed(p.Size)
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for range t.opts.Concurrency {
		wg.Go(func() {
			for p := range jobs {
				up, err := t.uploadPart(ctx, src.At, uploadID, p)
				if pool != nil {
					pool.Put(p.buf)
				}
				if err != nil {
					cancel(err)
					continue
				}
				if t.resume != nil && t.resume.partDone != nil {
					t.resume.partDone(up)
				}
				mu.Lock()
				done = append(done, up)
				mu.Unlock()
			}
		})
	}

	var produceErr error
	if src.At != nil {
		produceErr = feedRanges(ctx, jobs, src.Size, partSize, skip)
	} else {
		produceErr = feedStream(ctx, jobs, pool, src, partSize)
	}
	close(jobs)
	wg.Wait()

	if produceErr != nil {
		cancel(produceErr)
	}
	if err := context.Cause(ctx); err != nil {
		return done, err
	}
	slices.SortFunc(done, func(a, b ossclient.Part) int { return a.Number - b.Number })
	return done, nil
}

// feedRanges queues every part of a random-access source not in skip.
func feedRanges(ctx context.Context, jobs chan<- part, size, partSize int64, skip map[int]bool) error {
	for n := 1; n <= partio.Count(size, partSize); n++ {
		if skip[n] {
			continue
		}
		off := int64(n-1) * partSize
		p := part{number: n, offset: off, size: min(partSize, size-off)}
		select {
		case jobs <- p:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// feedStream fills pooled buffers from a stream and queues them. It fails
// rather than truncate: a stream with data beyond part 10,000 is an error,
// and a stream of declared size must deliver exactly that many bytes.
func feedStream(ctx context.Context, jobs chan<- part, pool *partio.Pool, src *source.Opened, partSize int64) error {
	var total int64
	for n := 1; ; n++ {
		buf := pool.Get(ctx.Done())
		if buf == nil {
			return nil
		}
		k, err := io.ReadFull(src.Stream, buf)
		if k > 0 && n > partio.MaxParts {
			pool.Put(buf)
			return fmt.Errorf("%w: the stream is longer than %d parts of %d bytes (%d bytes read); "+
				"upload it with WithPartSize(%d) or more, or give ReaderSource its size",
				ErrTooLarge, partio.MaxParts, partSize, total+int64(k), suggestPartSize(partSize))
		}
		total += int64(k)
		if k > 0 {
			select {
			case jobs <- part{number: n, offset: total - int64(k), size: int64(k), buf: buf}:
			case <-ctx.Done():
				pool.Put(buf)
				return nil
			}
		} else {
			pool.Put(buf)
		}
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			if src.Size >= 0 && total != src.Size {
				return fmt.Errorf("stream ended after %d bytes, %d were declared: %w", total, src.Size, io.ErrUnexpectedEOF)
			}
			return nil
		case err != nil:
			return fmt.Errorf("read stream at byte %d: %w", total, err)
		}
	}
}

// suggestPartSize is the part size to name when a stream outgrew
// MaxParts parts: four times as large (a stream that overran once is
// likely longer still), within OSS's limit.
func suggestPartSize(partSize int64) int64 {
	return min(partSize*4, partio.MaxPartSize)
}

// uploadPart sends one part, retrying, and checks its CRC64.
func (t *transfer) uploadPart(ctx context.Context, at io.ReaderAt, uploadID string, p part) (ossclient.Part, error) {
	var up ossclient.Part
	err := t.do(ctx, "UploadPart", func(ctx context.Context) error {
		ctx, body, stop, stalled := t.attempt(ctx, at, p)
		defer stop()
		got, err := t.api.UploadPart(ctx, t.key, uploadID, p.number, body, p.size)
		err = stalled(err)
		if err == nil {
			err = checkCRC(fmt.Sprintf("UploadPart %d", p.number), t.key, got.HasCRC, got.CRC64, body.CRC64())
		}
		if err != nil {
			t.meter.Add(-body.BytesRead())
			return err
		}
		t.meter.Ack(body.BytesRead())
		got.CRC64, got.Size = body.CRC64(), p.size
		up = got
		return nil
	})
	return up, err
}

// complete assembles the parts and checks the object's CRC64 against the
// combination of the parts' CRCs.
func (t *transfer) complete(ctx context.Context, uploadID string, parts []ossclient.Part, size int64) (uint64, error) {
	var want uint64
	for _, p := range parts {
		want = crc64.Combine(want, p.CRC64, p.Size)
	}
	retried := false
	err := t.do(ctx, "CompleteMultipartUpload", func(ctx context.Context) error {
		res, err := t.api.CompleteMultipart(ctx, t.key, uploadID, parts)
		if err != nil && retried && apierr.HasCode(err, "NoSuchUpload") {
			// An earlier attempt may have completed the upload before its
			// answer was lost: believe it only if the object is ours.
			return t.verifyObject(ctx, size, want)
		}
		retried = true
		if err != nil {
			return err
		}
		return checkCRC("CompleteMultipartUpload", t.key, res.HasCRC, res.CRC64, want)
	})
	return want, err
}

func (t *transfer) verifyObject(ctx context.Context, size int64, crc uint64) error {
	gotSize, res, err := t.api.HeadObject(ctx, t.key)
	if err != nil {
		return err
	}
	if gotSize != size || !res.HasCRC || res.CRC64 != crc {
		return fmt.Errorf("object %s after a lost CompleteMultipartUpload answer has %d bytes (want %d): %w",
			t.key, gotSize, size, ErrChecksumMismatch)
	}
	return nil
}

// abort removes the upload's parts, on a context detached from the
// caller's (which may be what was cancelled) with its own deadline.
func (t *transfer) abort(ctx context.Context, uploadID string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	err := t.do(ctx, "AbortMultipartUpload", func(ctx context.Context) error {
		return t.api.AbortMultipart(ctx, t.key, uploadID)
	})
	if err != nil {
		t.log.Warn("abort multipart upload failed", "key", t.key, "upload_id", uploadID, "error", err)
		return err
	}
	t.log.Debug("multipart upload aborted", "key", t.key, "upload_id", uploadID)
	return nil
}

// do runs one OSS request with the engine's policy: transient errors are
// retried with full-jitter backoff up to MaxAttempts; an expired credential
// is renewed (once for all workers) and the request repeated; anything
// else fails at once. A slot of the Uploader-wide cap is held only while a
// request is on the wire, not while backing off.
func (t *transfer) do(ctx context.Context, op string, fn func(context.Context) error) error {
	policy := retry.Policy{MaxAttempts: t.opts.MaxAttempts, BaseDelay: t.opts.RetryBaseDelay, MaxDelay: t.opts.RetryMaxDelay}
	refreshes := 0
	for attempt := 1; ; {
		if _, _, err := t.creds.Get(ctx); err != nil {
			return fmt.Errorf("%s %s: %w", op, t.key, err)
		}
		if err := t.acquire(ctx); err != nil {
			return err
		}
		ticket := t.creds.Ticket()
		err := fn(ctx)
		t.release()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		class := retry.Classify(err)
		if errors.Is(err, ErrChecksumMismatch) {
			class = retry.Transient // corrupted on the way: send again
		}
		switch class {
		case retry.Expired:
			if t.creds.Ticket() != ticket {
				continue // another worker already replaced it: retry with the new one
			}
			refreshes++
			if refreshes > maxRefreshesPerRequest {
				return fmt.Errorf("%s %s: %w: %w", op, t.key, ErrCredentialRejected, err)
			}
			t.log.Debug("upload credential rejected; refreshing", "op", op, "key", t.key, "error", err)
			if _, _, rerr := t.creds.Expired(ctx, ticket); rerr != nil {
				// The refresh failure comes first: errors.As must find VOD's
				// reason (InvalidVideo.NotFound, ...) before OSS's expiry.
				return fmt.Errorf("%s %s: refreshing the credential failed: %w (after: %w)", op, t.key, rerr, err)
			}
		case retry.Transient:
			if attempt >= policy.MaxAttempts {
				return fmt.Errorf("%s %s: giving up after %d attempts: %w", op, t.key, attempt, err)
			}
			t.retries.Add(1)
			t.log.Debug("retrying", "op", op, "key", t.key, "attempt", attempt, "error", err)
			if err := retry.Sleep(ctx, policy.Backoff(attempt)); err != nil {
				return context.Cause(ctx)
			}
			attempt++
			refreshes = 0
		default:
			return fmt.Errorf("%s %s: %w", op, t.key, err)
		}
	}
}

func (t *transfer) acquire(ctx context.Context) error {
	if t.sem == nil {
		return nil
	}
	select {
	case t.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (t *transfer) release() {
	if t.sem != nil {
		<-t.sem
	}
}

func checkCRC(op, key string, has bool, server, client uint64) error {
	if !has || server == client {
		return nil
	}
	return fmt.Errorf("%s %s: OSS computed %d, we sent %d: %w", op, key, server, client, ErrChecksumMismatch)
}

// reconcile decides which parts of a checkpointed upload are really done.
// OSS's ListParts wins over the checkpoint: a recorded part OSS lacks is
// sent again. A part OSS holds but the checkpoint had not saved yet (the
// process died between the two) is kept if its ETag, the MD5 of its bytes,
// matches the file here: a local read instead of a re-upload.
func (t *transfer) reconcile(ctx context.Context, src *source.Opened, uploadID string, partSize int64) ([]ossclient.Part, error) {
	var listed []ossclient.Part
	err := t.do(ctx, "ListParts", func(ctx context.Context) error {
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

// group runs functions with at most limit at once; the first error cancels
// the rest and is what Wait returns. (errgroup.SetLimit, without adding
// golang.org/x/sync for twenty lines.)
type group struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	sem    chan struct{}
	wg     sync.WaitGroup
}

func errgroupWithLimit(ctx context.Context, limit int) (*group, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	return &group{ctx: ctx, cancel: cancel, sem: make(chan struct{}, max(limit, 1))}, ctx
}

// Go runs fn once a slot is free; it returns at once if the group failed.
func (g *group) Go(fn func() error) {
	select {
	case g.sem <- struct{}{}:
	case <-g.ctx.Done():
		return
	}
	g.wg.Go(func() {
		defer func() { <-g.sem }()
		if err := fn(); err != nil {
			g.cancel(err)
		}
	})
}

// Wait waits for every function and returns the first failure.
func (g *group) Wait() error {
	g.wg.Wait()
	err := context.Cause(g.ctx) // a function's failure, or the caller's cancellation
	g.cancel(nil)
	return err
}
