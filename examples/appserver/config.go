package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/vodupload/vodupload"
)

// tokenEnv is the environment variable holding a bearer token when no
// -token-file is given. There is deliberately no -token flag: command
// lines are visible to every user of the machine.
const tokenEnv = "APPSERVER_TOKEN"

type config struct {
	addr          string
	region        string
	endpoint      string
	rate          float64
	burst         int
	tokenFile     string
	callTimeout   time.Duration
	shutdownGrace time.Duration
	tokens        []string
	// warnings are problems worth logging once the logger exists.
	warnings []string
}

// parseConfig reads flags and the token. getenv is os.Getenv outside
// tests.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("appserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address; put a TLS-terminating proxy in front")
	fs.StringVar(&c.region, "region", vodupload.DefaultRegion, "VOD region")
	fs.StringVar(&c.endpoint, "endpoint", "", "VOD endpoint override, e.g. an emulator's URL")
	fs.Float64Var(&c.rate, "rate", float64(DefaultRate), "requests per second per client")
	fs.IntVar(&c.burst, "burst", DefaultBurst, "requests a client may make at once")
	fs.StringVar(&c.tokenFile, "token-file", "", "file with the accepted bearer tokens, one per line (default: $"+tokenEnv+")")
	fs.DurationVar(&c.callTimeout, "call-timeout", DefaultCallTimeout, "limit for the VOD call behind one request")
	fs.DurationVar(&c.shutdownGrace, "shutdown-timeout", 15*time.Second, "how long in-flight requests may finish on SIGINT/SIGTERM")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.rate <= 0 || c.burst <= 0 {
		return config{}, errors.New("-rate and -burst must be positive")
	}
	var err error
	c.tokens, c.warnings, err = loadTokens(c.tokenFile, getenv)
	return c, err
}

// loadTokens reads the token file, or else the environment. A file may
// hold several tokens (one per client, or old and new during rotation);
// blank lines and lines starting with # are skipped.
func loadTokens(path string, getenv func(string) string) ([]string, []string, error) {
	if path == "" {
		t := strings.TrimSpace(getenv(tokenEnv))
		if t == "" {
			return nil, nil, fmt.Errorf("no bearer token: set -token-file or $%s", tokenEnv)
		}
		return []string{t}, nil, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read token file: %w", err)
	}
	var warnings []string
	if info.Mode().Perm()&0o077 != 0 {
		warnings = append(warnings, fmt.Sprintf("token file %s is readable by others (mode %v); chmod 600 it", path, info.Mode().Perm()))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read token file: %w", err)
	}
	var tokens []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := string(bytes.TrimSpace(sc.Bytes()))
		if line != "" && line[0] != '#' {
			tokens = append(tokens, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read token file %s: %w", path, err)
	}
	if len(tokens) == 0 {
		return nil, nil, fmt.Errorf("read token file %s: no token in it", path)
	}
	return tokens, warnings, nil
}

func (c config) serverOptions() Options {
	return Options{Tokens: c.tokens, Rate: rate.Limit(c.rate), Burst: c.burst, CallTimeout: c.callTimeout}
}

func (c config) uploaderOptions() []vodupload.Option {
	opts := []vodupload.Option{
		vodupload.WithRegion(c.region),
		vodupload.WithCredentials(vodupload.DefaultCredentials()),
	}
	if c.endpoint != "" {
		opts = append(opts, vodupload.WithEndpoint(c.endpoint))
	}
	return opts
}
