package ossclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/retry"
)

// fuzzOps are the adapter calls the fuzzer picks from.
var fuzzOps = []string{"PutObject", "InitiateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
	"AbortMultipartUpload", "ListParts", "HeadObject"}

// callOp runs one adapter call and reports the ETag and CRC header a
// successful write returned.
func callOp(ctx context.Context, c *Client, op string) (etag string, hasCRC bool, crc uint64, err error) {
	const key, id = "sv/fuzz/a.mp4", "UPLOADID"
	switch op {
	case "PutObject":
		r, err := c.PutObject(ctx, key, strings.NewReader("hello"), 5)
		return r.ETag, r.HasCRC, r.CRC64, err
	case "InitiateMultipartUpload":
		_, err := c.InitiateMultipart(ctx, key)
		return "", false, 0, err
	case "UploadPart":
		p, err := c.UploadPart(ctx, key, id, 1, strings.NewReader("hello"), 5)
		return p.ETag, p.HasCRC, p.CRC64, err
	case "CompleteMultipartUpload":
		_, err := c.CompleteMultipart(ctx, key, id, []Part{{Number: 1, ETag: `"E"`}})
		return "", false, 0, err
	case "AbortMultipartUpload":
		return "", false, 0, c.AbortMultipart(ctx, key, id)
	case "ListParts":
		_, err := c.ListParts(ctx, key, id)
		return "", false, 0, err
	default:
		_, _, err := c.HeadObject(ctx, key)
		return "", false, 0, err
	}
}

// FuzzOSSAnswer serves every adapter call an arbitrary status, body, ETag
// and x-oss-hash-crc64ecma. Whatever OSS or a proxy answers, the adapter
// returns an error or a result it can stand behind: an error status is
// never a success, a 5xx is always worth retrying, a stored object always
// has an ETag and a CRC that parses, and nothing panics.
func FuzzOSSAnswer(f *testing.F) {
	errDoc := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>m</Message><RequestId>r</RequestId><HostId>h</HostId></Error>`
	f.Add(uint8(0), uint16(200), "", `"ETAG"`, "123")
	f.Add(uint8(0), uint16(200), errDoc, "", "")
	f.Add(uint8(0), uint16(200), "", `"ETAG"`, "not-a-number")
	f.Add(uint8(2), uint16(200), "", "", "")
	f.Add(uint8(0), uint16(500), errDoc[:60], "", "")
	f.Add(uint8(0), uint16(503), "<html>busy</html>", "", "")
	f.Add(uint8(1), uint16(200), `<InitiateMultipartUploadResult><UploadId></UploadId></InitiateMultipartUploadResult>`, "", "")
	f.Add(uint8(1), uint16(200), `<InitiateMultipartUploadResult><UploadId>X</UploadId>`, "", "")
	f.Add(uint8(3), uint16(200), errDoc, "", "")
	f.Add(uint8(3), uint16(200), `<CompleteMultipartUploadResult><ETag>"E"</ETag></CompleteMultipartUploadResult>`, "", "18446744073709551615")
	f.Add(uint8(5), uint16(200), `<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>5</NextPartNumberMarker></ListPartsResult>`, "", "")
	f.Add(uint8(5), uint16(200), `<ListPartsResult><Part><PartNumber>-1</PartNumber><Size>-5</Size></Part></ListPartsResult>`, "", "")
	f.Add(uint8(6), uint16(404), "", "", "")
	f.Add(uint8(4), uint16(403), `<Error><Code>SecurityTokenExpired</Code></Error>`, "", "")
	f.Fuzz(func(t *testing.T, opIndex uint8, status uint16, body, etag, crc string) {
		op := fuzzOps[int(opIndex)%len(fuzzOps)]
		code := int(status)
		if code < 200 || code > 599 {
			code = 200 + code%400 // net/http refuses to write 1xx and 600+ this way
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "application/xml")
			h.Set(oss.HTTPHeaderOssRequestID, "FUZZ")
			if etag != "" {
				h.Set("ETag", etag)
			}
			if crc != "" {
				h.Set(oss.HTTPHeaderOssCRC64, crc)
			}
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		}))
		defer srv.Close()
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		defer hc.CloseIdleConnections()
		c, err := New(Config{Endpoint: srv.URL, Bucket: "outin-fuzz", HTTPClient: hc,
			Credentials: staticCredentials{}})
		if err != nil {
			t.Fatal(err)
		}

		gotETag, hasCRC, gotCRC, err := callOp(t.Context(), c, op)
		if err != nil {
			checkFailure(t, op, code, err)
			return
		}
		if code >= 300 && !(op == "HeadObject" && code == http.StatusNotModified) {
			t.Fatalf("%s: HTTP %d taken for success", op, code)
		}
		if op == "PutObject" || op == "UploadPart" {
			if gotETag == "" {
				t.Fatalf("%s: success without an ETag", op)
			}
			if want, perr := strconv.ParseUint(strings.TrimSpace(crc), 10, 64); hasCRC && (perr != nil || want != gotCRC) {
				t.Fatalf("%s: CRC header %q read as %d", op, crc, gotCRC)
			}
		}
	})
}

// checkFailure holds an error to the promises the engine's retry policy
// relies on.
func checkFailure(t *testing.T, op string, code int, err error) {
	t.Helper()
	var ae *apierr.Error
	if errors.As(err, &ae) && ae.Service != apierr.OSS {
		t.Fatalf("%s: error from service %q", op, ae.Service)
	}
	if code >= 500 && retry.Classify(err) == retry.Permanent {
		t.Fatalf("%s: HTTP %d classified permanent: %v", op, code, err)
	}
}

// staticCredentials signs with a fixed STS triple.
type staticCredentials struct{}

func (staticCredentials) GetCredentials() oss.Credentials { return staticCredentials{} }
func (staticCredentials) GetAccessKeyID() string          { return "STS.fuzz" }
func (staticCredentials) GetAccessKeySecret() string      { return "fuzz-secret" }
func (staticCredentials) GetSecurityToken() string        { return "CAIS-fuzz-token" }
