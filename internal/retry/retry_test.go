package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/vodupload/vodupload/internal/apierr"
)

func TestBackoffStaysUnderCeiling(t *testing.T) {
	t.Parallel()
	p := Policy{MaxAttempts: 8, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for retry, ceiling := range map[int]time.Duration{
		1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond,
		4: 800 * time.Millisecond, 5: time.Second, 30: time.Second,
	} {
		for range 200 {
			d := p.Backoff(retry)
			assert.Greater(t, d, time.Duration(0))
			assert.LessOrEqual(t, d, ceiling, "retry %d", retry)
		}
	}
	assert.Zero(t, p.Backoff(0))
}

func TestClassify(t *testing.T) {
	t.Parallel()
	oss := func(status int, code string) error {
		return fmt.Errorf("upload part: %w", &apierr.Error{Service: apierr.OSS, StatusCode: status, Code: code})
	}
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"503", oss(503, "ServiceUnavailable"), Transient},
		{"500", oss(500, "InternalError"), Transient},
		{"slowdown", oss(503, "SlowDown"), Transient},
		{"429", oss(429, "TooManyRequests"), Transient},
		{"expired token", oss(403, "SecurityTokenExpired"), Expired},
		{"unknown sts key", oss(403, "InvalidAccessKeyId"), Expired},
		{"access denied", oss(403, "AccessDenied"), Permanent},
		{"no bucket", oss(404, "NoSuchBucket"), Permanent},
		{"bad signature", oss(403, "SignatureDoesNotMatch"), Permanent},
		{"vod invalid key is permanent", &apierr.Error{Service: apierr.VOD, StatusCode: 404, Code: "InvalidAccessKeyId"}, Permanent},
		{"reset", fmt.Errorf("put: %w", syscall.ECONNRESET), Transient},
		{"unexpected eof", fmt.Errorf("put: %w", io.ErrUnexpectedEOF), Transient},
		{"op error", &net.OpError{Op: "write", Err: errors.New("broken")}, Transient},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), Permanent},
		{"plain", errors.New("disk on fire"), Permanent},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Classify(tt.err), tt.name)
	}
}

func TestSleepHonoursContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, Sleep(ctx, time.Hour), context.Canceled)
	assert.NoError(t, Sleep(context.Background(), time.Millisecond))
}
