package emulator

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// ossError is an OSS error answer. Messages follow OSS's wording where OSS
// documents it and never carry a credential secret.
type ossError struct {
	status  int
	code    string
	message string
	// ec is OSS's fine-grained error code (Error/EC and x-oss-ec), set only
	// where the OSS reference (its EC pages or a recorded answer) gives the
	// value for this cause; elsewhere the answer has no EC.
	ec string
	// extra are the elements OSS adds after HostId for this error (Key,
	// BucketName, UploadId, ArgumentName, StringToSign, ...), in its order.
	extra []xmlField
}

type xmlField struct{ name, value string }

func (e *ossError) Error() string { return "oss " + e.code + ": " + e.message }

func newOSSError(status int, code, message string) *ossError {
	return &ossError{status: status, code: code, message: message}
}

// withEC returns e with OSS's fine-grained error code.
func (e *ossError) withEC(ec string) *ossError {
	c := *e
	c.ec = ec
	return &c
}

// with returns e with one more element after HostId.
func (e *ossError) with(name, value string) *ossError {
	c := *e
	c.extra = append(append([]xmlField(nil), e.extra...), xmlField{name, value})
	return &c
}

func errInternal() *ossError {
	return newOSSError(http.StatusInternalServerError, "InternalError",
		"We encountered an internal error. Please try again.")
}

func errServiceUnavailable() *ossError {
	return newOSSError(http.StatusServiceUnavailable, "ServiceUnavailable",
		"Please reduce your request rate.")
}

func errSlowDown() *ossError {
	return newOSSError(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
}

func errNotImplemented(what string) *ossError {
	return newOSSError(http.StatusNotImplemented, "NotImplemented",
		"The emulator does not implement "+what+".")
}

func errAccessDenied(message string) *ossError {
	return newOSSError(http.StatusForbidden, "AccessDenied", message)
}

func errInvalidArgument(message string) *ossError {
	return newOSSError(http.StatusBadRequest, "InvalidArgument", message)
}

// errNoSuchBucket carries BucketName and EC 0015-00000101, as in the
// answers recorded in alibabacloud-oss-go-sdk-v2 (client_mock_test.go).
func errNoSuchBucket(bucket string) *ossError {
	return newOSSError(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.").
		with("BucketName", bucket).withEC("0015-00000101")
}

// errNoSuchKey carries Key and EC 0026-00000001, as real GetObject answers
// do (and oss2 tests/test_exception_ec.py for HeadObject).
func errNoSuchKey(key string) *ossError {
	return newOSSError(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.").
		with("Key", key).withEC("0026-00000001")
}

// errNoSuchUpload carries UploadId (OSS EC page 0017-00000244's sample
// answer). The EC is the operation's: only UploadPart's is documented.
func errNoSuchUpload(id string) *ossError {
	return newOSSError(http.StatusNotFound, "NoSuchUpload",
		"The specified upload does not exist. The upload ID may be invalid, "+
			"or the upload may have been aborted or completed.").with("UploadId", id)
}

func errIncompleteBody() *ossError {
	return newOSSError(http.StatusBadRequest, "IncompleteBody",
		"You did not send the number of bytes specified by the Content-Length HTTP header.")
}

// errInvalidDigest is a Content-MD5 that is not a base64 MD5 (EC
// 0017-00000502) or does not match the body (EC 0017-00000503).
func errInvalidDigest(ec string) *ossError {
	return newOSSError(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.").
		withEC(ec)
}

func errEntityTooLarge() *ossError {
	return newOSSError(http.StatusBadRequest, "EntityTooLarge",
		"Your proposed upload exceeds the maximum allowed size.")
}

func errMalformedXML() *ossError {
	return newOSSError(http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema.")
}

// maxErrorDrain bounds how much of an unread request body is consumed
// before an error answer, so a client still sending gets the error rather
// than a connection reset, without reading a huge body for nothing.
const maxErrorDrain = 16 << 20

// errorDocument renders e as OSS does ("Error responses" reference):
// Code, Message, RequestId, HostId, the error's own elements, then EC and
// RecommendDoc when there is an EC. HostId is the Host the request used.
func errorDocument(e *ossError, requestID, host string) []byte {
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error>\n")
	field := func(name, value string) {
		b.WriteString("  <" + name + ">" + escapeXMLText(value) + "</" + name + ">\n")
	}
	field("Code", e.code)
	field("Message", e.message)
	field("RequestId", requestID)
	field("HostId", host)
	for _, f := range e.extra {
		field(f.name, f.value)
	}
	if e.ec != "" {
		field("EC", e.ec)
		field("RecommendDoc", "https://api.aliyun.com/troubleshoot?q="+e.ec)
	}
	b.WriteString("</Error>\n")
	return []byte(b.String())
}

// escapeXMLText escapes value for element text, leaving line feeds as
// they are: StringToSign is several lines.
func escapeXMLText(value string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(value)) // a strings.Builder never fails
	return strings.ReplaceAll(b.String(), "&#xA;", "\n")
}

// writeOSSError answers r with e the way OSS does: an XML body, or for
// HEAD (which has no body) the same XML base64-encoded in x-oss-err, which
// the official SDKs decode; x-oss-ec repeats the EC.
func (s *Server) writeOSSError(w http.ResponseWriter, r *http.Request, requestID string, e *ossError) {
	s.countError(e.code)
	body := errorDocument(e, requestID, r.Host)
	if r.Body != nil {
		_, _ = io.CopyN(io.Discard, r.Body, maxErrorDrain)
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	if e.ec != "" {
		h.Set("x-oss-ec", e.ec)
	}
	if r.Method == http.MethodHead {
		h.Set("x-oss-err", base64.StdEncoding.EncodeToString(body))
		w.WriteHeader(e.status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// asOSSError maps a handler error to the answer: an *ossError anywhere in
// the chain is answered as is, anything else is an InternalError.
func asOSSError(err error) *ossError {
	var oe *ossError
	if errors.As(err, &oe) {
		return oe
	}
	return errInternal()
}
