// Package apierr holds the error type that both the VOD wrapper and the OSS
// adapter return, so the root package can expose it as vodupload.APIError
// without an import cycle.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Service names the remote service that answered.
type Service string

const (
	VOD Service = "VOD"
	OSS Service = "OSS"
)

// Error is an error answer from VOD or OSS. It never carries credentials:
// only the fields the service returned about the failure.
type Error struct {
	Service    Service
	Op         string // the action, e.g. "CreateUploadVideo" or "UploadPart"
	StatusCode int    // HTTP status; 0 when no response arrived
	Code       string // the service's error code, e.g. "SignatureDoesNotMatch"
	Message    string
	RequestID  string
	HostID     string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.Service, e.Op, e.Code)
	if e.StatusCode != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RequestID != "" {
		msg += " [RequestId " + e.RequestID + "]"
	}
	return msg
}

// Temporary reports whether retrying the same request may succeed: server
// errors, throttling and request timeouts.
func (e *Error) Temporary() bool {
	switch e.Code {
	case "SlowDown", "Throttling", "Throttling.User", "ServiceUnavailable",
		"InternalError", "RequestTimeout", "ServiceUnavailableTemporary":
		return true
	}
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests ||
		e.StatusCode == http.StatusRequestTimeout
}

// CredentialExpired reports whether the temporary credential the request
// was signed with has expired or is no longer recognised, which a fresh
// credential cures.
func (e *Error) CredentialExpired() bool {
	switch e.Code {
	case "SecurityTokenExpired", "InvalidAccessKeyId", "InvalidSecurityToken":
		return e.Service == OSS
	}
	return false
}

// HasCode reports whether err's chain holds an *Error with the given Code.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
