// Package emulator is an in-process stand-in for ApsaraVideo VOD and the OSS
// bucket VOD allocates, for tests and local development.
//
// It is shaped like net/http/httptest: New starts a real listener on
// loopback, URL says where, Close stops it and waits. One listener serves
// both APIs. A request whose Host names a bucket is OSS in
// virtual-hosted style (<bucket>.localhost, <bucket>.<Options.Hostname>,
// <bucket>.oss-<region>.aliyuncs.com, the Host ali-oss sends to an IP
// endpoint); otherwise a request for "/" carrying an RPC Action is a VOD
// call and anything else is path-style OSS (/bucket/key), which
// aliyun-oss-go-sdk sends to an IP endpoint. Options.TLS serves HTTPS with
// a certificate whose authority is written to Server.CertFile. The
// official clients talk to it unchanged, because it checks what the real
// services check: the VOD RPC signature (HMAC-SHA1, v1) with nonce and
// timestamp, the OSS V1 signature over Date or x-oss-date, STS token
// presence, validity, expiry and scope; it answers CORS preflights as an
// OSS bucket rule does, and errors in OSS's XML with EC codes where OSS
// documents them. EMULATION.md lists every action and operation, the
// rules checked and the reference followed.
//
// What it does not emulate: OSS V2 and V4 signatures (answered 501),
// bucket and service operations other than ListMultipartUploads, object
// ACLs, versioning, lifecycle rules, server-side encryption,
// x-oss-complete-all, upload callbacks, storage classes, x-oss-traffic-limit
// enforcement, HTTP/2, media processing (transcoding, snapshots, review;
// so DeleteImage by VideoId finds no snapshot to delete), VOD categories
// (a CateId is not looked up), VOD event notifications, and STS tokens as
// the root VOD credential. In
// StorageDiscard mode GetObject answers 501, ETags are not MD5s and
// PutObject/UploadPart send no Content-MD5; StorageDir keeps object
// metadata in memory only, so a new emulator does not serve an earlier
// one's files.
package emulator

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// DefaultSTSTTL is the lifetime of upload credentials, as VOD documents it.
const DefaultSTSTTL = 3000 * time.Second

// DefaultRegion is the region reported to clients.
const DefaultRegion = "cn-shanghai"

// Options configure a Server. The zero value is usable.
type Options struct {
	// Addr is the listen address. Default "127.0.0.1:0" (a free port).
	Addr string
	// Hostname, when set, is the host name the emulator advertises in URL
	// and in every UploadAddress Endpoint instead of the listener's IP, e.g.
	// "localhost": clients then address buckets virtual-hosted style,
	// "<bucket>.<Hostname>:<port>", as they do OSS's own endpoints, so the
	// name and its subdomains must resolve to the listener (browsers map
	// *.localhost to loopback; Go and Node resolvers usually do not). With
	// an IP endpoint, the default, aliyun-oss-go-sdk uses path style and
	// ali-oss sends "<bucket>.oss-<region>.aliyuncs.com" in Host; the
	// emulator serves all three.
	Hostname string
	// AccessKeyID and AccessKeySecret are the root AccessKey that signs VOD
	// calls. Random when empty.
	AccessKeyID     string
	AccessKeySecret string
	// Region is reported in UploadAuth. Default DefaultRegion.
	Region string
	// STSTTL is the lifetime of each issued upload credential.
	// Default DefaultSTSTTL.
	STSTTL time.Duration
	// Storage selects where object bytes go. Default StorageMemory.
	Storage StorageMode
	// Dir is the directory used by StorageDir.
	Dir string
	// CORSOrigins are the origins the buckets' CORS rule allows, in OSS's
	// AllowedOrigin syntax: "*", or a full origin with at most one "*"
	// ("https://*.example.com"). Default {"*"}. Methods GET, PUT, POST,
	// DELETE and HEAD and any request header are allowed; ETag,
	// x-oss-request-id and x-oss-version-id are exposed.
	CORSOrigins []string
	// CORSMaxAge is the rule's MaxAgeSeconds, sent as
	// Access-Control-Max-Age. Zero sends none, like a rule without one.
	CORSMaxAge int
	// Faults are injected into OSS requests. Zero means none.
	Faults Faults
	// TLS serves HTTPS instead of HTTP, with a certificate signed by a
	// certificate authority the emulator makes up; its certificate is
	// written to CertFile (Server.CertFile) for clients to trust. The
	// leaf covers 127.0.0.1, ::1, localhost, *.localhost, Hostname and
	// *.Hostname, and the region's OSS endpoint names.
	TLS bool
	// CertFile is where TLS mode writes the authority's certificate (PEM).
	// Empty: a temporary file that Close removes.
	CertFile string
	// Logger receives one line per request at debug level. Default: silent.
	Logger *slog.Logger
	// Now is the clock. Default time.Now. Tests use it to age credentials.
	Now func() time.Time
}

// StorageMode selects how the emulated OSS keeps object bytes.
type StorageMode int

const (
	// StorageMemory keeps every object in memory so tests can compare bytes.
	StorageMemory StorageMode = iota
	// StorageDir keeps objects as files under Options.Dir.
	StorageDir
	// StorageDiscard keeps only each object's size and CRC64, for
	// multi-gigabyte benchmarks. It skips MD5: ETags are the MD5 of the
	// body's CRC64 and size, not of its bytes, so they cannot be checked
	// against a local MD5.
	StorageDiscard
)

