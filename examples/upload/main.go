// Command upload uploads a media file to ApsaraVideo VOD with a progress
// bar, resumable checkpoints and a JSON result for scripts.
//
//	export ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...
//	go run ./examples/upload -file movie.mp4 -title "My movie"
//
// Against the local emulator (go run ./examples/emulator), export the
// AccessKey it prints and add -endpoint with its vod_endpoint. Run with -h
// for every flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vodupload/vodupload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		// The first signal lets the upload wind down and print how to
		// resume; a second one kills at once, as users expect.
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command, with its environment passed in so tests can
// drive it; it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return fail(c, err, nil, stdout, stderr)
	}
	if c.bulk.active() {
		return runBulk(ctx, c, args, stdout, stderr)
	}
	warn := c.warnings(stderr)
	rep := newReporter(c.progress, stderr)
	if c.checkpoints != "" || c.pull {
		rep = noReporter{}
	}
	up, err := vodupload.New(c.options(rep.update, warn)...)
	if err != nil {
		return fail(c, err, warn, stdout, stderr)
	}
	if c.checkpoints != "" {
		r, err := runCheckpoints(ctx, up, c, stdout)
		if err != nil {
			return fail(c, err, warn, stdout, stderr)
		}
		if c.jsonOut {
			r.Warnings = warn.list()
			writeJSON(stdout, r)
		}
		return exitOK
	}
	out, err := c.do(ctx, up, stdin)
	rep.finish(err == nil)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(c, args, err, warn, stdout, stderr)
		}
		return failed(c, args, err, warn, stdout, stderr)
	}
	if c.jsonOut {
		r := successJSON(c, out)
		r.Warnings = warn.list()
		writeJSON(stdout, r)
	} else {
		writeHuman(stdout, out)
	}
	return exitOK
}

// do runs the mode the flags chose: a pull, a ticket upload, or an upload
// of -kind.
func (c *config) do(ctx context.Context, up *vodupload.Uploader, stdin io.Reader) (*outcome, error) {
	if c.pull {
		return pullURL(ctx, up, c)
	}
	src, err := c.source(stdin)
	if err != nil {
		return nil, err
	}
	if c.ticketFile != "" {
		return uploadTicket(ctx, up, src, c)
	}
	return kinds()[c.kind].upload(ctx, up, src, c)
}

// source is -file as an SDK source; - streams stdin, size unknown.
func (c *config) source(stdin io.Reader) (vodupload.Source, error) {
	if c.url != "" {
		return vodupload.URLSource(c.url), nil
	}
	if c.file != "-" {
		return vodupload.FileSource(c.file), nil
	}
	if isTerminal(stdin) {
		return nil, usagef("-file - reads the media from stdin, which is a terminal: pipe the data in")
	}
	return vodupload.ReaderSource(stdin, -1, c.name), nil
}

// options turns the flags into SDK options. Credentials come only from the
// environment and the default chain: a flag would show the secret in ps.
func (c *config) options(progress func(vodupload.Progress), log slog.Handler) []vodupload.Option {
	opts := []vodupload.Option{
		vodupload.WithCredentials(vodupload.DefaultCredentials()),
		vodupload.WithRegion(c.region),
		vodupload.WithCallTimeout(c.callTimeout),
		vodupload.WithPartSize(int64(c.partSize)),
		vodupload.WithConcurrency(c.concurrency),
		vodupload.WithMultipartThreshold(int64(c.threshold)),
		vodupload.WithRetry(c.retries+1, c.retryBaseDelay, c.retryMaxDelay),
		vodupload.WithStallTimeout(c.stallTimeout),
		vodupload.WithRefreshAt(c.refreshAt),
		vodupload.WithProgress(progress),
		vodupload.WithProgressInterval(c.progressInterval),
		vodupload.WithLogger(slog.New(log)),
	}
	if c.endpoint != "" {
		opts = append(opts, vodupload.WithEndpoint(c.endpoint))
	}
	if c.checkpointDir != "" {
		opts = append(opts, vodupload.WithCheckpointDir(c.checkpointDir))
	}
	if c.bandwidthLimit > 0 {
		opts = append(opts, vodupload.WithBandwidthLimit(int64(c.bandwidthLimit)))
	}
	if c.trafficLimit != 0 {
		opts = append(opts, vodupload.WithTrafficLimit(c.trafficLimit))
	}
	if c.ecsRegion != "" {
		opts = append(opts, vodupload.WithECSRegion(c.ecsRegion))
	}
	if c.accelerate {
		opts = append(opts, vodupload.WithAccelerate())
	}
	if c.keepFailedMedia {
		opts = append(opts, vodupload.WithKeepFailedMedia())
	}
	return opts
}

