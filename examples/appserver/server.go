package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
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

// Options configure a Server. The zero value of every field but Tokens
// selects its default.
type Options struct {
	// Tokens are the bearer tokens clients may present; at least one,
	// each at least MinTokenBytes long. Only their SHA-256 digests are kept.
	Tokens []string
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
	vod      Issuer
	opts     Options
	tokens   tokenSet
	limiters *limiterSet
	handler  http.Handler
}

// NewServer returns a Server issuing tickets through vod, usually a
// *vodupload.Uploader.
func NewServer(vod Issuer, opts Options) (*Server, error) {
	if vod == nil {
		return nil, errors.New("new server: no issuer")
	}
	opts = opts.withDefaults()
	tokens, err := newTokenSet(opts.Tokens)
	if err != nil {
		return nil, err
	}
	s := &Server{
		vod:      vod,
		opts:     opts,
		tokens:   tokens,
		limiters: newLimiterSet(opts.Rate, opts.Burst, opts.LimiterIdle, opts.MaxClients),
	}
	s.handler = s.accessLog(s.recoverPanics(s.routes()))
	return s, nil
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("POST /v1/videos", s.protect(s.createVideo))
	mux.Handle("POST /v1/videos/{id}/refresh", s.protect(s.refreshVideo))
	mux.Handle("POST /v1/images", s.protect(s.createImage))
	mux.Handle("POST /v1/attached-media", s.protect(s.createAttachedMedia))
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
