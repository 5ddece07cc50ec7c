package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/vodupload/vodupload"
)

// Defaults for Options, in one place.
const (
	DefaultRate         rate.Limit = 5 // requests per second per client
	DefaultBurst                   = 10
	DefaultMaxBodyBytes int64      = 64 << 10
	DefaultCallTimeout             = 20 * time.Second
	DefaultLimiterIdle             = 10 * time.Minute
	DefaultMaxClients              = 10000
)

// Issuer is the part of *vodupload.Uploader the AppServer uses. It is an
// interface so tests can make VOD fail in ways the emulator does not.
type Issuer interface {
	CreateVideoUpload(ctx context.Context, m vodupload.VideoMeta, fileSize int64) (*vodupload.UploadTicket, error)
	RefreshVideoUpload(ctx context.Context, videoID string) (*vodupload.UploadTicket, error)
	CreateImageUpload(ctx context.Context, m vodupload.ImageMeta) (*vodupload.UploadTicket, error)
	CreateAttachedMediaUpload(ctx context.Context, m vodupload.AttachedMediaMeta, fileSize int64) (*vodupload.UploadTicket, error)
}

var _ Issuer = (*vodupload.Uploader)(nil)

// Options configure a Server. The zero value of every field but Clients
// selects its default.
type Options struct {
	// Clients are the bearer tokens clients may present; at least one,
	// each at least MinTokenBytes long. Only their SHA-256 digests are
	// kept. Server.SetClients replaces them while serving.
	Clients []Client
	// RefreshKeys sign the refresh tokens that bind a video to its
	// creator: the first signs, all verify (rotation). Each at least
	// MinRefreshKeyBytes. Empty: a random key for this process only, so
	// refresh tokens stop working when it restarts.
	RefreshKeys [][]byte
	// RefreshTTL is how long a refresh token is valid. Default
	// DefaultRefreshTTL.
	RefreshTTL time.Duration
	// Web serves the upload page at / (see web.go). Default off.
	Web bool
	// AliOSSJS is a local file with ali-oss's browser build for the page
	// to load from the AppServer; empty loads AliOSSCDN.
	AliOSSJS string
	// CORSOrigins are the web origins ("https://app.example.com") whose
	// pages may call the API from a browser. Default none.
	CORSOrigins []string
	// Rate and Burst bound each client's requests (token bucket). Default
	// DefaultRate and DefaultBurst.
	Rate  rate.Limit
	Burst int
	// LimiterIdle is how long an unused client limiter is kept. Default
	// DefaultLimiterIdle; never less than a full bucket's refill time, so
	// forgetting a client cannot hand it a fresh burst early.
	LimiterIdle time.Duration
	// MaxClients caps the limiters kept at once; beyond it the least
	// recently seen client is forgotten. Default DefaultMaxClients.
	MaxClients int
	// MaxBodyBytes caps a request body. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// CallTimeout bounds the VOD call behind one request. Default
	// DefaultCallTimeout.
	CallTimeout time.Duration
	// Logger receives one access log line per request. Default: silent.
	Logger *slog.Logger
	// Now is the clock of the rate limiter. Default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.LimiterIdle <= 0 {
		o.LimiterIdle = DefaultLimiterIdle
	}
	if o.MaxClients <= 0 {
		o.MaxClients = DefaultMaxClients
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Server is the AppServer's HTTP handler: it authenticates clients, asks
// VOD for upload tickets on their behalf and hands the tickets out. It is
// safe for concurrent use.
type Server struct {
	vod         Issuer
	opts        Options
	tokens      atomic.Pointer[tokenSet]    // replaced whole by SetClients
	refreshKeys atomic.Pointer[refreshKeys] // replaced whole by SetRefreshKeys
	cors        corsPolicy
	page        *page // nil without Options.Web
	limiters    *limiterSet
	handler     http.Handler
}

// NewServer returns a Server issuing tickets through vod, usually a
// *vodupload.Uploader.
func NewServer(vod Issuer, opts Options) (*Server, error) {
	if vod == nil {
		return nil, errors.New("new server: no issuer")
	}
	opts = opts.withDefaults()
	cors, err := newCORSPolicy(opts.CORSOrigins)
	if err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	s := &Server{
		vod:      vod,
		opts:     opts,
		cors:     cors,
		limiters: newLimiterSet(opts.Rate, opts.Burst, opts.LimiterIdle, opts.MaxClients),
	}
	if err := s.SetClients(opts.Clients); err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	if err := s.SetRefreshKeys(opts.RefreshKeys); err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	if opts.Web {
		if s.page, err = newPage(opts.AliOSSJS); err != nil {
			return nil, fmt.Errorf("new server: %w", err)
		}
	}
	s.handler = s.accessLog(s.recoverPanics(s.withCORS(s.routes())))
	return s, nil
}

// SetClients replaces the accepted bearer tokens at once: requests see
// either the old set or the new one. On error the old set stays.
func (s *Server) SetClients(clients []Client) error {
	ts, err := newTokenSet(clients)
	if err != nil {
		return err
	}
	s.tokens.Store(ts)
	return nil
}

// SetRefreshKeys replaces the refresh token keys at once. On error the old
// keys stay.
func (s *Server) SetRefreshKeys(keys [][]byte) error {
	k, err := newRefreshKeys(keys)
	if err != nil {
		return err
	}
	if k.ephemeral {
		s.opts.Logger.Warn("no refresh key configured: using a random one, so refresh tokens stop working when the AppServer restarts; set -refresh-key-file or $" + refreshKeyEnv)
	}
	s.refreshKeys.Store(k)
	return nil
}

// route is one endpoint: a method on a path.
type route struct {
	method, path string
	h            http.Handler
}

func (s *Server) endpoints() []route {
	var page []route
	if s.page != nil {
		page = s.page.routes()
	}
	return append(page, []route{
		{http.MethodGet, "/healthz", http.HandlerFunc(s.healthz)},
		{http.MethodPost, "/v1/videos", s.protect(s.createVideo)},
		{http.MethodPost, "/v1/videos/{id}/refresh", s.protect(s.refreshVideo)},
		{http.MethodPost, "/v1/images", s.protect(s.createImage)},
		{http.MethodPost, "/v1/attached-media", s.protect(s.createAttachedMedia)},
	}...)
}

// routes registers every endpoint, its CORS preflight, a JSON 405 for
// its other methods and a JSON 404 for every other path: net/http's own
// answers are plain text.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	methods := map[string][]string{}
	var paths []string
	for _, rt := range s.endpoints() {
		mux.Handle(rt.method+" "+rt.path, rt.h)
		if methods[rt.path] == nil {
			paths = append(paths, rt.path)
		}
		methods[rt.path] = append(methods[rt.path], rt.method)
	}
	for _, p := range paths {
		allowed := append(methods[p], http.MethodOptions)
		mux.Handle("OPTIONS "+p, s.preflight(allowed))
		mux.Handle(p, methodNotAllowed(allowed))
	}
	mux.Handle("/", http.HandlerFunc(notFound))
	return mux
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// callContext bounds the VOD call of one request, so a hung upstream
// answers the client with 504 before the connection's write timeout.
func (s *Server) callContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.opts.CallTimeout)
}

// newHTTPServer wraps h with the timeouts a public listener needs: slow
// clients cannot hold connections open, and WriteTimeout leaves room for
// the longest VOD call.
func newHTTPServer(addr string, h http.Handler, callTimeout time.Duration, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      callTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
