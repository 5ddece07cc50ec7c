package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/vodupload/vodupload"
)

// errorBody is the JSON every failure answers with:
//
//	{"error":{"code":"InvalidParameter","field":"title","message":"…","request_id":"…"}}
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"` // VOD's, for support tickets
}

// httpError is a failure with the HTTP answer it deserves.
type httpError struct {
	status     int
	detail     errorDetail
	retryAfter time.Duration // sent as Retry-After when positive
}

func (e *httpError) Error() string { return e.detail.Code + ": " + e.detail.Message }

// statusClientClosedRequest is nginx's code for a client that hung up
// before the answer; it only ever reaches the access log.
const statusClientClosedRequest = 499

// classify maps an error from the AppServer or the SDK to its answer.
func classify(err error) *httpError {
	var (
		he *httpError
		ve *vodupload.ValidationError
		ae *vodupload.APIError
	)
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &ve):
		return &httpError{status: http.StatusBadRequest,
			detail: errorDetail{Code: "InvalidParameter", Field: ve.Field, Message: ve.Error()}}
	case errors.Is(err, vodupload.ErrValidation):
		return &httpError{status: http.StatusBadRequest,
			detail: errorDetail{Code: "InvalidParameter", Message: err.Error()}}
	case errors.As(err, &ae):
		return fromAPIError(ae)
	case errors.Is(err, context.DeadlineExceeded):
		return &httpError{status: http.StatusGatewayTimeout,
			detail: errorDetail{Code: "GatewayTimeout", Message: "VOD did not answer in time"}}
	case errors.Is(err, context.Canceled):
		return &httpError{status: statusClientClosedRequest,
			detail: errorDetail{Code: "ClientClosedRequest", Message: "request cancelled"}}
	default:
		return &httpError{status: http.StatusBadGateway,
			detail: errorDetail{Code: "UpstreamError", Message: "the call to VOD failed"}}
	}
}

// fromAPIError passes VOD's verdict on the client's request through (an
// unknown VideoId stays 404 InvalidVideo.NotFound) but reports trouble
// between the AppServer and VOD as a gateway failure: the client can do
// nothing about an overloaded VOD or a rejected AccessKey.
func fromAPIError(ae *vodupload.APIError) *httpError {
	d := errorDetail{Code: ae.Code, Message: ae.Message, RequestID: ae.RequestID}
	if d.Code == "" {
		d.Code = "UpstreamError"
	}
	switch {
	case throttled(ae):
		return &httpError{status: http.StatusServiceUnavailable, detail: d, retryAfter: time.Second}
	case ae.Temporary():
		return &httpError{status: http.StatusBadGateway, detail: d}
	case upstreamAuth(ae):
		// VOD's message may echo the AccessKeyId or signing details.
		d.Message = "VOD rejected the AppServer's credentials"
		return &httpError{status: http.StatusBadGateway, detail: d}
	case ae.StatusCode >= 400 && ae.StatusCode < 500:
		return &httpError{status: ae.StatusCode, detail: d}
	default:
		return &httpError{status: http.StatusBadGateway, detail: d}
	}
}

func throttled(ae *vodupload.APIError) bool {
	return ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode == http.StatusServiceUnavailable ||
		strings.HasPrefix(ae.Code, "Throttling") || ae.Code == "ServiceUnavailable"
}

// upstreamAuth reports errors about the AppServer's own AccessKey or
// signature, which VOD answers with 400, 403 or even 404.
func upstreamAuth(ae *vodupload.APIError) bool {
	if ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden {
		return true
	}
	for _, p := range []string{"InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature",
		"InvalidSecurityToken", "SignatureNonceUsed", "InvalidTimeStamp", "Forbidden"} {
		if strings.HasPrefix(ae.Code, p) {
			return true
		}
	}
	return false
}

// fail answers err and records it for the access log.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	he := classify(err)
	ri := infoFrom(r.Context())
	ri.errCode = he.detail.Code
	var ae *vodupload.APIError
	if errors.As(err, &ae) && ae.RequestID != "" {
		ri.vodReqID = ae.RequestID // logged even when the answer leaves it out
	}
	ri.err = err
	writeError(w, he)
}

func writeError(w http.ResponseWriter, he *httpError) {
	if he.retryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(he.retryAfter))
	}
	writeJSON(w, he.status, errorBody{Error: he.detail})
}

// writeJSON answers v. Every answer may carry a credential or say
// something about one, so none may be cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client has hung up; nothing left to tell it
}

// notFound is the JSON 404 for paths the API does not have.
func notFound(w http.ResponseWriter, r *http.Request) {
	infoFrom(r.Context()).errCode = "NotFound"
	writeError(w, &httpError{status: http.StatusNotFound,
		detail: errorDetail{Code: "NotFound", Message: "no such endpoint"}})
}

// methodNotAllowed is the JSON 405 for an endpoint's other methods.
func methodNotAllowed(methods []string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoFrom(r.Context()).errCode = "MethodNotAllowed"
		w.Header().Set("Allow", allow)
		writeError(w, &httpError{status: http.StatusMethodNotAllowed,
			detail: errorDetail{Code: "MethodNotAllowed", Message: r.Method + " is not allowed here; use " + allow}})
	})
}
