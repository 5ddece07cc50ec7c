package vodupload_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vodupload/vodupload"
)

// newUploader is how a program builds its Uploader: New reads the
// AccessKey from ALIBABA_CLOUD_ACCESS_KEY_ID and
// ALIBABA_CLOUD_ACCESS_KEY_SECRET (or the SDK's default chain) and talks
// to VOD in cn-shanghai. VOD_ENDPOINT, when set, points it elsewhere: `go
// test` sets it to an emulator, so these examples run as they stand.
func newUploader(opts ...vodupload.Option) *vodupload.Uploader {
	if endpoint := os.Getenv("VOD_ENDPOINT"); endpoint != "" {
		opts = append(opts, vodupload.WithEndpoint(endpoint))
	}
	up, err := vodupload.New(opts...)
	if err != nil {
		log.Fatal(err)
	}
	return up
}

func ExampleUploader_UploadVideo() {
	up := newUploader()

	res, err := up.UploadVideo(context.Background(),
		vodupload.FileSource("testdata/sample.mp4"),
		vodupload.VideoMeta{Title: "Sample", Tags: []string{"demo"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Bytes, "bytes in", res.Parts, "part; VideoId set:", res.VideoID != "")
	// Output: 5357 bytes in 1 part; VideoId set: true
}

func ExampleReaderSource() {
	up := newUploader(vodupload.WithPartSize(256<<10), vodupload.WithMultipartThreshold(256<<10))

	// Any io.Reader, even of unknown size (-1): it is read into at most
	// Concurrency+1 part buffers. The name supplies the extension.
	stream := strings.NewReader(strings.Repeat("frame", 200_000)) // 1,000,000 bytes
	res, err := up.UploadVideo(context.Background(), vodupload.ReaderSource(stream, -1, "live.ts"),
		vodupload.VideoMeta{Title: "From a stream"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Bytes, "bytes in", res.Parts, "parts")
	// Output: 1000000 bytes in 4 parts
}

func ExampleUploader_UploadImage() {
	up := newUploader()

	png := []byte("\x89PNG\r\n\x1a\n....") // or vodupload.FileSource("cover.png")
	res, err := up.UploadImage(context.Background(), vodupload.ReaderSource(bytes.NewReader(png), int64(len(png)), "cover.png"),
		vodupload.ImageMeta{ImageType: "cover", Title: "Cover"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ImageId set:", res.ImageID != "", "URL set:", res.ImageURL != "")
	// Output: ImageId set: true URL set: true
}

func ExampleUploader_UploadAttachedMedia() {
	up := newUploader()

	vtt := "WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"
	res, err := up.UploadAttachedMedia(context.Background(), vodupload.ReaderSource(strings.NewReader(vtt), int64(len(vtt)), "en.vtt"),
		vodupload.AttachedMediaMeta{BusinessType: "subtitle", Title: "English"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("MediaId set:", res.MediaID != "")
	// Output: MediaId set: true
}

func ExampleUploader_UploadM3U8() {
	up := newUploader()

	// The index and every segment it names (checked before VOD is called)
	// go next to each other under the video's ObjectPrefix.
	res, err := up.UploadM3U8(context.Background(),
		vodupload.M3U8{Index: "testdata/hls/index.m3u8"}, vodupload.VideoMeta{Title: "HLS"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Parts, "objects:", "the index, an init segment and 3 media segments")
	// Output: 5 objects: the index, an init segment and 3 media segments
}

func ExampleWithCheckpointDir() {
	dir, err := os.MkdirTemp("", "vodupload-checkpoints")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	up := newUploader(vodupload.WithCheckpointDir(dir),
		vodupload.WithPartSize(256<<10), vodupload.WithMultipartThreshold(256<<10))

	file := filepath.Join(dir, "master.mp4")
	if err := os.WriteFile(file, make([]byte, 3<<20), 0o600); err != nil {
		log.Fatal(err)
	}
	// The first attempt is interrupted (here: cancelled after 1 MiB, as a
	// deploy would); its parts and checkpoint are kept.
	ctx, cancel := context.WithCancel(context.Background())
	stopAfterOneMiB := vodupload.WithProgress(func(p vodupload.Progress) {
		if p.Done >= 1<<20 {
			cancel()
		}
	})
	_, err = up.UploadVideo(ctx, vodupload.FileSource(file), vodupload.VideoMeta{Title: "Master"},
		stopAfterOneMiB, vodupload.WithProgressInterval(time.Millisecond))
	var ue *vodupload.UploadError
	fmt.Println("interrupted, resumable:", errors.As(err, &ue) && ue.Resumable)

	// Running the same upload again continues it under the same VideoId.
	res, err := up.UploadVideo(context.Background(), vodupload.FileSource(file), vodupload.VideoMeta{Title: "Master"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same video:", res.VideoID == ue.MediaID, "parts taken over:", res.ResumedParts > 0)
	// Output:
	// interrupted, resumable: true
	// same video: true parts taken over: true
}

func ExampleWithProgress() {
	var last vodupload.Progress
	up := newUploader(vodupload.WithProgress(func(p vodupload.Progress) {
		last = p // called from one goroutine at a time, and once at the end
	}))

	if _, err := up.UploadVideo(context.Background(), vodupload.FileSource("testdata/sample.mp4"),
		vodupload.VideoMeta{Title: "With progress"}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("final=%v %d/%d bytes\n", last.Final, last.Done, last.Total)
	// Output: final=true 5357/5357 bytes
}

// An AppServer issues a ticket; a device that holds no AccessKey uploads
// with it and asks the AppServer for a fresh one when it expires.
func ExampleUploader_UploadWithTicket() {
	appServer := newUploader()
	ctx := context.Background()

	ticket, err := appServer.CreateVideoUpload(ctx,
		vodupload.VideoMeta{Title: "From a phone", FileName: "clip.mp4"}, 5357)
	if err != nil {
		log.Fatal(err)
	}
	// ... the ticket travels to the device as JSON ...
	device, err := vodupload.New()
	if err != nil {
		log.Fatal(err)
	}
	refresh := func(ctx context.Context) (*vodupload.UploadTicket, error) {
		return appServer.RefreshVideoUpload(ctx, ticket.MediaID) // over HTTP in real life
	}
	res, err := device.UploadWithTicket(ctx, vodupload.FileSource("testdata/sample.mp4"), ticket, refresh)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("uploaded", res.Bytes, "bytes to the ticket's video:", res.MediaID == ticket.MediaID)
	// Output: uploaded 5357 bytes to the ticket's video: true
}

func Example_errors() {
	up := newUploader()
	ctx := context.Background()

	// Bad input is refused before any network call, naming the field.
	_, err := up.UploadVideo(ctx, vodupload.FileSource("testdata/sample.mp4"), vodupload.VideoMeta{})
	var ve *vodupload.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("validation:", ve.Field, "-", ve.Rule)
	}

	// Service errors carry VOD's or OSS's code and request ID.
	wrong := newUploader(vodupload.WithCredentials(
		vodupload.StaticCredentials(os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), "wrong-secret")))
	_, err = wrong.UploadVideo(ctx, vodupload.FileSource("testdata/sample.mp4"), vodupload.VideoMeta{Title: "x"})
	var ae *vodupload.APIError
	if errors.As(err, &ae) {
		fmt.Println("api:", ae.Service, ae.Code, "request id set:", ae.RequestID != "")
	}
	// Output:
	// validation: Title - required
	// api: VOD SignatureDoesNotMatch request id set: true
}
