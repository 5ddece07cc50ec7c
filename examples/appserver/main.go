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
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr, hup)
	stop()
	os.Exit(code)
}

// run serves until ctx is done and returns the exit code: 0 after a clean
// stop, 2 for bad flags or configuration, 1 when it cannot serve (listen
// failed, the VOD credential does not work). Each value on reload makes it
// re-read the token and refresh key files.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, reload <-chan os.Signal) int {
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
	if !cfg.skipCredCheck {
		cctx, cancel := context.WithTimeout(ctx, cfg.callTimeout)
		err := up.CheckCredentials(cctx)
		cancel()
		var ce *vodupload.CredentialError
		switch {
		case errors.As(err, &ce):
			fmt.Fprintf(stderr, "appserver: %v\n", ce) // what to fix, without the call's name
			return 1
		case err != nil:
			fmt.Fprintf(stderr, "appserver: cannot check the VOD credential (-skip-credential-check starts anyway): %v\n", err)
			return 1
		}
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
	go reloadOn(ctx, reload, h, cfg, getenv, log)
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

// reloadOn re-reads the token file and the refresh key file on each signal
// (SIGHUP), so tokens and keys rotate without a restart. A file that does
// not load leaves what is in use in place, and the log says why.
func reloadOn(ctx context.Context, sig <-chan os.Signal, s *Server, cfg config, getenv func(string) string, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			reloadFiles(s, cfg, getenv, log)
		}
	}
}

func reloadFiles(s *Server, cfg config, getenv func(string) string, log *slog.Logger) {
	if cfg.tokenFile != "" {
		clients, warnings, err := loadClients(cfg.tokenFile, getenv)
		if err == nil {
			err = s.SetClients(clients)
		}
		logReload(log, "token file", err, warnings, "tokens", len(clients))
	}
	if cfg.refreshKeyFile != "" {
		keys, warnings, err := loadRefreshKeys(cfg.refreshKeyFile, getenv)
		if err == nil {
			err = s.SetRefreshKeys(keys)
		}
		logReload(log, "refresh key file", err, warnings, "keys", len(keys))
	}
}

func logReload(log *slog.Logger, what string, err error, warnings []string, countAttr string, n int) {
	for _, w := range warnings {
		log.Warn(w)
	}
	if err != nil {
		log.Error("reload "+what+": keeping the one in use", "error", err)
		return
	}
	log.Info("reloaded "+what, countAttr, n)
}
