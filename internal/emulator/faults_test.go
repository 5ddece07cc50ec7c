package emulator

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorRateFailsEveryRequest(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{Faults: Faults{ErrorRate: 1, Seed: 1}})
	const key = "sv/faults/e.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	ops := map[string]func() error{
		"PutObject": func() error { return b.PutObject(key, bytes.NewReader(make([]byte, 300<<10))) },
		"GetObject": func() error { _, err := b.GetObject(key); return err },
		"HeadObject": func() error {
			_, err := b.GetObjectDetailedMeta(key)
			return err
		},
		"InitiateMultipartUpload": func() error { _, err := b.InitiateMultipartUpload(key); return err },
		"DeleteObject":            func() error { return b.DeleteObject(key) },
	}
	for name, op := range ops {
		se := serviceError(t, op())
		assert.Contains(t, []string{"InternalError", "ServiceUnavailable"}, se.Code, name)
		assert.GreaterOrEqual(t, se.StatusCode, 500, name)
	}
	assert.False(t, srv.objectExists(testBucket, key))
	assert.Empty(t, srv.MultipartUploads())
	assert.Equal(t, int64(len(ops)), srv.Counters().Faults["error"])
}

func TestThrottleRateAnswersSlowDown(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{Faults: Faults{ThrottleRate: 1}})
	const key = "sv/faults/t.mp4"
	b := sdkBucket(t, srv, issue(srv, key))

	err := b.PutObject(key, strings.NewReader("x"))

	requireServiceError(t, err, http.StatusServiceUnavailable, "SlowDown")
	assert.Equal(t, int64(1), srv.Counters().Faults["throttle"])
}

func TestResetRateCutsUploads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size int
	}{
		{"body longer than ResetAfter", 1 << 20},
		{"body shorter than ResetAfter", 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newOSSServer(t, Options{Faults: Faults{ResetRate: 1, ResetAfter: 16 << 10}})
			const key = "sv/faults/r.mp4"
			b := sdkBucket(t, srv, issue(srv, key))

			err := b.PutObject(key, bytes.NewReader(randomBytes(tt.size, 1)))

			require.Error(t, err)
			var se oss.ServiceError
			assert.False(t, errors.As(err, &se), "a reset is a transport error, not an answer: %v", err)
			assert.False(t, srv.objectExists(testBucket, key), "a reset upload stores nothing")
			c := srv.Counters()
			assert.Equal(t, int64(1), c.Faults["reset"])
			assert.Zero(t, c.BytesReceived)
		})
	}

	t.Run("UploadPart", func(t *testing.T) {
		t.Parallel()
		srv := newOSSServer(t, Options{})
		const key = "sv/faults/p.mp4"
		b := sdkBucket(t, srv, issue(srv, key))
		imur, err := b.InitiateMultipartUpload(key)
		require.NoError(t, err)
		srv.SetFaults(Faults{ResetRate: 1})

		_, err = b.UploadPart(imur, bytes.NewReader(make([]byte, 200<<10)), 200<<10, 1)
		require.Error(t, err)

		srv.SetFaults(Faults{})
		parts, err := b.ListUploadedParts(imur)
		require.NoError(t, err)
		assert.Empty(t, parts.UploadedParts, "the cut part was not recorded")
	})
}

func TestBandwidthCapSlowsBody(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{Faults: Faults{BandwidthBPS: 512 << 10}})
	const key = "sv/faults/bw.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	data := randomBytes(1<<20, 4)

	start := time.Now()
	require.NoError(t, b.PutObject(key, bytes.NewReader(data)))
	took := time.Since(start)

	assert.GreaterOrEqual(t, took, 1500*time.Millisecond, "1 MiB at 512 KiB/s")
	got, err := srv.Object(testBucket, key)
	require.NoError(t, err)
	assert.Equal(t, data, got)
}

func TestLatencyDelaysResponses(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{Faults: Faults{Latency: 150 * time.Millisecond, LatencyJitter: 50 * time.Millisecond}})
	const key = "sv/faults/l.mp4"
	b := sdkBucket(t, srv, issue(srv, key))

	start := time.Now()
	_, err := b.GetObject(key)
	requireServiceError(t, err, http.StatusNotFound, "NoSuchKey")
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
}

func TestFaultsRepeatForTheSameSeed(t *testing.T) {
	t.Parallel()
	outcomes := func(seed int64) []bool {
		srv := newOSSServer(t, Options{Faults: Faults{Seed: seed, ErrorRate: 0.5}})
		const key = "sv/faults/seed.mp4"
		b := sdkBucket(t, srv, issue(srv, key))
		var failed []bool
		for range 24 {
			_, err := b.GetObjectDetailedMeta(key)
			failed = append(failed, serviceError(t, err).StatusCode >= 500)
		}
		return failed
	}

	first := outcomes(7)
	assert.Equal(t, first, outcomes(7), "same seed, same failing requests")
	assert.NotEqual(t, first, outcomes(8))
	assert.Contains(t, first, true)
	assert.Contains(t, first, false)
}

func TestSetFaultsAtRuntime(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	const key = "sv/faults/rt.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	require.NoError(t, b.PutObject(key, strings.NewReader("ok")))

	srv.SetFaults(Faults{ErrorRate: 1})
	se := serviceError(t, b.PutObject(key, strings.NewReader("fails")))
	assert.GreaterOrEqual(t, se.StatusCode, 500)

	srv.SetFaults(Faults{})
	require.NoError(t, b.PutObject(key, strings.NewReader("ok again")))
	got, err := srv.Object(testBucket, key)
	require.NoError(t, err)
	assert.Equal(t, "ok again", string(got))
}

func TestInjectVODError(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{Faults: Faults{VODErrorRate: 1}})
	assert.True(t, srv.injectVODError())
	srv.SetFaults(Faults{})
	assert.False(t, srv.injectVODError())
	assert.Equal(t, int64(1), srv.Counters().Faults["vod_error"])
}
