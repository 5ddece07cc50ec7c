package apierr

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestErrorText(t *testing.T) {
	t.Parallel()
	e := &Error{Service: OSS, Op: "UploadPart", StatusCode: 403, Code: "AccessDenied", Message: "no", RequestID: "R1"}
	assert.Equal(t, "OSS UploadPart: AccessDenied (HTTP 403): no [RequestId R1]", e.Error())
	assert.Equal(t, "VOD CreateUploadVideo: Throttling", (&Error{Service: VOD, Op: "CreateUploadVideo", Code: "Throttling"}).Error())
}

func TestClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e                  Error
		temporary, expired bool
	}{
		{Error{Service: OSS, StatusCode: 503, Code: "SlowDown"}, true, false},
		{Error{Service: OSS, StatusCode: 500, Code: "InternalError"}, true, false},
		{Error{Service: OSS, StatusCode: 429}, true, false},
		{Error{Service: OSS, StatusCode: 408, Code: "RequestTimeout"}, true, false},
		{Error{Service: VOD, StatusCode: 400, Code: "Throttling.User"}, true, false},
		{Error{Service: OSS, StatusCode: 403, Code: "SecurityTokenExpired"}, false, true},
		{Error{Service: OSS, StatusCode: 403, Code: "InvalidAccessKeyId"}, false, true},
		{Error{Service: VOD, StatusCode: 404, Code: "InvalidAccessKeyId"}, false, false},
		{Error{Service: OSS, StatusCode: 403, Code: "AccessDenied"}, false, false},
		{Error{Service: OSS, StatusCode: 404, Code: "NoSuchBucket"}, false, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.temporary, tt.e.Temporary(), "%+v", tt.e)
		assert.Equal(t, tt.expired, tt.e.CredentialExpired(), "%+v", tt.e)
	}
}
