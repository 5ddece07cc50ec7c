package vodapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedProvider answers GetCredentials with cr and err.
type fixedProvider struct {
	name string
	cr   *credentials.Credentials
	err  error
}

func (p fixedProvider) GetCredentials() (*credentials.Credentials, error) { return p.cr, p.err }
func (p fixedProvider) GetProviderName() string                           { return p.name }

func TestResolveCredentials(t *testing.T) {
	t.Parallel()
	complaint := errors.New("env: ALIBABA_CLOUD_ACCESS_KEY_ID is empty")
	tests := []struct {
		name     string
		p        fixedProvider
		provider string
		noCred   bool // ErrNoCredential, and the provider's complaint as a *NoCredentialError
	}{
		{"usable, named by the chain", fixedProvider{"default", &credentials.Credentials{AccessKeyId: "id", AccessKeySecret: "s", ProviderName: "default/env"}, nil}, "default/env", false},
		{"usable", fixedProvider{"static_ak", &credentials.Credentials{AccessKeyId: "id", AccessKeySecret: "s"}, nil}, "static_ak", false},
		{"provider failed", fixedProvider{"env", nil, complaint}, "env", true},
		{"empty secret", fixedProvider{"static_ak", &credentials.Credentials{AccessKeyId: "id"}, nil}, "static_ak", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(Config{Endpoint: "http://127.0.0.1:1", Credentials: tt.p})
			require.NoError(t, err)
			t.Cleanup(c.Close)
			name, err := c.ResolveCredentials(context.Background())
			assert.Equal(t, tt.provider, name)
			if !tt.noCred {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrNoCredential)
			assert.NotContains(t, err.Error(), "\n", "one line")
			if tt.p.err != nil {
				var nce *NoCredentialError
				require.ErrorAs(t, err, &nce)
				assert.Equal(t, tt.p.name, nce.Provider)
				assert.ErrorIs(t, err, complaint)
				assert.Equal(t, 1, strings.Count(err.Error(), "no credential"), err.Error())
			}
		})
	}
}
