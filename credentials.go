package vodupload

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
)

// CredentialsProvider supplies the AccessKey (or STS token) that signs VOD
// API calls. It is an alias of alibaba-cloud-sdk-go's provider interface
// (github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials), on
// purpose: any of the SDK's providers (RAM role ARN, ECS RAM role, OIDC,
// CLI profile, credentials URI) can be passed as they are. VOD then issues
// a separate, short-lived upload credential per media file; that one is
// handled internally.
type CredentialsProvider = credentials.CredentialsProvider

// StaticCredentials uses a fixed AccessKey pair.
func StaticCredentials(accessKeyID, accessKeySecret string) CredentialsProvider {
	return credentials.NewStaticAKCredentialsProvider(accessKeyID, accessKeySecret)
}

// STSCredentials uses a fixed STS token, e.g. one an AppServer obtained
// from AssumeRole. It stops working when the token expires.
func STSCredentials(accessKeyID, accessKeySecret, securityToken string) CredentialsProvider {
	return credentials.NewStaticSTSCredentialsProvider(accessKeyID, accessKeySecret, securityToken)
}

// EnvironmentCredentials reads ALIBABA_CLOUD_ACCESS_KEY_ID,
// ALIBABA_CLOUD_ACCESS_KEY_SECRET and, when set,
// ALIBABA_CLOUD_SECURITY_TOKEN on every call, so rotated values are picked
// up.
func EnvironmentCredentials() CredentialsProvider {
	return credentials.NewEnvironmentVariableCredentialsProvider()
}

// ECSRAMRoleCredentials uses the RAM role attached to the ECS instance
// (through the instance metadata service). roleName may be empty to use the
// attached role.
func ECSRAMRoleCredentials(roleName string) (CredentialsProvider, error) {
	return credentials.NewECSRAMRoleCredentialsProviderBuilder().WithRoleName(roleName).Build()
}

// DefaultCredentials is the SDK's default chain: environment variables,
// OIDC role (ACK RRSA), the Alibaba Cloud CLI profile, the credentials file
// (~/.alibabacloud/credentials), the ECS RAM role, and a credentials URI.
// The first that yields a credential is used from then on.
func DefaultCredentials() CredentialsProvider {
	return credentials.NewDefaultCredentialsProvider()
}

// probeVideoID is a well-formed VideoId that names no video, so asking VOD
// about it reads nothing and changes nothing.
const probeVideoID = "00000000000000000000000000000000"

// CheckCredentials makes one cheap signed VOD call (GetVideoInfo of a
// VideoId that does not exist) to learn whether the AccessKey works. A
// service should call it at start, so a missing or refused key shows up
// as one clear line instead of failing every request later.
//
// It returns nil when VOD accepts the signature (the answer is then
// InvalidVideo.NotFound), a *CredentialError when the provider yields no
// credential or VOD refuses it, and another error when VOD could not be
// asked (network, timeout, VOD unavailable). The RAM policy must allow
// vod:GetVideoInfo, which RefreshVideoUpload needs too.
func (u *Uploader) CheckCredentials(ctx context.Context) error {
	const op = "CheckCredentials"
	provider, err := u.vod.ResolveCredentials(ctx)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return opError(op, cerr)
		}
		return opError(op, &CredentialError{Provider: provider, Err: err})
	}
	_, err = u.vod.GetVideoInfo(ctx, probeVideoID)
	var ae *APIError
	switch err = public(err); {
	case err == nil, errors.As(err, &ae) && ae.Code == "InvalidVideo.NotFound":
		return nil
	case errors.As(err, &ae) && refusesCredential(ae):
		return opError(op, &CredentialError{Provider: provider, Code: ae.Code, Err: err})
	default:
		return opError(op, err)
	}
}

// refusesCredential reports whether VOD turned the request down for its
// AccessKey, signature or the key's permissions.
func refusesCredential(ae *APIError) bool {
	if ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden {
		return true
	}
	for _, p := range []string{"InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature",
		"InvalidSecurityToken", "Forbidden"} {
		if strings.HasPrefix(ae.Code, p) {
			return true
		}
	}
	return false
}
