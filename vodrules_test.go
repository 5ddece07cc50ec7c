package vodupload

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// Regression tests for what the library sent VOD against its API
// reference: each would fail against real VOD (the emulator answers as it
// does) or turned away media VOD accepts.

// VOD's CreateUploadImage requires ImageType; a zero ImageMeta used to send
// none and fail with MissingImageType on real VOD.
func TestImageWithoutTypeIsSentAsDefault(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)

	path, data := writeFile(t, "photo.jpg", 4000)
	img, err := u.UploadImage(context.Background(), FileSource(path), ImageMeta{})
	require.NoError(t, err)
	requireStored(t, srv, &img.Result, data)
	assert.True(t, strings.HasPrefix(img.ObjectKey, "image/default/"), img.ObjectKey)

	ticket, err := u.CreateImageUpload(context.Background(), ImageMeta{ImageExt: "png"})
	require.NoError(t, err)
	addr, err := vodapi.DecodeAddress(ticket.UploadAddress)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(addr.FileName, "image/default/"), addr.FileName)
}