// warnings is the SDK's log: warnings always on stderr, every debug
// event too with -v.
func (c *config) warnings(stderr io.Writer) *warnings {
	if c.verbose {
		return newWarnings(stderr, slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return newWarnings(stderr, nil)
}

// fail reports err and returns its exit code.
func fail(c *config, err error, warn *warnings, stdout, stderr io.Writer) int {
	code := exitCode(err)
	report(c, err, code, "", warn, stdout, stderr)
	return code
}

// failed reports a failed upload and, when its checkpoint was kept, the
// command that resumes it, as after an interruption.
func failed(c *config, args []string, err error, warn *warnings, stdout, stderr io.Writer) int {
	var ue *vodupload.UploadError
	if !errors.As(err, &ue) || !ue.Resumable {
		return fail(c, err, warn, stdout, stderr)
	}
	code := exitCode(err)
	resume := resumeCommand(args)
	report(c, err, code, resume, warn, stdout, stderr)
	checkpointKept(stderr, c, ue, resume)
	return code
}

// checkpointKept says where the checkpoint of a stopped upload is and
// the command that resumes it.
func checkpointKept(stderr io.Writer, c *config, ue *vodupload.UploadError, resume string) {
	fmt.Fprintf(stderr, "upload: checkpoint kept in %s (%s, %d parts done); resume with: %s\n",
		c.checkpointDir, ue.MediaID, ue.PartsDone, resume)
}

// report prints err on one stderr line and, with -json, as the JSON
// answer on stdout.
func report(c *config, err error, code int, resume string, warn *warnings, stdout, stderr io.Writer) {
	fmt.Fprintf(stderr, "upload: %s\n", errorLine(err))
	if c != nil && c.jsonOut {
		r := failureJSON(c, err, code, resume)
		if warn != nil {
			r.Warnings = warn.list()
		}
		writeJSON(stdout, r)
	}
}

// interrupted reports a cancelled upload and the command that continues
// it: the same arguments, which find the checkpoint if one was kept.
func interrupted(c *config, args []string, err error, warn *warnings, stdout, stderr io.Writer) int {
	resume := resumeCommand(args)
	report(c, fmt.Errorf("interrupted: %w", err), exitInterrupted, resume, warn, stdout, stderr)
	var ue *vodupload.UploadError
	switch {
	case errors.As(err, &ue) && ue.Resumable:
		checkpointKept(stderr, c, ue, resume)
	case c.file == "-":
		fmt.Fprintf(stderr, "upload: a stream cannot resume; start again with the same data on stdin: %s\n", resume)
	case c.checkpointDir != "":
		fmt.Fprintf(stderr, "upload: nothing was kept to resume (checkpoints cover video files above -threshold); start again with: %s\n", resume)
	default:
		fmt.Fprintf(stderr, "upload: the partial upload was discarded; start again with: %s (add -checkpoint-dir DIR to make it resumable)\n", resume)
	}
	return exitInterrupted
}

// resumeCommand is the command line that runs the same upload again.
func resumeCommand(args []string) string {
	return commandName() + " " + shellQuote(args)
}

// commandName is how the user started this program, for the resume hint.
// go run builds into a temporary directory that is gone by then.
func commandName() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./examples/upload"
	}
	return os.Args[0]
}
