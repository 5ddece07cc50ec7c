package main

// The -ticket mode: a client-mode upload with a ticket an AppServer issued
// (its JSON, VOD's answer to CreateUploadVideo, CreateUploadImage or
// CreateUploadAttachedMedia), for a machine that holds no AccessKey.

import (
	"context"
	"encoding/json"
	"os"

	"github.com/vodupload/vodupload"
)

func (c *config) checkTicket() error {
	if err := c.refuseFlags("does not apply with -ticket: the AppServer registered the media with its metadata",
		metadataFlags()...); err != nil {
		return err
	}
	// A ticket upload has no checkpoint (its renewals go through the
	// AppServer, which this command cannot reach).
	if err := c.refuseFlags("does not apply with -ticket", "checkpoint-dir", "keep-failed-media"); err != nil {
		return err
	}
	return c.checkSource()
}

// readTicket reads the ticket JSON at path. A file that is not a ticket
// is a usage error: no retry fixes it.
func readTicket(path string) (*vodupload.UploadTicket, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t vodupload.UploadTicket
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, usagef("-ticket %s is not an upload ticket: %v", path, err)
	}
	return &t, nil
}

// uploadTicket uploads src with the ticket of -ticket. Without a way to
// ask the AppServer for a fresh ticket, it must finish within the
// ticket's lifetime (VOD's credentials live 3000 s).
func uploadTicket(ctx context.Context, up *vodupload.Uploader, src vodupload.Source, c *config) (*outcome, error) {
	t, err := readTicket(c.ticketFile)
	if err != nil {
		return nil, err
	}
	res, err := up.UploadWithTicket(ctx, src, t, nil)
	if err != nil {
		return nil, err
	}
	labels := map[vodupload.MediaKind]string{vodupload.KindVideo: "VideoId", vodupload.KindImage: "ImageId",
		vodupload.KindAttachedMedia: "MediaId"}
	return &outcome{kind: string(t.Kind), idLabel: labels[t.Kind], mediaURL: t.MediaURL, Result: *res}, nil
}
