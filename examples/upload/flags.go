package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/vodupload/vodupload"
)

// config is everything the command line asks for.
type config struct {
	file, name, kind string
	endpoint, region string
	checkpointDir    string
	url              string // streamed from the download, or an M3U8 index URL
	segments         stringList
	jsonOut, verbose bool
	progress         string

	partSize, threshold byteSize
	concurrency         int
	bandwidthLimit      byteSize // per second
	trafficLimit        int64    // bits per second, enforced by OSS
	ecsRegion           string
	accelerate          bool

	title, description, coverURL string
	cateID                       int64
	cateIDs                      int64List
	tags                         stringList
	templateGroupID, workflowID  string
	storageLocation, appID       string
	callbackURL, callbackType    string
	extend                       keyValues
	imageType, imageExt          string
	businessType, mediaExt       string

	// set holds the flags given on the command line, so a flag that does
	// not apply to -kind is refused instead of silently ignored.
	set map[string]bool
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// metaOnlyFlags are all kind-specific flags, for the applicability check.
func metaOnlyFlags() []string {
	var all []string
	for _, k := range kinds() {
		all = append(all, k.flags...)
	}
	return all
}

func newFlagSet(c *config) *flag.FlagSet {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	fs.StringVar(&c.file, "file", "", "`path` of the media to upload, or - for stdin (required)")
	fs.StringVar(&c.name, "name", "", "file `name` VOD records; its extension decides the format (default: base name of -file; required with -file -)")
	fs.StringVar(&c.kind, "kind", "video", "media kind: "+strings.Join(kindNames(), ", ")+" (video covers audio too)")
	fs.StringVar(&c.url, "url", "", "upload from an http(s) `URL`, streamed (no temp file); with -kind m3u8, the index URL")
	fs.Var(&c.segments, "segments", "with -kind m3u8: comma-separated segment `files` to upload instead of those the index names")

	fs.StringVar(&c.title, "title", "", "title, at most 128 bytes (required for video)")
	fs.StringVar(&c.description, "description", "", "description, at most 1024 bytes")
	fs.StringVar(&c.coverURL, "cover-url", "", "custom thumbnail URL (video)")
	fs.Int64Var(&c.cateID, "cate-id", 0, "category `id` (video, image)")
	fs.Var(&c.cateIDs, "cate-ids", "comma-separated category `ids`, at most 5 (attached)")
	fs.Var(&c.tags, "tags", "comma-separated `tags`, at most 16")
	fs.StringVar(&c.templateGroupID, "template-group-id", "", "transcoding template group (video)")
	fs.StringVar(&c.workflowID, "workflow-id", "", "workflow, wins over -template-group-id (video)")
	fs.StringVar(&c.storageLocation, "storage-location", "", "storage address other than the default")
	fs.StringVar(&c.appID, "app-id", "", "VOD application (default app-1000000)")
	fs.StringVar(&c.callbackURL, "callback-url", "", "event notification URL for this upload")
	fs.StringVar(&c.callbackType, "callback-type", "", "event notification type: http or mns")
	fs.Var(&c.extend, "extend", "custom fields VOD passes back in event notifications: `k=v,k2=v2`")
	fs.StringVar(&c.imageType, "image-type", "", "default (when empty) or cover (image)")
	fs.StringVar(&c.imageExt, "image-ext", "", "png, jpg, jpeg, gif, heic or webp (image; default: the file's extension)")
	fs.StringVar(&c.businessType, "business-type", "", "watermark, subtitle or material (attached, required)")
	fs.StringVar(&c.mediaExt, "media-ext", "", "extension (attached; default: the file's extension)")

	c.partSize, c.threshold = byteSize(vodupload.DefaultPartSize), byteSize(vodupload.DefaultMultipartThreshold)
	fs.Var(&c.partSize, "part-size", "multipart part `size`, e.g. 8MiB, 512KiB or bytes")
	fs.IntVar(&c.concurrency, "concurrency", vodupload.DefaultConcurrency, "parts in flight")
	fs.Var(&c.threshold, "threshold", "`size` above which multipart upload is used")
	fs.StringVar(&c.checkpointDir, "checkpoint-dir", "", "keep checkpoints in `dir`: an interrupted video upload, run again, resumes under the same VideoId")

	fs.Var(&c.bandwidthLimit, "bandwidth-limit", "cap the upload at this `size` per second, e.g. 5MiB (default: no cap)")
	fs.Int64Var(&c.trafficLimit, "traffic-limit", 0, "ask OSS to throttle each request to this many `bits` per second (819200..838860800)")

	fs.StringVar(&c.region, "region", vodupload.DefaultRegion, "VOD region")
	fs.StringVar(&c.ecsRegion, "ecs-region", "", "`region` of the ECS instance this runs on: same-region uploads use OSS's internal endpoint")
	fs.BoolVar(&c.accelerate, "accelerate", false, "upload through OSS transfer acceleration (must be enabled for the account)")
	fs.StringVar(&c.endpoint, "endpoint", "", "VOD API endpoint `URL`, e.g. the emulator's")
	fs.BoolVar(&c.jsonOut, "json", false, "print one JSON object with the result on stdout")
	fs.BoolVar(&c.verbose, "v", false, "debug logs on stderr")
	fs.StringVar(&c.progress, "progress", "auto", "progress display: auto, bar, lines or none")
	return fs
}

func kindNames() []string {
	return slices.Sorted(maps.Keys(kinds()))
}

const usageHeader = `upload uploads a media file to ApsaraVideo VOD.

  upload -file movie.mp4 -title "My movie"
  cat movie.mp4 | upload -file - -name movie.mp4 -title "My movie"

Credentials come from the environment (ALIBABA_CLOUD_ACCESS_KEY_ID,
ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN), the Alibaba
Cloud CLI profile or the ECS RAM role; never from a flag, which ps would show.

Exit codes: 0 uploaded, 1 upload failed, 2 usage error, 130 interrupted.

Flags:
`

// parseArgs parses and checks the command line. It returns flag.ErrHelp
// after printing the help for -h.
func parseArgs(args []string, stderr io.Writer) (*config, error) {
	c := &config{set: map[string]bool{}}
	fs := newFlagSet(c)
	// The flag package would print the whole usage on every mistake; one
	// line is easier to read and to grep in CI logs.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprint(stderr, usageHeader)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, usagef("%v (run with -h for help)", err)
	}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if fs.NArg() > 0 {
		return c, usagef("unexpected argument %q: flags go before it, and the file is given with -file", fs.Arg(0))
	}
	return c, c.check()
}

