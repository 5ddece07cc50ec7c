package vodupload_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"slices"

	"github.com/vodupload/vodupload"
)

func ExampleUploader_UploadBatch() {
	up := newUploader()

	items := []vodupload.BatchItem{
		{Key: "row 1", Source: vodupload.FileSource("testdata/sample.mp4"), Video: vodupload.VideoMeta{Title: "One"}},
		{Key: "row 2", Source: vodupload.FileSource("testdata/sample.mp4"), Video: vodupload.VideoMeta{Title: "Two"}},
		{Key: "row 3", Source: vodupload.FileSource("testdata/missing.mp4"), Video: vodupload.VideoMeta{Title: "Three"}},
	}
	// A program that must survive a crash records each registration
	// durably here and gives it back as BatchItem.Resume on the next run.
	started := func(s vodupload.BatchStarted) {}

	var lines []string
	for r := range up.UploadBatch(context.Background(), slices.Values(items), vodupload.WithBatchStarted(started)) {
		switch {
		case errors.Is(r.Err, fs.ErrNotExist):
			lines = append(lines, r.Key+": no such file") // one failure never stops the others
		case r.Err != nil:
			log.Fatal(r.Err)
		default:
			lines = append(lines, fmt.Sprintf("%s: %d bytes, VideoId set: %v", r.Key, r.Bytes, r.MediaID != ""))
		}
	}
	slices.Sort(lines) // results come as each item finishes
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// row 1: 5357 bytes, VideoId set: true
	// row 2: 5357 bytes, VideoId set: true
	// row 3: no such file
}
