package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

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

	retries                       int // after the first attempt
	retryBaseDelay, retryMaxDelay time.Duration
	stallTimeout, callTimeout     time.Duration
	refreshAt                     float64
	progressInterval              time.Duration
	keepFailedMedia               bool

	// The other modes: upload with an AppServer's ticket, let VOD pull
	// the URL, or list or prune checkpoints.
	ticketFile  string
	pull        bool
	checkpoints string // list or prune
	olderThan   time.Duration
	bulk        bulkConfig // -manifest or -dir

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
	fs.StringVar(&c.checkpoints, "checkpoints", "", "`list` the checkpoints in -checkpoint-dir, or prune those older than -older-than (and their unfinished videos), instead of uploading")
	fs.DurationVar(&c.olderThan, "older-than", 7*24*time.Hour, "with -checkpoints prune: the `age` of the last save past which a checkpoint is removed")
	fs.BoolVar(&c.keepFailedMedia, "keep-failed-media", false, "keep the media record of an upload that failed for good (default: deleted, so VOD keeps no empty record)")
	fs.StringVar(&c.ticketFile, "ticket", "", "upload -file or -url with the upload ticket in `file` (the JSON an AppServer hands out: VideoId/ImageId/MediaId, UploadAddress, UploadAuth, Expires); no AccessKey needed, no metadata flags")
	fs.BoolVar(&c.pull, "pull", false, "let VOD fetch -url itself (UploadMediaByURL) and wait for it, instead of streaming it through this machine")

	fs.Var(&c.bandwidthLimit, "bandwidth-limit", "cap the upload at this `size` per second, e.g. 5MiB (default: no cap)")
	fs.Int64Var(&c.trafficLimit, "traffic-limit", 0, "ask OSS to throttle each request to this many `bits` per second (819200..838860800)")
	fs.IntVar(&c.retries, "retries", vodupload.DefaultMaxAttempts-1, "how often a request is repeated after a transient error (5xx, throttling, timeout, reset)")
	fs.DurationVar(&c.retryBaseDelay, "retry-base-delay", vodupload.DefaultRetryBaseDelay, "first backoff between attempts (full jitter, doubling)")
	fs.DurationVar(&c.retryMaxDelay, "retry-max-delay", vodupload.DefaultRetryMaxDelay, "longest backoff between attempts")
	fs.DurationVar(&c.stallTimeout, "stall-timeout", vodupload.DefaultStallTimeout, "abandon and retry a request whose body has not moved for this long")
	fs.Float64Var(&c.refreshAt, "refresh-at", vodupload.DefaultRefreshAt, "renew the upload credential after this `share` of its lifetime, 0..1")
	fs.DurationVar(&c.callTimeout, "call-timeout", vodupload.DefaultCallTimeout, "bound on each attempt of a VOD API call")
	fs.DurationVar(&c.progressInterval, "progress-interval", vodupload.DefaultProgressInterval, "how often progress is measured and redrawn")

	fs.StringVar(&c.region, "region", vodupload.DefaultRegion, "VOD region")
	fs.StringVar(&c.ecsRegion, "ecs-region", "", "`region` of the ECS instance this runs on: same-region uploads use OSS's internal endpoint")
	fs.BoolVar(&c.accelerate, "accelerate", false, "upload through OSS transfer acceleration (must be enabled for the account)")
	fs.StringVar(&c.endpoint, "endpoint", "", "VOD API endpoint `URL`, e.g. the emulator's")
	fs.BoolVar(&c.jsonOut, "json", false, "print one JSON object with the result on stdout")
	fs.BoolVar(&c.verbose, "v", false, "debug logs on stderr")
	fs.StringVar(&c.progress, "progress", "auto", "progress display: auto, bar, lines or none")
	c.bulk.register(fs)
	return fs
}

func kindNames() []string {
	return slices.Sorted(maps.Keys(kinds()))
}

const usageHeader = `upload uploads a media file to ApsaraVideo VOD.

  upload -file movie.mp4 -title "My movie"
  cat movie.mp4 | upload -file - -name movie.mp4 -title "My movie"
  upload -url https://example.com/movie.mp4 -pull -title "My movie"
  upload -file clip.mp4 -ticket ticket.json
  upload -checkpoints prune -checkpoint-dir ~/.vod-checkpoints -older-than 72h
  upload -manifest import.csv        (bulk import; run it again to continue, -retry-failed, -shard i/n)

Credentials come from the environment (ALIBABA_CLOUD_ACCESS_KEY_ID,
ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN), the Alibaba
Cloud CLI profile or the ECS RAM role; never from a flag, which ps would show.

Exit codes: 0 done; 1 failed (network, service, credentials: may succeed
when run again); 2 invalid command line or input (flags, metadata, a file
or index that cannot be uploaded as it is), found before VOD created
anything; 130 interrupted.

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
		// Parsing stops at the mistake: a -json after it still asks
		// for the answer as JSON.
		c.jsonOut = c.jsonOut || asksForJSON(args)
		return c, usagef("%v (run with -h for help)", err)
	}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if fs.NArg() > 0 {
		return c, usagef("unexpected argument %q: flags go before it, and the file is given with -file", fs.Arg(0))
	}
	return c, c.check()
}

// asksForJSON reports whether args hold -json before any "--".
func asksForJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-json", "--json", "-json=true", "--json=true":
			return true
		}
	}
	return false
}

// check rejects combinations no upload could satisfy.
func (c *config) check() error {
	switch c.progress {
	case "auto", "bar", "lines", "none":
	default:
		return usagef("-progress must be auto, bar, lines or none, got %q", c.progress)
	}
	if c.retries < 0 {
		return usagef("-retries must not be negative, got %d", c.retries)
	}
	switch {
	case c.bulk.active():
		return c.checkBulk()
	case c.checkpoints != "":
		return c.checkCheckpoints()
	case c.pull:
		return c.checkPull()
	case c.ticketFile != "":
		return c.checkTicket()
	}
	return c.checkUpload()
}

// checkUpload checks an upload of -kind with its metadata.
func (c *config) checkUpload() error {
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
	if err := c.checkSource(); err != nil {
		return err
	}
	if c.kind == "m3u8" && c.file == "-" {
		return usagef("-kind m3u8 needs the index as a path (-file) or a URL (-url), not stdin")
	}
	if c.file == "-" && c.name == "" && (c.kind != "image" || c.imageExt == "") {
		return usagef("-name is required with -file -: VOD needs the file extension, e.g. -name movie.mp4")
	}
	return nil
}

// checkSource checks that exactly one of -file and -url names the data.
func (c *config) checkSource() error {
	switch {
	case c.file == "" && c.url == "":
		return usagef("-file (a path, or - for stdin) or -url is required")
	case c.file != "" && c.url != "":
		return usagef("-file and -url cannot be used together")
	case c.url != "" && !isHTTPURL(c.url):
		return usagef("-url must be an http or https URL")
	}
	return nil
}

// refuseFlags refuses the flags in names that are set, saying why.
func (c *config) refuseFlags(why string, names ...string) error {
	for _, f := range names {
		if c.set[f] {
			return usagef("-%s %s", f, why)
		}
	}
	return nil
}

// isHTTPURL reports whether s is an absolute http(s) URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
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
