package vodapi

import (
	"context"
	"errors"
)

// ErrNoCredential is returned by ResolveCredentials when the provider
// yields nothing usable, and matched by every NoCredentialError.
var ErrNoCredential = errors.New("no credential")

// NoCredentialError is returned by a call whose credential provider
// failed, so nothing was signed or sent. Provider names it; Err is its own
// complaint, which for the SDK's default chain lists every provider's.
type NoCredentialError struct {
	Provider string
	Err      error
}

func (e *NoCredentialError) Error() string {
	return "no credential from the " + e.Provider + " provider: " + e.Err.Error()
}

func (e *NoCredentialError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoCredential) true.
func (e *NoCredentialError) Is(target error) bool { return target == ErrNoCredential }

// ResolveCredentials asks the provider for a credential without calling
// VOD and returns the provider's name ("env", "default/env", "static_ak",
// ...). The provider's own error, which for the SDK's default chain lists
// every provider's complaint, is returned as the cause; callers decide
// whether to show it.
func (c *Client) ResolveCredentials(ctx context.Context) (string, error) {
	type result struct {
		name string
		err  error
	}
	done := make(chan result, 1)
	go func() { // an ECS RAM role provider may block on the metadata service
		cr, err := c.creds.GetCredentials() // a *NoCredentialError: ErrNoCredential already
		switch {
		case err != nil:
			done <- result{c.creds.GetProviderName(), err}
		case cr == nil || cr.AccessKeyId == "" || cr.AccessKeySecret == "":
			done <- result{c.creds.GetProviderName(), ErrNoCredential}
		case cr.ProviderName != "":
			done <- result{cr.ProviderName, nil}
		default:
			done <- result{c.creds.GetProviderName(), nil}
		}
	}()
	select {
	case r := <-done:
		return r.name, r.err
	case <-ctx.Done():
		return c.creds.GetProviderName(), ctx.Err()
	}
}
