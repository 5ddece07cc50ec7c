package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/vodupload/vodupload"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128+SIGINT, what shells report for Ctrl-C
)

// exitCode classifies a failed run by one rule, the same in every binary
// of this module: 2 when the command line or the data it names is wrong,
// found before VOD created anything (no retry can fix it); 1 for every
// other failure (network, a service's or web server's answer,
// credentials), which may succeed when run again. Once VOD created the
// media (an *UploadError) the failure is 1 whatever its cause.
func exitCode(err error) int {
	var (
		ue *usageError
		up *vodupload.UploadError
	)
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &up):
		return exitFailed
	}
	for _, invalid := range []error{vodupload.ErrValidation, os.ErrNotExist, vodupload.ErrNotRegularFile,
		vodupload.ErrEmptySource, vodupload.ErrTooLarge, vodupload.ErrInvalidPlaylist} {
		if errors.Is(err, invalid) {
			return exitUsage
		}
	}
	return exitFailed
}

// resultJSON is the -json answer, success or failure: always exactly one
// object on stdout so scripts can parse it without looking at the exit
// code first.
type resultJSON struct {
	OK       bool   `json:"ok"`
	Kind     string `json:"kind,omitempty"`
	File     string `json:"file,omitempty"`
	MediaID  string `json:"media_id,omitempty"`
	MediaURL string `json:"media_url,omitempty"`
	// RequestID is of the VOD call that created the media.
	RequestID string `json:"request_id,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	ObjectKey string `json:"object_key,omitempty"`
	Bytes     int64  `json:"bytes,omitempty"`
	// CRC64 is a string: as a JSON number it would lose its low bits in
	// every float64 parser (jq, JavaScript).
	CRC64 string `json:"crc64,omitempty"`
	// CRC64Object is the object CRC64 belongs to: ObjectKey, except for
	// an HLS upload, where it is the index object's.
	CRC64Object string `json:"crc64_object,omitempty"`
	Parts       int    `json:"parts,omitempty"`
	// Objects replaces Parts for an HLS upload: the index, segments and
	// keys written, one object each.
	Objects int `json:"objects,omitempty"`
	// ResumedParts and ResumedBytes were taken over from a checkpoint;
	// 0 for a fresh upload.
	ResumedParts int   `json:"resumed_parts"`
	ResumedBytes int64 `json:"resumed_bytes"`
	Retries      int   `json:"retries"`
	Refreshes    int   `json:"refreshes"`
	// JobID and Status are a -pull's VOD job.
	JobID        string  `json:"job_id,omitempty"`
	Status       string  `json:"status,omitempty"`
	DurationSecs float64 `json:"duration_seconds,omitempty"`
	// BytesPerSecond is what this run sent (Bytes-ResumedBytes) over
	// DurationSecs.
	BytesPerSecond float64          `json:"bytes_per_second,omitempty"`
	Checkpoints    []checkpointJSON `json:"checkpoints,omitempty"`
	// Warnings are the SDK's warnings, e.g. why a checkpoint could not be
	// resumed and the upload started afresh.
	Warnings      []string   `json:"warnings,omitempty"`
	Error         *errorJSON `json:"error,omitempty"`
	ExitCode      int        `json:"exit_code"`
	ResumeCommand string     `json:"resume_command,omitempty"`
}

type errorJSON struct {
	Message string          `json:"message"`
	Upload  *uploadErrJSON  `json:"upload,omitempty"`
	API     *apiErrJSON     `json:"api,omitempty"`
	Invalid *invalidErrJSON `json:"invalid,omitempty"`
}

type uploadErrJSON struct {
	Op        string `json:"op"`
	MediaID   string `json:"media_id,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	ObjectKey string `json:"object_key,omitempty"`
	UploadID  string `json:"upload_id,omitempty"`
	PartsDone int    `json:"parts_done"`
	BytesDone int64  `json:"bytes_done"`
	Resumable bool   `json:"resumable"`
	Aborted   bool   `json:"aborted"`
	AbortErr  string `json:"abort_error,omitempty"`
	// Deleted: the media record was deleted (no empty record is left);
	// DeleteErr says why deleting it failed.
	Deleted   bool   `json:"deleted"`
	DeleteErr string `json:"delete_error,omitempty"`
}

