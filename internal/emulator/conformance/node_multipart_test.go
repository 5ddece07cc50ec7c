package conformance_test

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const partSize = 100 << 10 // the JS suite's part size, OSS's minimum

// ossListTime is how OSS writes times in list XML: whole seconds, ".000Z".
var ossListTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$`)

// multipartResult is what the multipartUpload steps report.
type multipartResult struct {
	MediaID  string `json:"mediaId"`
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
	UploadID string `json:"uploadId"`
	Parts    int    `json:"parts"`
}

func multipartSteps() []nodeStep {
	return []nodeStep{
		{name: "multipart-progress", input: 1<<20 + 1234, check: checkMultipartProgress},
		{name: "multipart-cancel-resume", input: 12*partSize - 77, check: checkCancelResume},
		{name: "list-abort", input: 2*partSize - 5, check: checkListAbort},
		{name: "multipart-by-hand", input: 2*partSize + 999, check: checkMultipartByHand},
		{name: "sts-refresh", input: 8 * partSize, ttl: 2 * time.Second, check: checkSTSRefresh},
	}
}

// requireEveryPartOnce asserts parts 1..n each reached the emulator once.
func requireEveryPartOnce(t *testing.T, run stepRun, r multipartResult) {
	t.Helper()
	require.NotEmpty(t, r.UploadID)
	require.Equal(t, (len(run.input)+partSize-1)/partSize, r.Parts)
	sent := run.srv.Counters().Parts[r.UploadID]
	for n := 1; n <= r.Parts; n++ {
		assert.Equal(t, int64(1), sent[n], "part %d uploads", n)
	}
	assert.Len(t, sent, r.Parts)
}

func checkMultipartProgress(t *testing.T, run stepRun) {
	r := decode[struct {
		multipartResult
		Progress []float64 `json:"progress"`
		ETag     string    `json:"etag"`
	}](t, run.result)
	requireStored(t, run.srv, r.Bucket, r.Key, run.input)
	requireEveryPartOnce(t, run, r.multipartResult)
	// ali-oss reports 0 after InitiateMultipartUpload, done/(parts+1)
	// after each part, and 1 after CompleteMultipartUpload.
	require.Len(t, r.Progress, r.Parts+2, "progress calls: %v", r.Progress)
	assert.Zero(t, r.Progress[0])
	assert.Equal(t, 1.0, r.Progress[len(r.Progress)-1])
	for i := 1; i < len(r.Progress); i++ {
		assert.Greater(t, r.Progress[i], r.Progress[i-1], "progress must increase: %v", r.Progress)
	}
	assert.NotEmpty(t, r.ETag)
	assert.Empty(t, run.srv.MultipartUploads())
}

func checkCancelResume(t *testing.T, run stepRun) {
	r := decode[struct {
		multipartResult
		Cancelled    failure `json:"cancelled"`
		DoneAtCancel []int   `json:"doneAtCancel"`
		ResumedParts int     `json:"resumedParts"`
	}](t, run.result)
	requireStored(t, run.srv, r.Bucket, r.Key, run.input)
	assert.Equal(t, "cancel", r.Cancelled.Name, "multipartUpload must end with ali-oss's cancel event: %+v", r.Cancelled)
	require.GreaterOrEqual(t, len(r.DoneAtCancel), 4)
	require.Less(t, len(r.DoneAtCancel), r.Parts, "cancel came too late to leave anything to resume")
	// The resumed upload sent exactly the parts the checkpoint lacked, and
	// none the checkpoint had reached the emulator twice. A part in flight
	// at cancel may have landed too; the checkpoint did not know it, so
	// sending it again is right.
	assert.Equal(t, r.Parts-len(r.DoneAtCancel), r.ResumedParts)
	sent := run.srv.Counters().Parts[r.UploadID]
	for _, n := range r.DoneAtCancel {
		assert.Equal(t, int64(1), sent[n], "part %d was done before cancel and must not be sent again", n)
	}
	for n := 1; n <= r.Parts; n++ {
		assert.GreaterOrEqual(t, sent[n], int64(1), "part %d", n)
	}
	assert.Equal(t, int64(1), run.srv.Counters().Refreshes, "the resume used a RefreshUploadVideo credential")
	assert.Empty(t, run.srv.MultipartUploads())
}

type listedPart struct {
	Number       int    `json:"number"`
	ETag         string `json:"etag"`
	Size         int    `json:"size"`
	LastModified string `json:"lastModified"`
}

type listFacts struct {
	Bucket               string       `json:"bucket"`
	Key                  string       `json:"key"`
	Parts                []listedPart `json:"parts"`
	IsTruncated          string       `json:"isTruncated"`
	NextPartNumberMarker string       `json:"nextPartNumberMarker"`
}

func checkListAbort(t *testing.T, run stepRun) {
	r := decode[struct {
		Bucket   string `json:"bucket"`
		Key      string `json:"key"`
		UploadID string `json:"uploadId"`
		Sent     []struct {
			Number int    `json:"number"`
			ETag   string `json:"etag"`
			Size   int    `json:"size"`
		} `json:"sent"`
		Listed, Page1, Page2 listFacts
		UploadsBefore        []struct {
			Name      string `json:"name"`
			UploadID  string `json:"uploadId"`
			Initiated string `json:"initiated"`
		} `json:"uploadsBefore"`
		UploadsAfter         []any   `json:"uploadsAfter"`
		ListPartsAfterAbort  failure `json:"listPartsAfterAbort"`
		UploadPartAfterAbort failure `json:"uploadPartAfterAbort"`
	}](t, run.result)
	require.Len(t, r.Sent, 2)

	require.Len(t, r.Listed.Parts, 2)
	assert.Equal(t, "false", r.Listed.IsTruncated)
	assert.Equal(t, r.Bucket, r.Listed.Bucket)
	assert.Equal(t, r.Key, r.Listed.Key)
	for i, p := range r.Listed.Parts {
		assert.Equal(t, r.Sent[i].Number, p.Number)
		assert.Equal(t, r.Sent[i].ETag, p.ETag)
		assert.Equal(t, r.Sent[i].Size, p.Size)
		assert.Regexp(t, ossListTime, p.LastModified)
	}
	require.Len(t, r.Page1.Parts, 1)
	assert.Equal(t, 1, r.Page1.Parts[0].Number)
	assert.Equal(t, "true", r.Page1.IsTruncated)
	assert.Equal(t, "1", r.Page1.NextPartNumberMarker)
	require.Len(t, r.Page2.Parts, 1)
	assert.Equal(t, 2, r.Page2.Parts[0].Number)
	assert.Equal(t, "false", r.Page2.IsTruncated)

	require.Len(t, r.UploadsBefore, 1)
	assert.Equal(t, r.Key, r.UploadsBefore[0].Name)
	assert.Equal(t, r.UploadID, r.UploadsBefore[0].UploadID)
	assert.Regexp(t, ossListTime, r.UploadsBefore[0].Initiated)
	assert.Empty(t, r.UploadsAfter)
	requireOSSError(t, r.ListPartsAfterAbort, http.StatusNotFound, "NoSuchUpload")
	requireOSSError(t, r.UploadPartAfterAbort, http.StatusNotFound, "NoSuchUpload")
	assert.NotContains(t, run.srv.MultipartUploads(), r.UploadID)
	_, err := run.srv.Object(r.Bucket, r.Key)
	assert.Error(t, err, "an aborted upload leaves no object")
}

func checkMultipartByHand(t *testing.T, run stepRun) {
	r := decode[struct {
		multipartResult
		Init struct {
			Bucket string `json:"bucket"`
			Key    string `json:"key"`
		} `json:"init"`
		CompleteStatus int    `json:"completeStatus"`
		CompleteETag   string `json:"completeEtag"`
		ContentType    string `json:"contentType"`
		HeadETag       string `json:"headEtag"`
		ObjectType     string `json:"objectType"`
		GetBase64      string `json:"getBase64"`
	}](t, run.result)
	requireStored(t, run.srv, r.Bucket, r.Key, run.input)
	requireEveryPartOnce(t, run, r.multipartResult)
	assert.Equal(t, r.Bucket, r.Init.Bucket, "InitiateMultipartUploadResult Bucket")
	assert.Equal(t, r.Key, r.Init.Key, "InitiateMultipartUploadResult Key")
	assert.Equal(t, http.StatusOK, r.CompleteStatus)
	assert.Equal(t, "video/mp4", r.ContentType, "the Content-Type given at InitiateMultipartUpload")
	assert.Equal(t, r.CompleteETag, r.HeadETag)
	assert.Regexp(t, `^"[0-9A-F]{32}-`+strconv.Itoa(r.Parts)+`"$`, r.HeadETag, "multipart ETag")
	assert.Equal(t, "Multipart", r.ObjectType)
	got, err := base64.StdEncoding.DecodeString(r.GetBase64)
	require.NoError(t, err)
	assert.Equal(t, run.input, got)
}

func checkSTSRefresh(t *testing.T, run stepRun) {
	r := decode[struct {
		multipartResult
		Refreshes       int     `json:"refreshes"`
		ElapsedMs       int64   `json:"elapsedMs"`
		TTLMs           int64   `json:"ttlMs"`
		FirstCredential failure `json:"firstCredential"`
	}](t, run.result)
	requireStored(t, run.srv, r.Bucket, r.Key, run.input)
	requireEveryPartOnce(t, run, r.multipartResult)
	require.Greater(t, r.ElapsedMs, r.TTLMs, "the upload must outlive its first credential")
	require.GreaterOrEqual(t, r.Refreshes, 1)
	assert.Equal(t, int64(r.Refreshes), run.srv.Counters().Refreshes, "each refreshSTSToken is one RefreshUploadVideo")
	requireOSSError(t, r.FirstCredential, http.StatusForbidden, "SecurityTokenExpired")
	assert.Zero(t, run.srv.Counters().Errors["SecurityTokenExpired"]-1, "only the probe with the first credential may be refused")
}
