package vodupload

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/partio"
	"github.com/vodupload/vodupload/internal/source"
	"github.com/vodupload/vodupload/internal/uploadauth"
)

func TestStalledRequestIsAbandonedAndRetried(t *testing.T) {
	t.Parallel()
	data := make([]byte, 300<<10)
	_, _ = rand.Read(data)
	// The first write reads part of the body and then stops reading, as a
	// wedged peer does; later writes succeed.
	api := newFakeOSS()
	var writes atomic.Int32
	api.PutObjectFn = func(ctx context.Context, key string, body io.Reader, size int64) (ossclient.Result, error) {
		if writes.Add(1) == 1 {
			_, _ = io.CopyN(io.Discard, body, size/2)
			<-ctx.Done() // never reads again; only the watchdog ends this
			return ossclient.Result{}, ctx.Err()
		}
		return api.put(key, body)
	}
	s := newTestSession(t, api, UploadOptions{StallTimeout: 200 * time.Millisecond, MaxAttempts: 3}, nil, int64(len(data)))
	tr := s.transfer("k")

	start := time.Now()
	src, err := source.Reader{R: bytes.NewReader(data), Size: int64(len(data)), Name: "a.mp4"}.Open(context.Background())
	require.NoError(t, err)
	res, err := tr.run(context.Background(), src)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "the stalled attempt was waited out")
	assert.EqualValues(t, 2, writes.Load(), "one stalled attempt, one retry")
	assert.Equal(t, []string{"PutObject", "PutObject"}, api.Calls())
	assert.EqualValues(t, 1, s.retries.Load())
	assert.Equal(t, data, api.Object("k"))
	assert.Equal(t, crc64.Checksum(data), res.CRC64)
}

func TestStreamBeyondMaxPartsFailsInsteadOfTruncating(t *testing.T) {
	t.Parallel()
	// 10,001 one-byte parts: feedStream must refuse the last one rather
	// than let the upload complete without it.
	pool := partio.NewPool(2, 1)
	jobs := make(chan part)
	var queued atomic.Int32
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for p := range jobs {
			queued.Add(1)
			pool.Put(p.buf)
		}
	}()
	src := &source.Opened{Size: -1, Stream: bytes.NewReader(make([]byte, MaxParts+1))}
	err := feedStream(context.Background(), jobs, pool, src, 1)
	close(jobs)
	<-consumed
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "WithPartSize(4)", "the error names a part size that fits")
	assert.EqualValues(t, MaxParts, queued.Load())

	// Exactly 10,000 parts is fine.
	jobs = make(chan part)
	go func() {
		for p := range jobs {
			pool.Put(p.buf)
		}
	}()
	src = &source.Opened{Size: -1, Stream: bytes.NewReader(make([]byte, MaxParts))}
	require.NoError(t, feedStream(context.Background(), jobs, pool, src, 1))
	close(jobs)
}

func TestStreamLongerThanDeclaredIsRefused(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv, WithPartSize(256<<10), WithMultipartThreshold(256<<10))
	for _, declared := range []int64{100, 300 << 10} { // single PUT and multipart
		stream := struct{ io.Reader }{bytes.NewReader(make([]byte, declared+10))}
		_, err := u.UploadVideo(context.Background(), ReaderSource(stream, declared, "long.mp4"), VideoMeta{Title: "x"})
		require.Error(t, err, "declared %d", declared)
	}
}

// TestCredentialRejectedRightAfterRenewalGivesUp: when OSS refuses every
// credential VOD issues, the upload stops after a bounded number of
// renewals with ErrCredentialRejected instead of calling VOD forever.
func TestCredentialRejectedRightAfterRenewalGivesUp(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	appServer := newUploader(t, srv)
	path, _ := writeFile(t, "refused.mp4", 1000)
	ticket, err := appServer.CreateVideoUpload(t.Context(), VideoMeta{Title: "refused", FileName: "refused.mp4"}, 1000)
	require.NoError(t, err)
	srv.ExpireCredentials()
	var renewals atomic.Int32
	refresh := func(ctx context.Context) (*UploadTicket, error) {
		renewals.Add(1)
		fresh, err := appServer.RefreshVideoUpload(ctx, ticket.MediaID)
		srv.ExpireCredentials() // dead on arrival, every time
		return fresh, err
	}

	_, err = appServer.UploadWithTicket(t.Context(), FileSource(path), ticket, refresh)

	require.ErrorIs(t, err, ErrCredentialRejected)
	var ue *UploadError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, ticket.MediaID, ue.MediaID)
	assert.EqualValues(t, maxRefreshesPerRequest, renewals.Load())
	assert.EqualValues(t, maxRefreshesPerRequest+1, srv.Counters().Errors["SecurityTokenExpired"])
}

