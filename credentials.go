package vodupload

import (
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