// Server is a running emulator.
type Server struct {
	// URL is the base URL of the listener, e.g. http://127.0.0.1:34567
	// (https:// in TLS mode, the host name when Options.Hostname is set).
	// It is both the VOD endpoint and the OSS endpoint.
	URL string
	// CertFile is the PEM file of the certificate authority to trust in
	// TLS mode; "" otherwise.
	CertFile string
	// AccessKeyID and AccessKeySecret are the root AccessKey for VOD calls.
	AccessKeyID     string
	AccessKeySecret string
	// Region is the region the emulator claims to be in.
	Region string

	opts     Options
	listener net.Listener // the TCP listener, under TLS when tls is set
	tls      *tlsSetup    // nil in plain-HTTP mode
	http     *http.Server
	wg       sync.WaitGroup // the Serve goroutine
	conns    sync.WaitGroup // one per connection, as httptest tracks them
	faults   *faultInjector // locks its own state
	store    objectStore    // safe for concurrent use

	// mu guards sts (and the credentials in it), nonces, media, counters,
	// uploads (and each upload's parts) and jobs. It is never held
	// while a request or object body is read or written.
	mu       sync.Mutex
	sts      map[string]*stsCredential // by AccessKeyId
	nonces   map[string]time.Time      // VOD SignatureNonce → first seen
	media    map[string]*mediaRecord   // by VideoId / ImageId / MediaId
	counters counters
	uploads  map[string]*multipartUpload // by UploadId
	jobs     map[string]*urlJob          // UploadMediaByURL jobs by JobId
}

// New starts an emulator. Call Close when done (t.Cleanup(srv.Close)).
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.STSTTL <= 0 {
		opts.STSTTL = DefaultSTSTTL
	}
	if opts.AccessKeyID == "" {
		opts.AccessKeyID = "LTAI" + randomHex(10)
	}
	if opts.AccessKeySecret == "" {
		opts.AccessKeySecret = randomHex(15)
	}
	if opts.CORSOrigins == nil {
		opts.CORSOrigins = []string{"*"}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	store, err := newObjectStore(opts.Storage, opts.Dir)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen %s: %w", opts.Addr, err)
	}
	scheme := "http://"
	var tlsSet *tlsSetup
	if opts.TLS {
		if tlsSet, err = newTLSSetup(opts, ln.Addr()); err != nil {
			_ = ln.Close()
			return nil, err
		}
		scheme = "https://"
	}
	s := &Server{
		URL:             scheme + advertisedHost(ln.Addr(), opts.Hostname),
		AccessKeyID:     opts.AccessKeyID,
		AccessKeySecret: opts.AccessKeySecret,
		Region:          opts.Region,
		opts:            opts,
		listener:        ln,
		tls:             tlsSet,
		sts:             make(map[string]*stsCredential),
		nonces:          make(map[string]time.Time),
		media:           make(map[string]*mediaRecord),
		counters:        newCounters(),
		faults:          newFaultInjector(opts.Faults),
		store:           store,
		uploads:         make(map[string]*multipartUpload),
		jobs:            make(map[string]*urlJob),
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ConnState:         s.connState,
		ConnContext:       s.faults.connContext,
	}
	serveLn := s.faults.wrapListener(ln)
	if tlsSet != nil {
		s.CertFile = tlsSet.certFile
		serveLn = tls.NewListener(serveLn, tlsSet.config)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.http.Serve(serveLn)
	}()
	return s, nil
}

// connState tracks connections so Close can wait for their goroutines,
// and lets the fault injector see them.
func (s *Server) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.conns.Add(1)
	case http.StateHijacked, http.StateClosed:
		s.conns.Done()
	}
	s.faults.connState(c, st)
}

// Close stops the listener, closes open connections and waits for the
// server goroutine and every connection's goroutine, so tests that check
// for leaked goroutines see none of the emulator's.
func (s *Server) Close() {
	_ = s.http.Close()
	s.wg.Wait()
	s.conns.Wait()
	s.mu.Lock()
	jobs := make([]*urlJob, 0, len(s.jobs))
	for _, j := range s.jobs {
		jobs = append(jobs, j)
	}
	s.mu.Unlock()
	for _, j := range jobs {
		j.cancel()
	}
	if s.tls != nil && s.tls.remove {
		_ = os.Remove(s.tls.certFile)
	}
}

// Host is the advertised host:port, which the VOD client takes as Domain.
func (s *Server) Host() string {
	_, host, _ := strings.Cut(s.URL, "://")
	return host
}

// advertisedHost is host:port of URL: the listener's address, or hostname
// with the listener's port.
func advertisedHost(addr net.Addr, hostname string) string {
	if hostname == "" {
		return addr.String()
	}
	_, port, _ := net.SplitHostPort(addr.String())
	return net.JoinHostPort(hostname, port)
}

// ServeHTTP routes a request to the VOD RPC API or to OSS. VOD is served
// only on a Host that names no bucket; the Host is looked at only for a
// request shaped like an RPC call, as serveOSS resolves it anyway.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isRPC(r) && !s.namesBucket(r.Host) {
		s.serveVOD(w, r)
		return
	}
	s.serveOSS(w, r)
}

// isRPC reports whether r is a VOD RPC call: path "/" with an Action
// parameter in the query or the form body.
func isRPC(r *http.Request) bool {
	if r.URL.Path != "/" {
		return false
	}
	if r.URL.Query().Get("Action") != "" {
		return true
	}
	return r.Method == http.MethodPost &&
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

func (s *Server) now() time.Time { return s.opts.Now() }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

func newRequestID() string {
	h := strings.ToUpper(randomHex(16))
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

var errNotFound = errors.New("emulator: not found")
