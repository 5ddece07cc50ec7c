// Command emulator runs the VOD+OSS emulator standalone, for trying the SDK
// or the upload CLI without an Alibaba Cloud account, and for benchmarks
// that need the server in its own process.
//
//	go run ./examples/emulator -addr 127.0.0.1:9000
//	go run ./examples/emulator -tls -cert-file /tmp/emulator.pem
//
// The first line on stdout is a JSON object with the endpoints and the root
// AccessKey, and in TLS mode "cert_file", the certificate to trust
// (SSL_CERT_FILE for Go programs, NODE_EXTRA_CA_CERTS for Node.js); it
// serves until SIGINT or SIGTERM.
//
// Pointing official clients at it (vod_endpoint and oss_endpoint are the
// same URL; UploadAddress Endpoints carry it too):
//
//   - Go, aliyun-oss-go-sdk and this module: the banner's endpoint as is;
//     with an IP endpoint the OSS SDK uses path style. Over TLS, a
//     transport whose RootCAs hold cert_file (WithHTTPClient), or
//     SSL_CERT_FILE=<cert_file> for a whole process.
//   - Node.js, ali-oss: endpoint = oss_endpoint and region = "oss-" +
//     region (UploadAuth carries Region); ali-oss then keeps the IP in the
//     URL and names the bucket in Host, <bucket>.oss-<region>.aliyuncs.com,
//     which the emulator serves and checks against its region, as OSS
//     does. Over TLS, NODE_EXTRA_CA_CERTS=<cert_file>.
//   - Browsers (ali-oss, the VOD Web upload SDK): a browser cannot set
//     Host, so run with -hostname localhost (endpoints become
//     http://localhost:PORT and ali-oss uses <bucket>.localhost:PORT, which
//     Chromium resolves to loopback; check other browsers), or keep the IP
//     endpoint and set sldEnable: true (path style). CORS answers as a bucket rule
//     allowing -cors-origins (default *).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/vodupload/vodupload/internal/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts    emulator.Options
		storage string
		origins string
		verbose bool
	)
	fs.StringVar(&opts.Addr, "addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	fs.StringVar(&opts.Hostname, "hostname", "", "host name to advertise instead of the listener's IP, e.g. localhost: "+
		"clients then address buckets as <bucket>.<hostname> (virtual-hosted style), which must resolve to the listener")
	fs.DurationVar(&opts.STSTTL, "sts-ttl", emulator.DefaultSTSTTL, "lifetime of issued upload credentials")
	fs.StringVar(&opts.AccessKeyID, "access-key-id", "", "root AccessKey ID (random when empty)")
	fs.StringVar(&opts.AccessKeySecret, "access-key-secret", "", "root AccessKey secret (random when empty)")
	fs.StringVar(&opts.Region, "region", emulator.DefaultRegion, "region reported to clients")
	fs.StringVar(&storage, "storage", "memory", "memory, discard, or dir=PATH")
	fs.Int64Var(&opts.Faults.Seed, "seed", 1, "fault injection seed")
	fs.Float64Var(&opts.Faults.ErrorRate, "error-rate", 0, "probability of a 500/503 per OSS request")
	fs.Float64Var(&opts.Faults.ResetRate, "reset-rate", 0, "probability of a connection reset mid-body per upload request")
	fs.Int64Var(&opts.Faults.ResetAfter, "reset-after", 64<<10, "body bytes read before a reset")
	fs.Float64Var(&opts.Faults.ThrottleRate, "throttle-rate", 0, "probability of a 503 SlowDown per OSS request")
	fs.DurationVar(&opts.Faults.Latency, "latency", 0, "latency added to every OSS response")
	fs.DurationVar(&opts.Faults.LatencyJitter, "latency-jitter", 0, "random extra latency, up to this much")
	fs.Int64Var(&opts.Faults.BandwidthBPS, "bandwidth", 0, "per-connection upload cap in bytes/s (0: none)")
	fs.Float64Var(&opts.Faults.VODErrorRate, "vod-error-rate", 0, "probability of a 503 per VOD call")
	fs.BoolVar(&opts.TLS, "tls", false, "serve HTTPS with a self-signed certificate (see -cert-file)")
	fs.StringVar(&opts.CertFile, "cert-file", "", "with -tls, write the certificate to trust here (default: a temporary file removed at exit)")
	fs.StringVar(&origins, "cors-origins", "*", "comma-separated origins the buckets' CORS rule allows (OSS AllowedOrigin syntax)")
	fs.IntVar(&opts.CORSMaxAge, "cors-max-age", 0, "CORS MaxAgeSeconds sent as Access-Control-Max-Age (0: none)")
	fs.BoolVar(&verbose, "v", false, "log every request to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // asked for the help, got it: like every binary here
		}
		return 2
	}
	switch {
	case storage == "memory":
		opts.Storage = emulator.StorageMemory
	case storage == "discard":
		opts.Storage = emulator.StorageDiscard
	case strings.HasPrefix(storage, "dir="):
		opts.Storage, opts.Dir = emulator.StorageDir, strings.TrimPrefix(storage, "dir=")
	default:
		fmt.Fprintf(stderr, "emulator: -storage must be memory, discard or dir=PATH, got %q\n", storage)
		return 2
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			opts.CORSOrigins = append(opts.CORSOrigins, o)
		}
	}
	if verbose {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := emulator.New(opts)
	if err != nil {
		fmt.Fprintf(stderr, "emulator: %v\n", err)
		return 1
	}
	banner := map[string]string{
		"vod_endpoint": srv.URL, "oss_endpoint": srv.URL, "region": srv.Region,
		"access_key_id": srv.AccessKeyID, "access_key_secret": srv.AccessKeySecret,
	}
	if srv.CertFile != "" {
		banner["cert_file"] = srv.CertFile
	}
	hello, _ := json.Marshal(banner)
	fmt.Fprintln(stdout, string(hello))

	<-ctx.Done()
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		fmt.Fprintln(stderr, "emulator: shutdown timed out")
		return 1
	}
	return 0
}
