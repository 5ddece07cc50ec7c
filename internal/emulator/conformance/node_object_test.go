package conformance_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headFacts are the HeadObject answer headers ali-oss hands its caller.
type headFacts struct {
	Status        int    `json:"status"`
	ContentLength string `json:"contentLength"`
	ContentType   string `json:"contentType"`
	ETag          string `json:"etag"`
	CRC64         string `json:"crc64"`
	ObjectType    string `json:"objectType"`
	LastModified  string `json:"lastModified"`
	RequestID     string `json:"requestId"`
}

// objectResult is what the steps that write a whole object report.
type objectResult struct {
	MediaID   string    `json:"mediaId"`
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	PutStatus int       `json:"putStatus"`
	PutETag   string    `json:"putEtag"`
	PutCRC64  string    `json:"putCrc64"`
	Head      headFacts `json:"head"`
	GetSHA256 string    `json:"getSha256"`
	GetLength int       `json:"getLength"`
	ImageURL  string    `json:"imageURL"`
	MediaURL  string    `json:"mediaURL"`
	Auth      struct {
		Expiration string `json:"expiration"`
		Region     string `json:"region"`
	} `json:"auth"`
}

func objectSteps() []nodeStep {
	return []nodeStep{
		{name: "put-head-get", input: 10<<10 + 3, check: checkPutHeadGet},
		{name: "ali-oss-defaults", input: 2 << 10, check: checkDefaultsRefused},
		{name: "ali-oss-defaults", input: 2 << 10, region: "cn-hangzhou", check: checkDefaultsHangzhou},
		{name: "put-stream", input: 300<<10 + 1, check: checkPutStream},
		{name: "image-upload", input: 4 << 10, check: checkImageUpload},
		{name: "attached-upload", input: 3<<10 + 5, check: checkAttachedUpload},
		{name: "cross-key-denied", input: 1 << 10, check: checkCrossKeyDenied},
	}
}

// requireReadBack asserts the object is stored byte for byte and that
// ali-oss's head and get saw the same object.
func requireReadBack(t *testing.T, run stepRun, r objectResult, contentType string) {
	t.Helper()
	require.NotEmpty(t, r.MediaID)
	requireStored(t, run.srv, r.Bucket, r.Key, run.input)
	sum := sha256.Sum256(run.input)
	assert.Equal(t, hex.EncodeToString(sum[:]), r.GetSHA256, "get returned other bytes")
	assert.Equal(t, len(run.input), r.GetLength)
	assert.Equal(t, http.StatusOK, r.Head.Status)
	assert.Equal(t, strconv.Itoa(len(run.input)), r.Head.ContentLength)
	assert.Equal(t, contentType, r.Head.ContentType)
	assert.Equal(t, crcString(run.input), r.Head.CRC64, "x-oss-hash-crc64ecma")
	assert.Equal(t, "Normal", r.Head.ObjectType)
	_, err := time.Parse(http.TimeFormat, r.Head.LastModified)
	assert.NoError(t, err, "Last-Modified is an HTTP date")
	assert.NotEmpty(t, r.Head.RequestID, "x-oss-request-id")
}

func checkPutHeadGet(t *testing.T, run stepRun) {
	r := decode[objectResult](t, run.result)
	requireReadBack(t, run, r, "video/mp4") // ali-oss derives it from the key's extension
	assert.Equal(t, http.StatusOK, r.PutStatus)
	assert.Equal(t, r.PutETag, r.Head.ETag)
	assert.Equal(t, crcString(run.input), r.PutCRC64, "PutObject's x-oss-hash-crc64ecma")
	assert.Equal(t, "3000", r.Auth.Expiration, "UploadAuth.Expiration: VOD's documented lifetime in seconds")
	assert.Equal(t, run.srv.Region, r.Auth.Region)
	assert.Equal(t, int64(1), run.srv.Counters().Requests["PutObject"])
}

// checkDefaultsRefused: ali-oss's default region names another region's
// endpoint in Host. Over HTTP OSS answers that with 403 AccessDenied. Over
// HTTPS Node checks the certificate against that Host, and the emulator's
// names only its own region's endpoints, so the request never leaves the
// client.
func checkDefaultsRefused(t *testing.T, run stepRun) {
	r := decode[struct {
		Region  string  `json:"region"`
		Refused failure `json:"refused"`
	}](t, run.result)
	require.Equal(t, run.srv.Region, r.Region)
	if run.tls {
		assert.Equal(t, -1, r.Refused.Status, "%+v", r.Refused)
		assert.Contains(t, r.Refused.Message, "does not match certificate's altnames")
		assert.Zero(t, run.srv.Counters().Requests["PutObject"])
	} else {
		requireOSSError(t, r.Refused, http.StatusForbidden, "AccessDenied")
	}
	assert.Zero(t, run.srv.Counters().BytesReceived)
}

func checkDefaultsHangzhou(t *testing.T, run stepRun) {
	r := decode[objectResult](t, run.result)
	requireReadBack(t, run, r, "video/mp4")
}

func checkPutStream(t *testing.T, run stepRun) {
	r := decode[objectResult](t, run.result)
	requireReadBack(t, run, r, "application/octet-stream")
	assert.Equal(t, http.StatusOK, r.PutStatus)
	assert.Equal(t, r.PutETag, r.Head.ETag)
	assert.Equal(t, crcString(run.input), r.PutCRC64, "PutObject's x-oss-hash-crc64ecma")
}

func checkImageUpload(t *testing.T, run stepRun) {
	r := decode[objectResult](t, run.result)
	requireReadBack(t, run, r, "image/png")
	assert.NotEmpty(t, r.ImageURL)
}

func checkAttachedUpload(t *testing.T, run stepRun) {
	r := decode[objectResult](t, run.result)
	requireReadBack(t, run, r, "image/png")
	assert.NotEmpty(t, r.MediaURL)
}

func checkCrossKeyDenied(t *testing.T, run stepRun) {
	r := decode[struct {
		Bucket         string  `json:"bucket"`
		Key            string  `json:"key"`
		OtherBucket    string  `json:"otherBucket"`
		OtherKey       string  `json:"otherKey"`
		PutOther       failure `json:"putOther"`
		MultipartOther failure `json:"multipartOther"`
	}](t, run.result)
	requireStored(t, run.srv, r.Bucket, r.Key, run.input)
	require.NotEqual(t, r.Key, r.OtherKey)
	requireOSSError(t, r.PutOther, http.StatusForbidden, "AccessDenied")
	requireOSSError(t, r.MultipartOther, http.StatusForbidden, "AccessDenied")
	_, err := run.srv.Object(r.OtherBucket, r.OtherKey)
	require.Error(t, err, "the other video's object must not exist")
	assert.Empty(t, run.srv.MultipartUploads())
	assert.Equal(t, int64(2), run.srv.Counters().Errors["AccessDenied"])
}