// TestRejectionBudgetCountsOnlyJustRenewedCredentials: the bound on
// renewals per request is about a credential OSS refuses right after VOD
// issued it. A rejection after a backoff (an outage outlived the
// credential) or of a credential another worker already replaced says
// nothing about that, so neither uses the budget up.
func TestRejectionBudgetCountsOnlyJustRenewedCredentials(t *testing.T) {
	t.Parallel()
	expired := &apierr.Error{Service: apierr.OSS, Op: "UploadPart", StatusCode: 403, Code: "SecurityTokenExpired"}
	unavailable := &apierr.Error{Service: apierr.OSS, Op: "UploadPart", StatusCode: 503, Code: "ServiceUnavailable"}
	rounds := maxRefreshesPerRequest + 2
	tests := []struct {
		name string
		// answer is the outcome of call n (from 1) of the request; h is
		// the upload's credential holder, shared with other workers.
		answer        func(ctx context.Context, h *uploadauth.Holder, n int) error
		wantRenewals  int
		wantTransient int64
	}{
		{
			name: "expired again after every backoff",
			answer: func(_ context.Context, _ *uploadauth.Holder, n int) error {
				switch {
				case n > 2*rounds:
					return nil
				case n%2 == 1:
					return expired
				}
				return unavailable
			},
			wantRenewals: rounds, wantTransient: int64(rounds),
		},
		{
			name: "another worker renewed it first",
			answer: func(ctx context.Context, h *uploadauth.Holder, n int) error {
				if n > rounds {
					return nil
				}
				_, _, _ = h.Expired(ctx, h.Ticket()) // the other worker's report lands first
				return expired
			},
			wantRenewals: rounds,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var renewals atomic.Int32
			o := UploadOptions{MaxAttempts: 2*rounds + 1, RetryBaseDelay: time.Millisecond, RetryMaxDelay: time.Millisecond}
			s := newTestSession(t, newFakeOSS(), o, func(context.Context) (uploadauth.Credentials, error) {
				renewals.Add(1)
				return uploadauth.Credentials{}, nil
			}, 0)
			h := s.creds
			calls := 0

			err := s.do(t.Context(), "UploadPart", "k", func(ctx context.Context) error {
				calls++
				return tt.answer(ctx, h, calls)
			})

			require.NoError(t, err, "more rejections than maxRefreshesPerRequest, none of a just-renewed credential")
			assert.EqualValues(t, tt.wantRenewals, renewals.Load())
			assert.Equal(t, tt.wantTransient, s.retries.Load())
		})
	}
}

// zeros is an io.ReaderAt of any size that reads as zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error)            { clear(p); return len(p), nil }
func (zeros) ReadAt(p []byte, _ int64) (int, error) { clear(p); return len(p), nil }

// TestKnownSizeTooLargeFailsBeforeVOD: a size known before any network
// call that no part size can fit into 10,000 parts fails with ErrTooLarge
// before VOD creates a record, for files read at offsets and for
// streams, at the default part size and at one whose multiples stop short
// of 5 GiB.
// TestInvalidReaderSourceIsAValidationError: a declared size below -1 or a
// nil reader is the caller's mistake, matched like every other by
// ErrValidation, and found before any call.
func TestInvalidReaderSourceIsAValidationError(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	for name, src := range map[string]Source{
		"size -5":    ReaderSource(zeros{}, -5, "a.mp4"),
		"nil reader": ReaderSource(nil, 10, "a.mp4"),
	} {
		_, err := u.UploadVideo(t.Context(), src, VideoMeta{Title: "t"})
		require.ErrorIs(t, err, ErrValidation, name)
		assert.ErrorContains(t, err, "invalid source size", name)
	}
	assert.Empty(t, srv.Counters().Requests, "no request reached VOD or OSS")
}

func TestKnownSizeTooLargeFailsBeforeVOD(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	tooLarge := int64(MaxParts)*MaxPartSize + 1
	tests := []struct {
		name string
		run  func() error
	}{
		{"video read at offsets", func() error {
			_, err := u.UploadVideo(t.Context(), ReaderSource(zeros{}, tooLarge, "huge.mp4"), VideoMeta{Title: "huge"})
			return err
		}},
		{"video stream of declared size", func() error {
			_, err := u.UploadVideo(t.Context(), ReaderSource(struct{ io.Reader }{zeros{}}, tooLarge, "huge.mp4"), VideoMeta{Title: "huge"})
			return err
		}},
		{"part size whose multiples stop at 3 GiB", func() error {
			_, err := u.UploadVideo(t.Context(), ReaderSource(zeros{}, int64(MaxParts)*(3<<30)+1, "big.mp4"),
				VideoMeta{Title: "big"}, WithPartSize(3<<30))
			return err
		}},
		{"image", func() error {
			_, err := u.UploadImage(t.Context(), ReaderSource(zeros{}, tooLarge, "huge.png"), ImageMeta{})
			return err
		}},
		{"attached media", func() error {
			_, err := u.UploadAttachedMedia(t.Context(), ReaderSource(zeros{}, tooLarge, "huge.mp4"),
				AttachedMediaMeta{BusinessType: "material"})
			return err
		}},
	}
	for _, tt := range tests {
		err := tt.run()
		require.ErrorIs(t, err, ErrTooLarge, tt.name)
		var ue *UploadError
		assert.False(t, errors.As(err, &ue), "%s: no media was created, so no UploadError: %v", tt.name, err)
	}
	assert.Empty(t, srv.Counters().Requests, "no request reached VOD or OSS")
}
