package vodapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

func TestDeleteVideoRemovesTheVideoAndToleratesOneGone(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	c := emulatorClient(t, srv)
	ctx := context.Background()
	up, err := c.CreateUploadVideo(ctx, CreateVideoRequest{Title: "doomed", FileName: "a.mp4"})
	require.NoError(t, err)
	require.True(t, srv.HasMedia(up.MediaID))

	require.NoError(t, c.DeleteVideo(ctx, up.MediaID))
	assert.False(t, srv.HasMedia(up.MediaID))
	require.NoError(t, c.DeleteVideo(ctx, up.MediaID), "VOD lists it in NonExistVideoIds: deleting again is not an error")
	assert.EqualValues(t, 2, srv.Counters().Requests["DeleteVideo"])
}

func TestDeleteVideoForbiddenIsAnError(t *testing.T) {
	t.Parallel()
	// VOD's sample answer with the video in ForbiddenVideoIds.
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"RequestId":"E4EBD2BF-5EB0-4476-8829-9D94E1B1****","ForbiddenVideoIds":["73ab850b4f6f4b6e91d24d81d540000"],"NonExistVideoIds":[]}`))
	}))
	t.Cleanup(fake.Close)
	c := newClient(t, fake.URL, credentials.NewStaticAKCredentialsProvider("LTAIx", "secret"), time.Second)
	err := c.DeleteVideo(context.Background(), "73ab850b4f6f4b6e91d24d81d540000")
	require.ErrorIs(t, err, ErrDeleteForbidden)
	assert.Contains(t, err.Error(), "73ab850b4f6f4b6e91d24d81d540000")
}
