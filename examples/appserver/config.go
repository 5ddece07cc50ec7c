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

// Environment variables read at start. There are deliberately no flags for
// secrets: command lines are visible to every user of the machine.
const (
	// tokenEnv holds a bearer token when no -token-file is given.
	tokenEnv = "APPSERVER_TOKEN"
	// refreshKeyEnv holds the refresh token keys, comma separated (first
	// signs), when no -refresh-key-file is given.
	refreshKeyEnv = "VODUPLOAD_REFRESH_KEY"
)

type config struct {
	addr           string
	region         string
	endpoint       string
	rate           float64
	burst          int
	tokenFile      string
	refreshKeyFile string
	refreshTTL     time.Duration
	corsOrigins    listFlag
	skipCredCheck  bool
	web            bool
	aliOSSJS       string
	callTimeout    time.Duration
	shutdownGrace  time.Duration
	clients        []Client
	refreshKeys    [][]byte
	// warnings are problems worth logging once the logger exists.
	warnings []string
}

// listFlag is a flag that may be repeated and takes comma lists.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}

// parseConfig reads flags, tokens and keys. getenv is os.Getenv outside
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
	fs.StringVar(&c.tokenFile, "token-file", "", "file with the accepted bearer tokens, one per line: TOKEN or NAME TOKEN; re-read on SIGHUP (default: $"+tokenEnv+")")
	fs.StringVar(&c.refreshKeyFile, "refresh-key-file", "", "file with the refresh token keys, one per line, the first signs; re-read on SIGHUP (default: $"+refreshKeyEnv+", comma separated)")
	fs.DurationVar(&c.refreshTTL, "refresh-ttl", DefaultRefreshTTL, "how long a refresh token stays valid; each refresh issues a new one")
	fs.Var(&c.corsOrigins, "cors-origin", "web origin allowed to call the API from a browser, e.g. https://app.example.com (repeatable or comma separated; default none)")
	fs.BoolVar(&c.web, "web", false, "serve the upload page at /")
	fs.StringVar(&c.aliOSSJS, "ali-oss-js", "", "local copy of ali-oss's browser build (dist/aliyun-oss-sdk.min.js) for the page (default: Alibaba's CDN, "+AliOSSCDN+")")
	fs.BoolVar(&c.skipCredCheck, "skip-credential-check", false, "start without checking the VOD AccessKey (offline development)")
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
	for _, o := range c.corsOrigins {
		if _, err := normalizeOrigin(o); err != nil {
			return config{}, fmt.Errorf("-cors-origin: %w", err)
		}
	}
	var err error
	var warn []string
	if c.clients, c.warnings, err = loadClients(c.tokenFile, getenv); err != nil {
		return config{}, err
	}
	if c.refreshKeys, warn, err = loadRefreshKeys(c.refreshKeyFile, getenv); err != nil {
		return config{}, err
	}
	c.warnings = append(c.warnings, warn...)
	return c, nil
}

// loadClients reads the token file, or else the environment. A file may
// hold several tokens (one per client, or old and new during rotation).
func loadClients(path string, getenv func(string) string) ([]Client, []string, error) {
	if path == "" {
		t := strings.TrimSpace(getenv(tokenEnv))
		if t == "" {
			return nil, nil, fmt.Errorf("no bearer token: set -token-file or $%s", tokenEnv)
		}
		return []Client{{Token: t}}, nil, nil
	}
	lines, warnings, err := readSecretFile("token file", path)
	if err != nil {
		return nil, nil, err
	}
	clients := make([]Client, 0, len(lines))
	for _, l := range lines {
		f := strings.Fields(l.text)
		switch len(f) {
		case 1:
			clients = append(clients, Client{Token: f[0]})
		case 2:
			clients = append(clients, Client{Name: f[0], Token: f[1]})
		default:
			return nil, nil, fmt.Errorf("read token file %s: line %d: want TOKEN or NAME TOKEN, found %d words", path, l.no, len(f))
		}
	}
	if len(clients) == 0 {
		return nil, nil, fmt.Errorf("read token file %s: no token in it", path)
	}
	if _, err := newTokenSet(clients); err != nil {
		return nil, nil, fmt.Errorf("read token file %s: %w", path, err)
	}
	return clients, warnings, nil
}

// loadRefreshKeys reads the key file, or else the environment; none at all
// is allowed (the server then makes an ephemeral key and says so).
func loadRefreshKeys(path string, getenv func(string) string) ([][]byte, []string, error) {
	var keys [][]byte
	var warnings []string
	if path == "" {
		for _, k := range strings.Split(getenv(refreshKeyEnv), ",") {
			if k = strings.TrimSpace(k); k != "" {
				keys = append(keys, []byte(k))
			}
		}
	} else {
		lines, w, err := readSecretFile("refresh key file", path)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range lines {
			keys = append(keys, []byte(l.text))
		}
		if len(keys) == 0 {
			return nil, nil, fmt.Errorf("read refresh key file %s: no key in it", path)
		}
		warnings = w
	}
	if _, err := newRefreshKeys(keys); err != nil {
		return nil, nil, fmt.Errorf("refresh keys: %w", err)
	}
	return keys, warnings, nil
}

// secretLine is a line of a token or key file with its number.
type secretLine struct {
	no   int
	text string
}

// readSecretFile returns the meaningful lines of a file of secrets: blank
// lines are skipped and "#" starts a comment, at the start of a line or
// after white space (a "#" inside a word is part of it). It warns when
// others may read the file.
func readSecretFile(what, path string) ([]secretLine, []string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", what, err)
	}
	var warnings []string
	if info.Mode().Perm()&0o077 != 0 {
		warnings = append(warnings, fmt.Sprintf("%s %s is readable by others (mode %v); chmod 600 it", what, path, info.Mode().Perm()))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", what, err)
	}
	var lines []secretLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	for no := 1; sc.Scan(); no++ {
		if text := strings.TrimSpace(stripComment(sc.Text())); text != "" {
			lines = append(lines, secretLine{no: no, text: text})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	return lines, warnings, nil
}

// stripComment cuts a line at the first "#" that starts a word.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

func (c config) serverOptions() Options {
	return Options{Clients: c.clients, RefreshKeys: c.refreshKeys, RefreshTTL: c.refreshTTL,
		CORSOrigins: c.corsOrigins, Web: c.web, AliOSSJS: c.aliOSSJS, Rate: rate.Limit(c.rate), Burst: c.burst, CallTimeout: c.callTimeout}
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
