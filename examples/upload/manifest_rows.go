package main

// A bulk import's rows checked and turned into the library's batch items,
// every one before the first upload: a bad row is reported with its line
// and never reaches VOD.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vodupload/vodupload"
)

// row is a checked row: a batch item, or why it cannot be one.
type row struct {
	line   int    // in the manifest; 0 for a directory's files
	key    string // the row's identity in the results file
	source string // the path as written, or the URL without its query: safe to show
	kind   vodupload.MediaKind
	size   int64 // bytes to send; 0 when unknown (a URL) or not ours to send (a pull)
	item   vodupload.BatchItem
	err    error // nil for a valid row
}

// rowDefaults are the metadata flags, which apply to every row that
// leaves the field empty.
type rowDefaults struct {
	kind                        string // -kind when given
	description                 string
	tags                        []string
	cateID                      int64
	cateIDs                     []int64
	templateGroupID, workflowID string
	storageLocation, appID      string
	userData                    *vodupload.UserData
	imageType, businessType     string
}

// Extensions a row's kind is told from when it has no kind column: images
// and subtitles; everything else is a video (or audio) file.
var (
	imageExts    = []string{"png", "jpg", "jpeg", "gif", "heic", "webp"}
	subtitleExts = []string{"srt", "ass", "stl", "ttml", "vtt"}
)

// dirExts are the extensions -dir takes when -ext is not given.
var dirExts = slices.Concat([]string{"mp4", "mov", "mkv", "avi", "flv", "f4v", "ts", "m4v", "webm", "wmv",
	"mpg", "mpeg", "3gp", "mp3", "m4a", "wav", "aac", "flac"}, imageExts, subtitleExts)

// columnsOf are the columns only some kinds take; the rest apply to all.
var columnsOf = map[vodupload.MediaKind][]string{
	vodupload.KindVideo:         {"cate_id", "template_group_id", "workflow_id", "cover_url", "file_name", "pull"},
	vodupload.KindImage:         {"cate_id", "image_type", "image_ext"},
	vodupload.KindAttachedMedia: {"cate_id", "cate_ids", "business_type", "media_ext", "file_name"},
}

// checkRows checks every row; base is the directory relative paths are
// resolved against. Two rows with one key make the later one invalid.
func checkRows(raws []rawRow, base string, d rowDefaults) []row {
	rows := make([]row, len(raws))
	first := map[string]rawRow{}
	for i, r := range raws {
		rows[i] = checkRow(r, base, d)
		if prev, dup := first[rows[i].key]; dup && rows[i].err == nil {
			rows[i].err = fmt.Errorf("same key as %s: give one of them a key column, or a different title", prev.where())
		} else if !dup {
			first[rows[i].key] = r
		}
	}
	return rows
}

func checkRow(r rawRow, base string, d rowDefaults) row {
	f := r.fields
	out := row{line: r.line, source: f["path"]}
	if f["url"] != "" {
		// The library's redaction, as in its errors: no user info, query
		// or fragment, which may carry a signature.
		out.source = strings.TrimPrefix(vodupload.URLSource(f["url"]).String(), "url ")
	}
	out.kind = rowKind(f, d)
	out.key = f["key"]
	if out.key == "" {
		out.key = rowKey(out.kind, f["path"]+f["url"], f["title"])
	}
	item, err := rowItem(f, out.kind, d)
	if err == nil {
		err = sourceOf(&item, f, base, &out.size)
	}
	if err == nil {
		err = columnError(item.Validate())
	}
	out.item, out.err = item, err
	out.item.Key = out.key
	if msg, bad := f["!"]; bad {
		out.err = errors.New(msg)
	}
	return out
}

// rowKind is the kind column, else -kind, else what the extension says.
func rowKind(f map[string]string, d rowDefaults) vodupload.MediaKind {
	switch {
	case f["kind"] != "":
		return vodupload.MediaKind(strings.ToLower(f["kind"]))
	case d.kind != "":
		return vodupload.MediaKind(d.kind)
	}
	name := f["path"]
	if u, err := url.Parse(f["url"]); err == nil && f["url"] != "" {
		name = u.Path
	}
	switch ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), ".")); {
	case slices.Contains(imageExts, ext):
		return vodupload.KindImage
	case slices.Contains(subtitleExts, ext):
		return vodupload.KindAttachedMedia
	}
	return vodupload.KindVideo
}

// rowKey is the stable identity of a row without a key column: its kind,
// source and title. Moving the manifest keeps it; editing one of the
// three makes the row a new one.
func rowKey(kind vodupload.MediaKind, source, title string) string {
	sum := sha256.Sum256([]byte(string(kind) + "\x00" + source + "\x00" + title))
	return hex.EncodeToString(sum[:8])
}

// inShard reports whether key belongs to shard i of n: FNV-1a of the key,
// modulo n, so n machines split one manifest without talking.
func inShard(key string, i, n int) bool {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return h.Sum64()%uint64(n) == uint64(i)
}