type apiErrJSON struct {
	Service    string `json:"service"`
	Op         string `json:"op"`
	StatusCode int    `json:"status_code,omitempty"`
	Code       string `json:"code"`
	Message    string `json:"message,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
	HostID     string `json:"host_id,omitempty"`
}

type invalidErrJSON struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
	Value string `json:"value,omitempty"`
}

func successJSON(c *config, o *outcome) resultJSON {
	r := resultJSON{
		OK: true, Kind: o.kind, File: c.file, MediaID: o.MediaID, MediaURL: o.mediaURL,
		RequestID: o.RequestID, Bucket: o.Bucket, ObjectKey: o.ObjectKey, Bytes: o.Bytes,
		ResumedParts: o.ResumedParts, ResumedBytes: o.ResumedBytes, Retries: o.Retries,
		Refreshes: o.Refreshes, JobID: o.jobID, Status: o.status, DurationSecs: o.Duration.Seconds(),
	}
	if o.jobID == "" {
		r.CRC64, r.CRC64Object = strconv.FormatUint(o.CRC64, 10), o.ObjectKey
	}
	if o.objects {
		r.Objects = o.Parts
	} else {
		r.Parts = o.Parts
	}
	if s := o.Duration.Seconds(); s > 0 {
		r.BytesPerSecond = float64(o.Bytes-o.ResumedBytes) / s
	}
	return r
}

func failureJSON(c *config, err error, code int, resume string) resultJSON {
	r := resultJSON{File: c.file, Kind: c.kind, ExitCode: code, ResumeCommand: resume,
		Error: &errorJSON{Message: oneLine(err)}}
	var ue *vodupload.UploadError
	if errors.As(err, &ue) {
		u := &uploadErrJSON{Op: ue.Op, MediaID: ue.MediaID, Bucket: ue.Bucket, ObjectKey: ue.ObjectKey,
			UploadID: ue.UploadID, PartsDone: ue.PartsDone, BytesDone: ue.BytesDone,
			Resumable: ue.Resumable, Aborted: ue.Aborted, Deleted: ue.Deleted}
		if ue.AbortErr != nil {
			u.AbortErr = oneLine(ue.AbortErr)
		}
		if ue.DeleteErr != nil {
			u.DeleteErr = oneLine(ue.DeleteErr)
		}
		r.Error.Upload, r.MediaID = u, ue.MediaID
	}
	var ae *vodupload.APIError
	if errors.As(err, &ae) {
		r.Error.API = &apiErrJSON{Service: string(ae.Service), Op: ae.Op, StatusCode: ae.StatusCode,
			Code: ae.Code, Message: ae.Message, RequestID: ae.RequestID, HostID: ae.HostID}
	}
	var ve *vodupload.ValidationError
	if errors.As(err, &ve) {
		r.Error.Invalid = &invalidErrJSON{Field: ve.Field, Rule: ve.Rule, Value: ve.Value}
	}
	return r
}

// flagFor names the flag that sets an SDK field, so a validation error
// tells the user what to change on the command line.
func flagFor(field string) string {
	field, _, _ = strings.Cut(field, "[") // Tags[3] is -tags
	switch {
	case strings.HasPrefix(field, "UserData.MessageCallback.CallbackType"):
		return "callback-type"
	case strings.HasPrefix(field, "UserData.MessageCallback"):
		return "callback-url"
	case strings.HasPrefix(field, "UserData"):
		return "extend"
	}
	return map[string]string{
		"Title": "title", "FileName": "name", "Description": "description", "CoverURL": "cover-url",
		"CateID": "cate-id", "CateIDs": "cate-ids", "Tags": "tags", "ImageType": "image-type",
		"ImageExt": "image-ext", "BusinessType": "business-type", "MediaExt": "media-ext",
		"PartSize": "part-size", "Concurrency": "concurrency",
		"MultipartThreshold": "threshold", "Region": "region", "Endpoint": "endpoint",
		"BandwidthLimit": "bandwidth-limit", "TrafficLimit": "traffic-limit", "ECSRegion": "ecs-region",
		"MaxAttempts": "retries", "RetryBaseDelay": "retry-base-delay", "RetryMaxDelay": "retry-max-delay",
		"StallTimeout": "stall-timeout", "RefreshAt": "refresh-at", "ProgressInterval": "progress-interval",
		"CallTimeout": "call-timeout",
	}[field]
}

// errorLine is err as the one line printed on stderr.
func errorLine(err error) string {
	line := oneLine(err)
	var ve *vodupload.ValidationError
	if errors.As(err, &ve) {
		if f := flagFor(ve.Field); f != "" {
			line += " (set with -" + f + ")"
		}
	}
	return line
}

func writeJSON(w io.Writer, r resultJSON) {
	b, _ := json.Marshal(r) // only strings and numbers: cannot fail
	fmt.Fprintln(w, string(b))
}

// writeHuman prints a finished upload for a person reading a terminal.
func writeHuman(w io.Writer, o *outcome) {
	if o.jobID != "" {
		writeRows(w, [][2]string{{"JobId", o.jobID}, {o.idLabel, o.MediaID}, {"status", o.status},
			{"size", fmt.Sprintf("%s (%d bytes), fetched by VOD", humanBytes(o.Bytes), o.Bytes)}})
		return
	}
	secs := o.Duration.Seconds()
	unit, crcOf := "part", "verified by OSS"
	if o.objects {
		unit, crcOf = "object", "of the index object, verified by OSS"
	}
	rows := [][2]string{
		{o.idLabel, o.MediaID},
		{"URL", o.mediaURL},
		{"object", o.Bucket + "/" + o.ObjectKey},
		{"size", fmt.Sprintf("%s (%d bytes) in %d %s%s", humanBytes(o.Bytes), o.Bytes, o.Parts, unit, plural(o.Parts))},
		{"CRC64", fmt.Sprintf("%d (%s)", o.CRC64, crcOf)},
		{"resumed", ""},
		{"time", fmt.Sprintf("%s, %s/s, %d retries, %d credential refreshes",
			roundDuration(o.Duration), humanBytes(int64(float64(o.Bytes-o.ResumedBytes)/max(secs, 1e-9))),
			o.Retries, o.Refreshes)},
		{"RequestId", o.RequestID},
	}
	if o.ResumedParts > 0 {
		rows[5][1] = fmt.Sprintf("%d part%s (%s) taken over from the checkpoint", o.ResumedParts,
			plural(o.ResumedParts), humanBytes(o.ResumedBytes))
	}
	writeRows(w, rows)
}

// writeRows prints label: value rows, leaving out empty values.
func writeRows(w io.Writer, rows [][2]string) {
	for _, r := range rows {
		if r[1] != "" {
			fmt.Fprintf(w, "%-10s %s\n", r[0]+":", r[1])
		}
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// oneLine flattens an error so it prints as one line: some SDK errors
// carry newlines.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// shellQuote quotes args so the printed command can be pasted back into
// a shell and runs with the very same arguments.
func shellQuote(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, needsQuote) < 0 {
			quoted[i] = a
			continue
		}
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// needsQuote reports runes a POSIX shell would interpret.
func needsQuote(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("_@%+=:,./-", r)
}
