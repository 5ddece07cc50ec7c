// Package vodapi is a thin, context-aware wrapper over the official
// alibaba-cloud-sdk-go VOD client: the upload actions, decoding of
// UploadAddress/UploadAuth, error translation to *apierr.Error, and
// retries where they cannot duplicate media.
//
// The SDK client is not safe for concurrent use (every call rewrites its
// http.Client timeout) and knows nothing of contexts. So each call gets a
// fresh, cheap vod.Client whose transport is bound to the call's context;
// all of them share one connection pool, which the SDK cannot mutate
// because it only adjusts transports of type *http.Transport.
package vodapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vod"

	"github.com/vodupload/vodupload/internal/retry"
)

// Defaults for Config.
const (
	DefaultRegion  = "cn-shanghai"
	DefaultTimeout = 30 * time.Second
)

// Config configures a Client.
type Config struct {
	// Region is the VOD region. Default DefaultRegion.
	Region string
	// Endpoint overrides the VOD endpoint. "" resolves it the SDK's way
	// for Region over HTTPS. A URL ("http://127.0.0.1:1234",
	// "https://vod.cn-shanghai.aliyuncs.com") gives host and scheme; a bare
	// host name means HTTPS.
	Endpoint string
	// Credentials sign every call. Required.
	Credentials credentials.CredentialsProvider
	// Timeout bounds each attempt when the context has no earlier
	// deadline. Default DefaultTimeout.
	Timeout time.Duration
	// UserAgent is appended to the SDK's User-Agent. Optional.
	UserAgent string
	// TLSClientConfig, when set, is the TLS configuration of VOD calls
	// (e.g. RootCAs trusting a test server's certificate). Optional.
	TLSClientConfig *tls.Config
}

// Client calls VOD. It is safe for concurrent use. Call Close when done
// to release idle connections.
type Client struct {
	cfg    Config
	domain string // "" → SDK endpoint resolution
	scheme string // "HTTP" or "HTTPS"
	creds  credentials.CredentialsProvider
	pool   *http.Transport   // shared connection pool
	rt     http.RoundTripper // what calls go through; pool unless a test swaps it
	policy retry.Policy
	now    func() time.Time
}

// New validates cfg and returns a Client. It makes no network call.
// maxVODConns caps concurrent connections to the VOD API per Client.
const maxVODConns = 32

func New(cfg Config) (*Client, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("vodapi: new client: Config.Credentials is required")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	domain, scheme, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	pool := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		// However many uploads start at once, VOD sees a bounded number of
		// connections; further calls wait for one.
		MaxConnsPerHost:       maxVODConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       cfg.TLSClientConfig.Clone(),
	}
	return &Client{
		cfg:    cfg,
		domain: domain,
		scheme: scheme,
		creds:  &lockedProvider{p: cfg.Credentials},
		pool:   pool,
		rt:     pool,
		policy: retry.Policy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 3 * time.Second},
		now:    time.Now,
	}, nil
}

// Close releases idle connections. Calls in flight finish normally.
func (c *Client) Close() { c.pool.CloseIdleConnections() }

// parseEndpoint turns Config.Endpoint into the SDK's Domain and Scheme.
func parseEndpoint(endpoint string) (domain, scheme string, err error) {
	if endpoint == "" {
		return "", "HTTPS", nil
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", "", fmt.Errorf("vodapi: new client: endpoint: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", "", fmt.Errorf("vodapi: new client: endpoint %q must be scheme://host[:port]", endpoint)
	}
	return u.Host, strings.ToUpper(u.Scheme), nil
}

// sdkEndpoints is a private copy of the SDK's VOD endpoint table, taken
// once: vod.GetEndpointMap fills a package variable on first use without
// synchronisation, so concurrent first calls race.
var sdkEndpoints = sync.OnceValue(func() map[string]string {
	return maps.Clone(vod.GetEndpointMap())
})

