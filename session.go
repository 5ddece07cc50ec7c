package vodupload

// A session is one media's access to OSS, and the policy every OSS
// request of it goes through: retry, credential renewal, the Uploader's
// cap on requests in flight.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"golang.org/x/time/rate"

	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/progress"
	"github.com/vodupload/vodupload/internal/retry"
	"github.com/vodupload/vodupload/internal/uploadauth"
)

// maxRefreshesPerRequest bounds how often in a row one request may see a
// credential renewed for it rejected before the upload gives up: a
// credential that OSS refuses right after VOD issued it will not get
// better. Each renewal is one VOD call, so the bound is generous; a
// rejection of a credential someone else already replaced, or one that
// follows a backoff, says nothing about the fresh one and is not counted.
const maxRefreshesPerRequest = 5

// session is one media's access to OSS: the credential holder and the
// client, shared by every object the media writes (an M3U8 index and its
// segments) so a refresh reaches all of them, with the upload's options,
// its progress meter and the Uploader's caps.
type session struct {
	api   ossclient.API
	creds *uploadauth.Holder
	opts  UploadOptions
	meter *progress.Meter
	sem   chan struct{} // the Uploader's cap on parts in flight; nil: none
	// limiter is the Uploader's bandwidth cap; nil: none.
	limiter *rate.Limiter
	log     *slog.Logger

	retries atomic.Int64 // requests repeated after transient errors
}

// do runs one OSS request with the engine's policy: transient errors are
// retried with full-jitter backoff up to MaxAttempts; an expired credential
// is renewed (once for all workers) and the request repeated; anything
// else fails at once. A slot of the Uploader-wide cap is held only while a
// request is on the wire, not while backing off.
func (s *session) do(ctx context.Context, op, key string, fn func(context.Context) error) error {
	policy := retry.Policy{MaxAttempts: s.opts.MaxAttempts, BaseDelay: s.opts.RetryBaseDelay, MaxDelay: s.opts.RetryMaxDelay}
	refreshes := 0
	for attempt := 1; ; {
		if _, _, err := s.creds.Get(ctx); err != nil {
			return fmt.Errorf("%s %s: %w", op, key, err)
		}
		if err := s.acquire(ctx); err != nil {
			return err
		}
		ticket := s.creds.Ticket()
		err := fn(ctx)
		s.release()
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
			if s.creds.Ticket() != ticket {
				continue // another worker already replaced it: retry with the new one
			}
			refreshes++
			if refreshes > maxRefreshesPerRequest {
				return fmt.Errorf("%s %s: %w: %w", op, key, ErrCredentialRejected, err)
			}
			s.log.Debug("upload credential rejected; refreshing", "op", op, "key", key, "error", err)
			if _, _, rerr := s.creds.Expired(ctx, ticket); rerr != nil {
				// The refresh failure comes first: errors.As must find VOD's
				// reason (InvalidVideo.NotFound, ...) before OSS's expiry.
				return fmt.Errorf("%s %s: refreshing the credential failed: %w (after: %w)", op, key, rerr, err)
			}
		case retry.Transient:
			if attempt >= policy.MaxAttempts {
				return fmt.Errorf("%s %s: giving up after %d attempts: %w", op, key, attempt, err)
			}
			s.retries.Add(1)
			s.log.Debug("retrying", "op", op, "key", key, "attempt", attempt, "error", err)
			if err := retry.Sleep(ctx, policy.Backoff(attempt)); err != nil {
				return context.Cause(ctx)
			}
			attempt++
			refreshes = 0
		default:
			return fmt.Errorf("%s %s: %w", op, key, err)
		}
	}
}

func (s *session) acquire(ctx context.Context) error {
	if s.sem == nil {
		return nil
	}
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (s *session) release() {
	if s.sem != nil {
		<-s.sem
	}
}
