package main

// The -checkpoints mode: list the checkpoints of -checkpoint-dir, or prune
// those left behind (a changed file or changed metadata starts a new one).

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/vodupload/vodupload"
)

func (c *config) checkCheckpoints() error {
	switch {
	case c.checkpoints != "list" && c.checkpoints != "prune":
		return usagef("-checkpoints must be list or prune, got %q", c.checkpoints)
	case c.checkpointDir == "":
		return usagef("-checkpoints %s needs -checkpoint-dir", c.checkpoints)
	case c.set["older-than"] && c.checkpoints != "prune":
		return usagef("-older-than applies to -checkpoints prune")
	case c.olderThan < 0:
		return usagef("-older-than must not be negative, got %s", c.olderThan)
	}
	return c.refuseFlags("does not apply with -checkpoints: nothing is uploaded", append(metadataFlags(),
		"file", "url", "ticket", "pull")...)
}

// checkpointJSON is one checkpoint in the -json answer.
type checkpointJSON struct {
	Key          string    `json:"key"`
	File         string    `json:"file,omitempty"`
	FileSize     int64     `json:"file_size,omitempty"`
	MediaID      string    `json:"media_id,omitempty"`
	UploadID     string    `json:"upload_id,omitempty"`
	PartsDone    int       `json:"parts_done"`
	BytesDone    int64     `json:"bytes_done"`
	Created      time.Time `json:"created,omitzero"`
	Updated      time.Time `json:"updated,omitzero"`
	Error        string    `json:"error,omitempty"` // why a damaged one cannot be resumed
	MediaDeleted bool      `json:"media_deleted,omitempty"`
}

// runCheckpoints lists or prunes; its answer's checkpoints are those
// listed, or those pruned.
func runCheckpoints(ctx context.Context, up *vodupload.Uploader, c *config, stdout io.Writer) (resultJSON, error) {
	r := resultJSON{OK: true}
	if c.checkpoints == "list" {
		infos, err := up.ListCheckpoints(ctx)
		if err != nil {
			return r, err
		}
		for _, in := range infos {
			r.Checkpoints = append(r.Checkpoints, checkpointOf(in, false))
		}
	} else {
		pruned, err := up.PruneCheckpoints(ctx, c.olderThan)
		for _, p := range pruned {
			r.Checkpoints = append(r.Checkpoints, checkpointOf(p.CheckpointInfo, p.MediaDeleted))
		}
		if err != nil {
			return r, err
		}
	}
	r.Checkpoints = append(make([]checkpointJSON, 0), r.Checkpoints...) // [] rather than null
	if !c.jsonOut {
		writeCheckpoints(stdout, c, r.Checkpoints, time.Now())
	}
	return r, nil
}

func checkpointOf(in vodupload.CheckpointInfo, mediaDeleted bool) checkpointJSON {
	j := checkpointJSON{Key: in.Key, File: in.File, FileSize: in.FileSize, MediaID: in.MediaID, UploadID: in.UploadID,
		PartsDone: in.PartsDone, BytesDone: in.BytesDone, Created: in.Created, Updated: in.Updated,
		MediaDeleted: mediaDeleted}
	if in.Err != nil {
		j.Error = oneLine(in.Err)
	}
	return j
}

// writeCheckpoints prints one line per checkpoint, e.g.
// "/data/movie.mp4: 12.0 MiB of 40.0 MiB in 6 parts, VideoId 3f2a…, saved 3h ago".
func writeCheckpoints(w io.Writer, c *config, cps []checkpointJSON, now time.Time) {
	verb := "in"
	if c.checkpoints == "prune" {
		verb = "pruned from"
	}
	fmt.Fprintf(w, "%d checkpoint%s %s %s\n", len(cps), plural(len(cps)), verb, c.checkpointDir)
	for _, cp := range cps {
		if cp.Error != "" {
			fmt.Fprintf(w, "  %s: damaged, cannot be resumed: %s\n", cp.Key, cp.Error)
			continue
		}
		line := fmt.Sprintf("  %s: %s of %s in %d part%s, VideoId %s, saved %s ago", cp.File,
			humanBytes(cp.BytesDone), humanBytes(cp.FileSize), cp.PartsDone, plural(cp.PartsDone), cp.MediaID,
			roundAge(now.Sub(cp.Updated)))
		if cp.MediaDeleted {
			line += "; its unfinished video deleted"
		}
		fmt.Fprintln(w, line)
	}
}

// roundAge prints an age to the unit that matters: 45s, 12m, 3h, 9d.
func roundAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}
