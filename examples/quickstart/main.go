// Command quickstart uploads a video to ApsaraVideo VOD.
//
//	go run ./examples/quickstart
//
// By default it starts the VOD+OSS emulator in-process and uploads
// testdata/sample.mp4 to it, so it runs on a fresh machine with no account,
// whatever the environment holds. -endpoint points it at a running
// emulator (go run ./examples/emulator) or any VOD endpoint instead; -real
// uploads -file to real VOD in -region, with the AccessKey from the
// environment or the SDK's default chain: only that flag ever reaches an
// Alibaba Cloud account.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/vodupload/vodupload"
	"github.com/vodupload/vodupload/internal/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes, the same rule as the upload CLI's: 2 for a wrong command
// line or file found before VOD created anything, 1 for other failures,
// 130 when interrupted.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", filepath.Join("testdata", "sample.mp4"), "video file to upload")
	title := fs.String("title", "vodupload quickstart", "video title")
	toVOD := fs.Bool("real", false, "upload to real ApsaraVideo VOD in -region (AccessKey from the environment or the default chain)")
	region := fs.String("region", vodupload.DefaultRegion, "VOD region, with -real")
	endpoint := fs.String("endpoint", "", "VOD endpoint `URL`, e.g. of an emulator started with go run ./examples/emulator (AccessKey from the environment)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *toVOD && *endpoint != "" {
		fmt.Fprintln(stderr, "quickstart: -real and -endpoint cannot be used together")
		return exitUsage
	}

	var opts []vodupload.Option
	var target string
	switch {
	case *toVOD:
		opts = []vodupload.Option{vodupload.WithRegion(*region), vodupload.WithCredentials(vodupload.DefaultCredentials())}
		target = "ApsaraVideo VOD in " + *region
	case *endpoint != "":
		opts = []vodupload.Option{vodupload.WithEndpoint(*endpoint), vodupload.WithCredentials(vodupload.DefaultCredentials())}
		target = *endpoint
	default:
		srv, err := emulator.New(emulator.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "quickstart: start emulator: %v\n", err)
			return exitFailed
		}
		defer srv.Close()
		opts = []vodupload.Option{
			vodupload.WithEndpoint(srv.URL),
			vodupload.WithCredentials(vodupload.StaticCredentials(srv.AccessKeyID, srv.AccessKeySecret)),
		}
		target = "the local emulator at " + srv.URL + " (-real uploads to your VOD account)"
	}

	up, err := vodupload.New(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "quickstart: %v\n", err)
		return exitCode(err)
	}
	fmt.Fprintf(stdout, "uploading %s to %s\n", *file, target)
	res, err := up.UploadVideo(ctx, vodupload.FileSource(*file), vodupload.VideoMeta{Title: *title})
	if err != nil {
		fmt.Fprintf(stderr, "quickstart: %v\n", err)
		if ctx.Err() != nil {
			return exitInterrupted
		}
		return exitCode(err)
	}
	secs := res.Duration.Seconds()
	fmt.Fprintf(stdout, "VideoId:  %s\nobject:   %s/%s\nbytes:    %d\nparts:    %d\nCRC64:    %d (verified by OSS)\nspeed:    %.2f MB/s in %s\n",
		res.VideoID, res.Bucket, res.ObjectKey, res.Bytes, res.Parts, res.CRC64,
		float64(res.Bytes)/1e6/max(secs, 1e-9), res.Duration.Round(1e6))
	return exitOK
}

// exitCode is 2 for input rejected before VOD created anything, 1 for the
// rest.
func exitCode(err error) int {
	var ue *vodupload.UploadError
	if errors.As(err, &ue) {
		return exitFailed
	}
	for _, invalid := range []error{vodupload.ErrValidation, os.ErrNotExist, vodupload.ErrNotRegularFile, vodupload.ErrEmptySource} {
		if errors.Is(err, invalid) {
			return exitUsage
		}
	}
	return exitFailed
}