// check rejects combinations no upload could satisfy.
func (c *config) check() error {
	k, ok := kinds()[c.kind]
	if !ok {
		return usagef("unknown -kind %q: use one of %s", c.kind, strings.Join(kindNames(), ", "))
	}
	for _, f := range metaOnlyFlags() {
		if c.set[f] && !slices.Contains(k.flags, f) {
			return usagef("-%s does not apply to -kind %s", f, c.kind)
		}
	}
	if c.kind == "image" && c.set["name"] && c.file != "-" {
		// ImageMeta has no file name: the extension comes from the file.
		return usagef("-name does not apply to -kind image with a file: use -image-ext to override the extension")
	}
	switch c.progress {
	case "auto", "bar", "lines", "none":
	default:
		return usagef("-progress must be auto, bar, lines or none, got %q", c.progress)
	}
	switch {
	case c.file == "" && c.url == "":
		return usagef("-file (a path, or - for stdin) or -url is required")
	case c.file != "" && c.url != "":
		return usagef("-file and -url cannot be used together")
	case c.kind == "m3u8" && c.file == "-":
		return usagef("-kind m3u8 needs the index as a path (-file) or a URL (-url), not stdin")
	}
	if c.file == "-" && c.name == "" && (c.kind != "image" || c.imageExt == "") {
		return usagef("-name is required with -file -: VOD needs the file extension, e.g. -name movie.mp4")
	}
	return nil
}

// userData is VOD's UserData built from the callback and extend flags, or
// nil when none is set (VOD then uses the console's settings).
func (c *config) userData() *vodupload.UserData {
	if c.callbackURL == "" && c.callbackType == "" && len(c.extend) == 0 {
		return nil
	}
	d := &vodupload.UserData{Extend: map[string]string(c.extend)}
	if c.callbackURL != "" || c.callbackType != "" {
		d.MessageCallback = &vodupload.MessageCallback{CallbackURL: c.callbackURL, CallbackType: c.callbackType}
	}
	return d
}
