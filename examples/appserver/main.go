// Command appserver is the AppServer of VOD's client-upload flow: it holds
// the AccessKey, asks VOD for upload addresses and temporary credentials,
// and hands them to authenticated web, iOS and Android clients, which
// upload straight to OSS.
//
//	APPSERVER_TOKEN=$(openssl rand -hex 32) \
//	ALIBABA_CLOUD_ACCESS_KEY_ID=… ALIBABA_CLOUD_ACCESS_KEY_SECRET=… \
//	go run ./examples/appserver -addr 127.0.0.1:8080 -region cn-shanghai
//
// See README.md for the endpoints.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vodupload/vodupload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx is done and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "appserver: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	for _, w := range cfg.warnings {
		log.Warn(w)
	}
	up, err := vodupload.New(append(cfg.uploaderOptions(), vodupload.WithLogger(log))...)
	if err != nil {
		log.Error("create uploader", "error", err)
		return 2
	}
	opts := cfg.serverOptions()
	opts.Logger = log
	h, err := NewServer(up, opts)
	if err != nil {
		log.Error("create server", "error", err)
		return 2
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		log.Error("listen", "error", err)
		return 1
	}
	log.Info("serving", "addr", ln.Addr().String(), "region", cfg.region)
	if err := serve(ctx, newHTTPServer(cfg.addr, h, cfg.callTimeout, log), ln, cfg.shutdownGrace); err != nil {
		log.Error("serve", "error", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// serve runs srv on ln until ctx is done, then lets in-flight requests
// finish within grace before closing what is left.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close() // grace ran out: drop the stragglers
		<-errc
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