// rowItem builds the item's kind and metadata from the columns and the
// defaults, refusing a column its kind does not take.
func rowItem(f map[string]string, kind vodupload.MediaKind, d rowDefaults) (vodupload.BatchItem, error) {
	item := vodupload.BatchItem{Kind: kind}
	own, known := columnsOf[kind]
	if !known {
		return item, fmt.Errorf("kind %q: use video, image or attached", kind)
	}
	for _, cols := range columnsOf {
		for _, c := range cols {
			if f[c] != "" && !slices.Contains(own, c) {
				return item, fmt.Errorf("column %s does not apply to kind %s", c, kind)
			}
		}
	}
	var (
		p       parsed
		tags    = p.list(f, "tags", d.tags)
		cateID  = p.int(f, "cate_id", d.cateID)
		user    = p.userData(f, d.userData)
		pull    = p.bool(f, "pull")
		title   = f["title"]
		desc    = or(f["description"], d.description)
		storage = or(f["storage_location"], d.storageLocation)
		app     = or(f["app_id"], d.appID)
	)
	switch kind {
	case vodupload.KindVideo:
		item.Pull = pull
		item.Video = vodupload.VideoMeta{Title: title, FileName: f["file_name"], Description: desc,
			CoverURL: f["cover_url"], CateID: cateID, Tags: tags,
			TemplateGroupID: or(f["template_group_id"], d.templateGroupID), WorkflowID: or(f["workflow_id"], d.workflowID),
			StorageLocation: storage, AppID: app, UserData: user}
	case vodupload.KindImage:
		item.Image = vodupload.ImageMeta{ImageType: or(f["image_type"], d.imageType), ImageExt: f["image_ext"],
			Title: title, Description: desc, CateID: cateID, Tags: tags, StorageLocation: storage, AppID: app, UserData: user}
	case vodupload.KindAttachedMedia:
		ids := p.ints(f, "cate_ids", d.cateIDs)
		if f["cate_id"] != "" {
			ids = append([]int64{cateID}, ids...)
		}
		business := or(f["business_type"], d.businessType)
		if business == "" && slices.Contains(subtitleExts, strings.ToLower(strings.TrimPrefix(path.Ext(f["path"]+f["url"]), "."))) {
			business = "subtitle"
		}
		item.Attached = vodupload.AttachedMediaMeta{BusinessType: business, MediaExt: f["media_ext"],
			FileName: f["file_name"], Title: title, Description: desc, CateIDs: ids, Tags: tags,
			StorageLocation: storage, AppID: app, UserData: user}
	}
	return item, p.err
}

// sourceOf sets the item's source from the path or url column. A path is
// resolved against base and must be a non-empty regular file now; a URL
// is checked when its upload starts.
func sourceOf(item *vodupload.BatchItem, f map[string]string, base string, size *int64) error {
	switch p, u := f["path"], f["url"]; {
	case p == "" && u == "":
		return errors.New("path or url is required")
	case p != "" && u != "":
		return errors.New("path and url cannot both be set")
	case u != "":
		item.URL = u
		return nil
	}
	p := filepath.FromSlash(f["path"])
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("path %s: no such file", f["path"])
	case err != nil:
		return fmt.Errorf("path %s: %w", f["path"], err)
	case !st.Mode().IsRegular():
		return fmt.Errorf("path %s: not a regular file", f["path"])
	case st.Size() == 0:
		return fmt.Errorf("path %s: empty file", f["path"])
	}
	item.Source, *size = vodupload.FileSource(p), st.Size()
	return nil
}

// columnError names the manifest column of the library's field in err.
func columnError(err error) error {
	var ve *vodupload.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	field, _, _ := strings.Cut(ve.Field, "[")
	col := map[string]string{
		"Title": "title", "FileName": "file_name", "Description": "description", "CoverURL": "cover_url",
		"CateID": "cate_id", "CateIDs": "cate_ids", "Tags": "tags", "ImageType": "image_type",
		"ImageExt": "image_ext", "BusinessType": "business_type", "MediaExt": "media_ext",
		"UserData": "user_data", "Kind": "kind", "URL": "url", "Pull": "pull", "Source": "path",
	}[field]
	if col == "" {
		return err
	}
	msg := col + ": " + ve.Rule
	if ve.Value != "" {
		msg += fmt.Sprintf(" (got %q)", ve.Value)
	}
	return &columnErr{msg: msg, err: err}
}

// columnErr is a library validation error told in the manifest's names.
type columnErr struct {
	msg string
	err error
}

func (e *columnErr) Error() string { return e.msg }
func (e *columnErr) Unwrap() error { return e.err }

// parsed turns typed columns into values, keeping the first error.
type parsed struct{ err error }

func (p *parsed) fail(col, want, got string) {
	if p.err == nil {
		p.err = fmt.Errorf("%s: want %s, got %q", col, want, got)
	}
}

func (p *parsed) int(f map[string]string, col string, def int64) int64 {
	if f[col] == "" {
		return def
	}
	v, err := strconv.ParseInt(f[col], 10, 64)
	if err != nil {
		p.fail(col, "an integer", f[col])
	}
	return v
}

func (p *parsed) ints(f map[string]string, col string, def []int64) []int64 {
	if f[col] == "" {
		return def
	}
	var l int64List
	if err := l.Set(f[col]); err != nil {
		p.fail(col, "integers separated by commas", f[col])
	}
	return l
}

func (p *parsed) list(f map[string]string, col string, def []string) []string {
	if f[col] == "" {
		return def
	}
	var l stringList
	_ = l.Set(f[col])
	return l
}

func (p *parsed) bool(f map[string]string, col string) bool {
	if f[col] == "" {
		return false
	}
	v, err := strconv.ParseBool(f[col])
	if err != nil {
		p.fail(col, "true or false", f[col])
	}
	return v
}

// userData reads VOD's UserData JSON ({"MessageCallback": {...},
// "Extend": {...}}), refusing names VOD does not know.
func (p *parsed) userData(f map[string]string, def *vodupload.UserData) *vodupload.UserData {
	if f["user_data"] == "" {
		return def
	}
	dec := json.NewDecoder(strings.NewReader(f["user_data"]))
	dec.DisallowUnknownFields()
	var d vodupload.UserData
	if err := dec.Decode(&d); err != nil || dec.More() {
		p.fail("user_data", `a JSON object such as {"Extend":{"k":"v"}}`, f["user_data"])
		return nil
	}
	return &d
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
