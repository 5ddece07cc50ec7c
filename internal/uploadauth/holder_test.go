package uploadauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func cred(n int, issued time.Time) Credentials {
	return Credentials{
		AccessKeyID: fmt.Sprintf("STS.%d", n), AccessKeySecret: "secret-value", SecurityToken: "token-value",
		Issued: issued, Expires: issued.Add(100 * time.Second),
	}
}

func TestProactiveRefreshAtEightyPercent(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Unix(1000, 0)}
	var calls atomic.Int32
	h := New(cred(0, clk.Now()), func(context.Context) (Credentials, error) {
		n := calls.Add(1)
		return cred(int(n), clk.Now()), nil
	}, Options{Now: clk.Now})

	c, _, err := h.Get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "STS.0", c.AccessKeyID)

	clk.Add(79 * time.Second)
	c, _, _ = h.Get(context.Background())
	assert.Equal(t, "STS.0", c.AccessKeyID, "79% of the lifetime: no refresh yet")

	clk.Add(time.Second)
	c, _, err = h.Get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "STS.1", c.AccessKeyID)
	assert.Equal(t, 1, h.Refreshes())
}

func TestSingleFlightWhenWorkersSeeExpiryTogether(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Unix(1000, 0)}
	var calls atomic.Int32
	release := make(chan struct{})
	h := New(cred(0, clk.Now()), func(context.Context) (Credentials, error) {
		n := calls.Add(1)
		<-release
		return cred(int(n), clk.Now()), nil
	}, Options{Now: clk.Now})
	_, ticket, _ := h.Get(context.Background())

	var wg sync.WaitGroup
	got := make([]string, 4)
	for i := range 4 {
		wg.Go(func() {
			c, _, err := h.Expired(context.Background(), ticket)
			assert.NoError(t, err)
			got[i] = c.AccessKeyID
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load(), "four workers, one VOD call")
	assert.Equal(t, []string{"STS.1", "STS.1", "STS.1", "STS.1"}, got)

	// A late report about the old credential does not refresh again.
	c, _, err := h.Expired(context.Background(), ticket)
	require.NoError(t, err)
	assert.Equal(t, "STS.1", c.AccessKeyID)
	assert.Equal(t, int32(1), calls.Load())
}

func TestFailedProactiveRefreshKeepsValidCredential(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Unix(1000, 0)}
	var logs bytes.Buffer
	h := New(cred(0, clk.Now()), func(context.Context) (Credentials, error) {
		return Credentials{}, errors.New("vod unavailable")
	}, Options{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	clk.Add(90 * time.Second)
	c, _, err := h.Get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "STS.0", c.AccessKeyID)
	assert.Contains(t, logs.String(), "proactive credential refresh failed")

	clk.Add(20 * time.Second) // now expired
	_, _, err = h.Get(context.Background())
	assert.ErrorContains(t, err, "vod unavailable")
}

func TestNoRefreshFunction(t *testing.T) {
	t.Parallel()
	h := New(cred(0, time.Now()), nil, Options{})
	_, _, err := h.Expired(context.Background(), 0)
	assert.ErrorIs(t, err, ErrNoRefresh)
}

func TestSecretsStayOutOfFormatting(t *testing.T) {
	t.Parallel()
	c := cred(0, time.Now())
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "cred", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), logs.String()} {
		assert.NotContains(t, s, "secret-value")
		assert.NotContains(t, s, "token-value")
	}
}

// TestTicketFollowsTheCredentialCurrentServes: a request signed with
// Current reports its rejection with Ticket; a stale report does not throw
// away the newer credential.
func TestTicketFollowsTheCredentialCurrentServes(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	var calls atomic.Int32
	h := New(cred(0, now), func(context.Context) (Credentials, error) {
		return cred(int(calls.Add(1)), now), nil
	}, Options{Now: func() time.Time { return now }})

	first := h.Ticket()
	_, second, err := h.Expired(context.Background(), first)
	require.NoError(t, err)
	assert.Equal(t, second, h.Ticket())
	assert.Equal(t, "STS.1", h.Current().AccessKeyID)

	c, again, err := h.Expired(context.Background(), first)
	require.NoError(t, err)
	assert.Equal(t, second, again, "a report about the replaced credential renews nothing")
	assert.Equal(t, "STS.1", c.AccessKeyID)
	assert.EqualValues(t, 1, calls.Load())
}

// TestWithoutRefreshOSSDecides: a credential that cannot be renewed is
// handed out even when the local clock says it expired; OSS, whose clock
// counts, answers, and only its rejection ends the upload.
func TestWithoutRefreshOSSDecides(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Unix(1000, 0)}
	h := New(cred(0, clk.Now()), nil, Options{Now: clk.Now})
	clk.Add(time.Hour)

	c, _, err := h.Get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "STS.0", c.AccessKeyID)

	_, _, err = h.Expired(context.Background(), h.Ticket())
	require.ErrorIs(t, err, ErrNoRefresh)
}
