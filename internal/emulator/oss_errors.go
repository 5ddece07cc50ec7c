package emulator

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// ossError is an OSS error answer. Messages follow OSS's wording where OSS
// documents it and never carry a credential.
type ossError struct {
	status  int
	code    string
	message string
}

func (e *ossError) Error() string { return "oss " + e.code + ": " + e.message }

func newOSSError(status int, code, message string) *ossError {
	return &ossError{status: status, code: code, message: message}
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

func errNoSuchKey() *ossError {
	return newOSSError(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
}

func errNoSuchUpload() *ossError {
	return newOSSError(http.StatusNotFound, "NoSuchUpload",
		"The specified upload does not exist. The upload ID may be invalid, "+
			"or the upload may have been aborted or completed.")
}

func errIncompleteBody() *ossError {
	return newOSSError(http.StatusBadRequest, "IncompleteBody",
		"You did not send the number of bytes specified by the Content-Length HTTP header.")
}

func errInvalidDigest() *ossError {
	return newOSSError(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.")
}

func errEntityTooLarge() *ossError {
	return newOSSError(http.StatusBadRequest, "EntityTooLarge",
		"Your proposed upload exceeds the maximum allowed size.")
}

func errMalformedXML() *ossError {
	return newOSSError(http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema.")
}

// ossErrorBody is the XML body of every OSS error.
type ossErrorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

// maxErrorDrain bounds how much of an unread request body is consumed
// before an error answer, so a client still sending gets the error rather
// than a connection reset, without reading a huge body for nothing.
const maxErrorDrain = 16 << 20

// writeOSSError answers r with e the way OSS does: an XML body, or for
// HEAD (which has no body) the same XML base64-encoded in x-oss-err, which
// aliyun-oss-go-sdk decodes.
func (s *Server) writeOSSError(w http.ResponseWriter, r *http.Request, requestID string, e *ossError) {
	s.countError(e.code)
	// A struct of strings always marshals.
	body, _ := xml.Marshal(ossErrorBody{
		Code: e.code, Message: e.message, RequestID: requestID, HostID: r.Host,
	})
	body = append([]byte(xml.Header), body...)
	if r.Body != nil {
		_, _ = io.CopyN(io.Discard, r.Body, maxErrorDrain)
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
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
