package vodupload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/partio"
	"github.com/vodupload/vodupload/internal/source"
)

// abortTimeout bounds the cleanup after a failed upload. The abort runs on a
// context detached from the caller's, which may already be cancelled.
const abortTimeout = 30 * time.Second

// transfer moves one opened source into one OSS object. Data flows one way:
// source → part plan → worker pool → OSS; the session's credential holder
// is shared by the workers.
type transfer struct {
	*session
	key         string
	concurrency int // parts in flight
	// resume is set for checkpointed uploads: they reconcile with OSS
	// instead of starting over, and keep their parts on failure.
	resume *resumeState
}

// transfer starts the transfer of one object of the session.
func (s *session) transfer(key string) *transfer {
	return &transfer{session: s, key: key, concurrency: s.opts.Concurrency}
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

	ResumedBytes int64 // the size of the Resumed parts
}

// part is one unit of work: a range of a random-access source, or a buffer
// filled from a stream.
type part struct {
	number int
	offset int64
	size   int64
	buf    []byte // stream parts only
}

// body is the request body of one attempt to send p: it computes the CRC,
// counts progress and waits for the Uploader's bandwidth cap.
func (t *transfer) body(ctx context.Context, at io.ReaderAt, p part) *partio.Body {
	var r io.Reader
	if p.buf != nil {
		r = bytes.NewReader(p.buf[:p.size])
	} else {
		r = io.NewSectionReader(at, p.offset, p.size)
	}
	return partio.NewBody(source.LimitReader(ctx, r, t.limiter), p.size, t.meter)
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
		return t.multipart(ctx, src, partSize, nil)
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
	err := t.do(ctx, "PutObject", t.key, func(ctx context.Context) error {
		body := t.body(ctx, at, p)
		ctx, stalled := body.Watch(ctx, t.opts.StallTimeout)
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
	return t.multipart(ctx, &source.Opened{Size: src.Size, Stream: rest}, partSize, head)
}

// multipart runs Initiate → parts → Complete. Without a checkpoint a
// failure aborts the upload; with one, the parts stay for the next run.
// spare, when not nil, is a buffer the stream's part pool may use.
func (t *transfer) multipart(ctx context.Context, src *source.Opened, partSize int64, spare []byte) (transferResult, error) {
	var res transferResult
	done, err := t.resumeOrInitiate(ctx, src, partSize, &res)
	if err != nil {
		return res, err
	}
	parts, err := t.uploadParts(ctx, src, res.UploadID, partSize, done, spare)
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

// initiate starts a multipart upload and, for a checkpointed one, records
// it before any part is sent.
func (t *transfer) initiate(ctx context.Context, partSize int64, res *transferResult) error {
	err := t.do(ctx, "InitiateMultipartUpload", t.key, func(ctx context.Context) error {
		id, err := t.api.InitiateMultipart(ctx, t.key)
		res.UploadID = id
		return err
	})
	if err != nil {
		return err
	}
	t.log.Debug("multipart upload started", "key", t.key, "upload_id", res.UploadID, "part_size", partSize)
	if t.resume != nil && t.resume.initiated != nil {
		if err := t.resume.initiated(res.UploadID, partSize); err != nil {
			return fmt.Errorf("record checkpoint: %w", err)
		}
	}
	return nil
}

// uploadParts feeds the worker pool and collects acknowledged parts. The
// first failure cancels the rest; every worker has returned when it does.
func (t *transfer) uploadParts(ctx context.Context, src *source.Opened, uploadID string, partSize int64,
	done []ossclient.Part, spare []byte) ([]ossclient.Part, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	jobs := make(chan part)
	var pool *partio.Pool
	if src.At == nil {
		// Concurrency buffers in workers' hands plus one being filled.
		pool = partio.NewPool(t.concurrency+1, int(partSize))
		pool.Seed(spare)
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
	for range t.concurrency {
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
		if k > 0 && n > MaxParts {
			pool.Put(buf)
			return fmt.Errorf("%w: the stream is longer than %d parts of %d bytes (%d bytes read); "+
				"upload it with WithPartSize(%d) or more, or give ReaderSource its size",
				ErrTooLarge, MaxParts, partSize, total+int64(k), suggestPartSize(partSize))
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
	return min(partSize*4, MaxPartSize)
}

// uploadPart sends one part, retrying, and checks its CRC64.
func (t *transfer) uploadPart(ctx context.Context, at io.ReaderAt, uploadID string, p part) (ossclient.Part, error) {
	var up ossclient.Part
	err := t.do(ctx, "UploadPart", t.key, func(ctx context.Context) error {
		body := t.body(ctx, at, p)
		ctx, stalled := body.Watch(ctx, t.opts.StallTimeout)
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
	err := t.do(ctx, "CompleteMultipartUpload", t.key, func(ctx context.Context) error {
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
	err := t.do(ctx, "AbortMultipartUpload", t.key, func(ctx context.Context) error {
		return t.api.AbortMultipart(ctx, t.key, uploadID)
	})
	if err != nil {
		t.log.Warn("abort multipart upload failed", "key", t.key, "upload_id", uploadID, "error", err)
		return err
	}
	t.log.Debug("multipart upload aborted", "key", t.key, "upload_id", uploadID)
	return nil
}

func checkCRC(op, key string, has bool, server, client uint64) error {
	if !has || server == client {
		return nil
	}
	return fmt.Errorf("%s %s: OSS computed %d, we sent %d: %w", op, key, server, client, ErrChecksumMismatch)
}
