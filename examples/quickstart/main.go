// Command quickstart uploads a video to ApsaraVideo VOD.
//
//	go run ./examples/quickstart
//
// With no ALIBABA_CLOUD_ACCESS_KEY_ID in the environment it starts the
// VOD+OSS emulator in-process and uploads testdata/sample.mp4 to it, so it
// runs on a fresh machine with no account. With ALIBABA_CLOUD_ACCESS_KEY_ID
// and ALIBABA_CLOUD_ACCESS_KEY_SECRET set it uploads -file to real VOD in
// -region.
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

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", filepath.Join("testdata", "sample.mp4"), "video file to upload")
	title := fs.String("title", "vodupload quickstart", "video title")
	region := fs.String("region", vodupload.DefaultRegion, "VOD region (real VOD only)")
	if err := fs.Parse(args); err != nil {
		return 2
	}

	opts := []vodupload.Option{vodupload.WithRegion(*region)}
	target := "ApsaraVideo VOD in " + *region
	if os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID") == "" {
		srv, err := emulator.New(emulator.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "quickstart: start emulator: %v\n", err)
			return 1
		}
		defer srv.Close()
		opts = []vodupload.Option{
			vodupload.WithEndpoint(srv.URL),
			vodupload.WithCredentials(vodupload.StaticCredentials(srv.AccessKeyID, srv.AccessKeySecret)),
		}
		target = "the local emulator at " + srv.URL +
			" (set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET to upload to real VOD)"
	} else {
		opts = append(opts, vodupload.WithCredentials(vodupload.EnvironmentCredentials()))
	}

	up, err := vodupload.New(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "quickstart: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "uploading %s to %s\n", *file, target)
	res, err := up.UploadVideo(ctx, vodupload.FileSource(*file), vodupload.VideoMeta{Title: *title})
	if err != nil {
		fmt.Fprintf(stderr, "quickstart: %v\n", err)
		if errors.Is(err, vodupload.ErrValidation) || errors.Is(err, os.ErrNotExist) {
			return 2
		}
		return 1
	}
	secs := res.Duration.Seconds()
	fmt.Fprintf(stdout, "VideoId:  %s\nobject:   %s/%s\nbytes:    %d\nparts:    %d\nCRC64:    %d (verified by OSS)\nspeed:    %.2f MB/s in %s\n",
		res.VideoID, res.Bucket, res.ObjectKey, res.Bytes, res.Parts, res.CRC64,
		float64(res.Bytes)/1e6/max(secs, 1e-9), res.Duration.Round(1e6))
	return 0
}
