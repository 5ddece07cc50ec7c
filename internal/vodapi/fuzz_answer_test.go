package vodapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/retry"
)

// plantedAuth is the UploadAuth every fuzzed answer carries between the
// fuzzer's prefix and suffix.
var plantedAuth = b64(`{"AccessKeyId":"STS.fuzz","AccessKeySecret":"` + testSecret + `","SecurityToken":"` + testToken + `","Expiration":"3000"}`)

// quotesAuth reports whether text carries any 12 characters of the
// planted UploadAuth.
func quotesAuth(text string) bool {
	for i := 0; i+12 <= len(plantedAuth); i++ {
		if strings.Contains(text, plantedAuth[i:i+12]) {
			return true
		}
	}
	return false
}

// FuzzVODAnswer serves CreateUploadVideo an arbitrary status and body
// (prefix + an UploadAuth + suffix). Whatever VOD or a proxy on the way
// answers, the client returns a complete Upload or an error, never
// panics, and never quotes the UploadAuth: not from a success answer, and
// not from an error answer that names it.
func FuzzVODAnswer(f *testing.F) {
	addr := b64(`{"Endpoint":"https://oss-cn-shanghai.aliyuncs.com","Bucket":"outin-1","FileName":"sv/a/a.mp4"}`)
	f.Add(uint16(200), `{"RequestId":"r","VideoId":"v","UploadAddress":"`+addr+`","UploadAuth":"`, `"}`)
	f.Add(uint16(200), `{"RequestId":"r","UploadAddress":"`+addr+`","UploadAuth":"`, `"}`)
	f.Add(uint16(200), `{"RequestId":"r","VideoId":"v","UploadAddress":"`+addr+`","UploadAuth":"`, `"`)
	f.Add(uint16(200), `<html>`, ``)
	f.Add(uint16(400), `{"Code":"InvalidParameter","Message":"bad","RequestId":"r","HostId":"h","UploadAuth":"`, `"}`)
	f.Add(uint16(400), `{"Code":"SignatureDoesNotMatch","Message":"server string to sign is: GET&%2F&SecurityToken%3D`, `"}`)
	f.Add(uint16(502), `<html><body>bad gateway UploadAuth=`, `</body></html>`)
	f.Add(uint16(503), `{"Code":"ServiceUnavailable","Message":"`, `"`)
	f.Add(uint16(404), `{"Code":123,"UploadAuth":"`, `"}`)
	f.Fuzz(func(t *testing.T, status uint16, prefix, suffix string) {
		code := int(status)
		if code < 200 || code > 599 {
			code = 200 + code%400 // net/http refuses to write 1xx and 600+ this way
		}
		body := prefix + plantedAuth + suffix
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		}))
		defer srv.Close()
		c, err := New(Config{Endpoint: srv.URL, Credentials: credentials.NewStaticAKCredentialsProvider("LTAIfuzz", "fuzz-secret"),
			Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.policy = retry.Policy{MaxAttempts: 1}

		up, err := c.CreateUploadVideo(context.Background(), CreateVideoRequest{Title: "t", FileName: "a.mp4"})
		if err == nil {
			if code >= 300 {
				t.Fatalf("HTTP %d taken for success", code)
			}
			if up.MediaID == "" || up.Address.Bucket == "" || up.Auth.SecurityToken == "" {
				t.Fatalf("incomplete upload accepted: %+v", up)
			}
			return
		}
		text := err.Error()
		if code < 300 && quotesAuth(text) {
			t.Fatalf("error from a %d answer quotes the UploadAuth: %s", code, text)
		}
		named := strings.HasSuffix(prefix, `"UploadAuth":"`) || strings.HasSuffix(prefix, "UploadAuth=")
		if code >= 300 && named && !strings.Contains(prefix, plantedAuth[:12]) && quotesAuth(text) {
			t.Fatalf("error from a %d answer quotes the UploadAuth it names: %s", code, text)
		}
		var ae *apierr.Error
		if code >= 300 && errors.As(err, &ae) && (ae.StatusCode != code || len(ae.Message) > maxMessage+len("…")) {
			t.Fatalf("HTTP %d answer became %#v", code, ae)
		}
	})
}