// lockedProvider serialises GetCredentials: several SDK clients share the
// caller's provider, and the SDK's refreshing providers are not safe for
// concurrent use.
type lockedProvider struct {
	mu sync.Mutex
	p  credentials.CredentialsProvider
}

func (l *lockedProvider) GetCredentials() (*credentials.Credentials, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.p.GetCredentials()
	if err != nil {
		// The SDK returns this error as it is: typed, it survives to the
		// caller, who can then say what to set instead of the chain's list.
		return nil, &NoCredentialError{Provider: l.p.GetProviderName(), Err: err}
	}
	return c, nil
}

func (l *lockedProvider) GetProviderName() string { return l.p.GetProviderName() }

// ctxTransport binds every request of one call to that call's context,
// which the SDK cannot do itself. Not being an *http.Transport also keeps
// the SDK from rewriting the shared pool's dialer and TLS settings.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t *ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// sdkClient builds the vod.Client for one attempt.
func (c *Client) sdkClient(ctx context.Context) (*vod.Client, error) {
	cfg := sdk.NewConfig()
	cfg.AutoRetry = false // we retry, and only where it cannot duplicate media
	cfg.UserAgent = c.cfg.UserAgent
	cfg.Scheme = c.scheme
	cfg.Transport = &ctxTransport{ctx: ctx, base: c.rt}
	cl := new(vod.Client)
	if err := cl.InitWithOptions(c.cfg.Region, cfg, c.creds); err != nil {
		return nil, err
	}
	if c.domain != "" {
		cl.Domain = c.domain
	} else {
		cl.EndpointMap, cl.EndpointType = sdkEndpoints(), vod.GetEndpointType()
	}
	return cl, nil
}

// prepare applies per-attempt settings to an SDK request. The SDK's own
// timer gets some slack so the attempt's context is what fires, and the
// error says so.
func (c *Client) prepare(r *requests.RpcRequest, timeout time.Duration) {
	r.SetReadTimeout(timeout + time.Second)
	r.SetConnectTimeout(min(timeout, 10*time.Second))
	r.Scheme = c.scheme
}

// call is one attempt of an action against a fresh SDK client; timeout is
// what remains of the attempt's budget.
type call[T any] func(cl *vod.Client, timeout time.Duration) (T, error)

// invoke runs fn with retries as retryable allows, each attempt bounded by
// Config.Timeout and ctx.
func invoke[T any](ctx context.Context, c *Client, action string, retryable func(error) bool, fn call[T]) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err := attemptOnce(ctx, c, action, fn)
		if err == nil || attempt >= c.policy.MaxAttempts || !retryable(err) {
			return v, err
		}
		if serr := retry.Sleep(ctx, c.policy.Backoff(attempt)); serr != nil {
			return v, fmt.Errorf("vod %s: %w (after: %w)", action, serr, err)
		}
	}
}

// attemptOnce runs fn in a goroutine so ctx is honoured even where the SDK
// blocks outside the transport (a credential provider fetching, say). The
// goroutine cannot outlive the attempt by much: its transport is bound to
// the attempt's context, cancelled on return.
func attemptOnce[T any](ctx context.Context, c *Client, action string, fn call[T]) (T, error) {
	var zero T
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	timeout := c.cfg.Timeout
	if dl, ok := actx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("vod %s: %w", action, err)
	}
	cl, err := c.sdkClient(actx)
	if err != nil {
		return zero, fmt.Errorf("vod %s: build client: %w", action, err)
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			// The SDK panics on some malformed answers, e.g. an error
			// body whose Code is a number; in this goroutine that would
			// take the whole process down.
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("unreadable answer (the SDK panicked: %v)", p)}
			}
		}()
		v, err := fn(cl, timeout)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return zero, c.translate(ctx, actx, action, r.err)
		}
		return r.v, nil
	case <-actx.Done():
		return zero, c.translate(ctx, actx, action, actx.Err())
	}
}
