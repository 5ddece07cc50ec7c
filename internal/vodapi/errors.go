package vodapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/vodupload/vodupload/internal/apierr"
	"github.com/vodupload/vodupload/internal/retry"
)

// TimeoutError is returned when an attempt got no answer within
// Config.Timeout while the caller's context was still live. It matches
// context.DeadlineExceeded with errors.Is.
type TimeoutError struct {
	Op    string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("vod %s: no answer within %s", e.Op, e.After.Round(time.Millisecond))
}

// Unwrap lets errors.Is(err, context.DeadlineExceeded) hold.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// Timeout marks it as a net.Error-style timeout.
func (e *TimeoutError) Timeout() bool { return true }

// translate turns what the SDK returned into this package's errors:
// context errors stay context errors, VOD answers become *apierr.Error,
// and transport errors lose the request URL, whose query carries the
// signature and any SecurityToken.
func (c *Client) translate(ctx, attemptCtx context.Context, action string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("vod %s: %w", action, cerr)
	}
	if attemptCtx.Err() != nil {
		return &TimeoutError{Op: action, After: c.cfg.Timeout}
	}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return &apierr.Error{
			Service:    apierr.VOD,
			Op:         action,
			StatusCode: se.HttpStatus(),
			Code:       se.ErrorCode(),
			Message:    cleanMessage(se.Message()),
			RequestID:  se.RequestId(),
			HostID:     se.HostId(),
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("vod %s: %w", action, redactURLError(ue))
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		if ce.ErrorCode() == sdkerrors.JsonUnmarshalErrorCode {
			// The JSON parser's error quotes the answer around the fault,
			// which in a success answer is the middle of an UploadAuth.
			return fmt.Errorf("vod %s: %s: the answer is not the JSON VOD sends", action, ce.ErrorCode())
		}
		if origin := ce.OriginError(); origin != nil {
			if errors.As(origin, &ue) {
				origin = redactURLError(ue)
			}
			return fmt.Errorf("vod %s: %s: %w", action, ce.ErrorCode(), origin)
		}
		return fmt.Errorf("vod %s: %s: %s", action, ce.ErrorCode(), cleanMessage(ce.Message()))
	}
	return fmt.Errorf("vod %s: %w", action, err)
}

// redactURLError keeps scheme, host and path of the failed request.
func redactURLError(ue *url.Error) *url.Error {
	where := "(unparsable URL)"
	if u, err := url.Parse(ue.URL); err == nil {
		where = u.Scheme + "://" + u.Host + u.Path
	}
	return &url.Error{Op: ue.Op, URL: where, Err: ue.Err}
}

// stringToSignMarker starts the part of a SignatureDoesNotMatch message in
// which POP echoes its string-to-sign, which includes any SecurityToken.
const stringToSignMarker = "server string to sign is:"

// secretParam finds credential-bearing parameters in text VOD or a proxy
// may have echoed: query style (SecurityToken=...), encoded or JSON style
// ("UploadAuth":"...").
var secretParam = regexp.MustCompile(`(?i)(SecurityToken|Signature|AccessKeySecret|UploadAuth)(=|%3D|"\s*:\s*")[^&\s"<]*`)

// maxMessage bounds a message: a non-JSON error body arrives whole.
const maxMessage = 512

// cleanMessage strips what an error message must not carry.
func cleanMessage(msg string) string {
	if i := strings.Index(msg, stringToSignMarker); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	msg = secretParam.ReplaceAllString(msg, "${1}${2}"+redacted)
	if len(msg) > maxMessage {
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "…"
	}
	return msg
}

// idempotent is the retry rule for calls that change nothing or whose
// repetition is harmless (RefreshUploadVideo only issues another
// credential): VOD 5xx and throttling, attempt timeouts, network errors.
func idempotent(err error) bool {
	var te *TimeoutError
	if errors.As(err, &te) {
		return true
	}
	return retry.Classify(err) == retry.Transient
}

// notDelivered is the retry rule for calls that create media. A Create
// that reached VOD may have created its video even if the answer was
// lost, and repeating it makes a duplicate, orphaned record in the
// customer's library. So retry only what surely never reached the
// service: refused connections, failed name lookups, and throttling, which
// POP's gateway decides before the service sees the request.
func notDelivered(err error) bool {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return strings.HasPrefix(ae.Code, "Throttling")
	}
	var dns *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dns)
}
