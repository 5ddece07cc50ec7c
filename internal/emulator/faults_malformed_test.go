package emulator

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMalformedAnswersToPutObject(t *testing.T) {
	t.Parallel()
	data := randomBytes(200<<10, 9)
	tests := []struct {
		kind       Malformation
		wantStatus int  // status the client sees; 0 when it sees no answer
		wantStored bool // whether the operation ran
		check      func(t *testing.T, hdr http.Header)
	}{
		{MalformedTruncatedError, http.StatusInternalServerError, false, nil},
		{MalformedWrongCRC, http.StatusOK, true, func(t *testing.T, hdr http.Header) {
			assert.Equal(t, strconv.FormatUint(crcOf(data)^1, 10), hdr.Get(crcHeader))
		}},
		{MalformedErrorBody200, http.StatusOK, false, func(t *testing.T, hdr http.Header) {
			assert.Empty(t, hdr.Get(crcHeader))
			assert.Empty(t, hdr.Get("ETag"))
		}},
		{MalformedHugeHeader, 0, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			t.Parallel()
			srv := newOSSServer(t, Options{Faults: Faults{Malformed: 1, MalformedKind: tt.kind}})
			const key = "sv/faults/m.mp4"
			// The SDK's own CRC check is off, as in the uploader, so what
			// arrives is visible here.
			b := sdkBucket(t, srv, issue(srv, key), oss.EnableCRC(false))
			var hdr http.Header

			err := b.PutObject(key, bytes.NewReader(data), oss.GetResponseHeader(&hdr))

			switch tt.wantStatus {
			case 0:
				require.Error(t, err)
				assert.Contains(t, err.Error(), "header")
			case http.StatusOK:
				require.NoError(t, err, "the SDK takes any 200 for success")
			default:
				require.Error(t, err)
				assert.Contains(t, err.Error(), strconv.Itoa(tt.wantStatus))
			}
			if tt.check != nil {
				tt.check(t, hdr)
			}
			assert.Equal(t, tt.wantStored, srv.objectExists(testBucket, key))
			assert.Equal(t, int64(1), srv.Counters().Faults[faultMalformed])
		})
	}
}

func TestMalformedOpLimitsTheFaultToOneOperation(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{Faults: Faults{Malformed: 1, MalformedKind: MalformedErrorBody200, MalformedOp: "CompleteMultipartUpload"}})
	const key = "sv/faults/op.mp4"
	b := sdkBucket(t, srv, issue(srv, key))
	imur, err := b.InitiateMultipartUpload(key)
	require.NoError(t, err)
	part, err := b.UploadPart(imur, bytes.NewReader(randomBytes(1000, 3)), 1000, 1)
	require.NoError(t, err)

	_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{part})

	require.Error(t, err, "an <Error> document is not a CompleteMultipartUploadResult")
	assert.False(t, srv.objectExists(testBucket, key), "the operation did not run")
	assert.Equal(t, []string{imur.UploadID}, srv.MultipartUploads())
	assert.Equal(t, int64(1), srv.Counters().Faults[faultMalformed])
}

func TestMalformedDrawsNothingWhenOff(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{Faults: Faults{MalformedKind: MalformedWrongCRC}})
	const key = "sv/faults/off.mp4"
	b := sdkBucket(t, srv, issue(srv, key))

	require.NoError(t, b.PutObject(key, bytes.NewReader(randomBytes(1000, 5))), "the SDK's CRC check passes")
	assert.Zero(t, srv.Counters().Faults[faultMalformed])
}
