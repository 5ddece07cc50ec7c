package emulator

import (
	"cmp"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// OSS list limits.
const (
	maxListParts   = 1000
	maxListUploads = 1000
)

// ossTimeFormat is how OSS writes times in XML bodies: ISO 8601 in UTC,
// always with a zero millisecond field ("2012-02-23T07:01:34.000Z" in the
// ListParts and ListMultipartUploads references), because OSS keeps whole
// seconds. oss2 parses nothing else.
const ossTimeFormat = "2006-01-02T15:04:05.000Z"

// formatOSSTime renders t the way OSS writes it in XML: truncated to the
// second.
func formatOSSTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(ossTimeFormat)
}

type listedPart struct {
	PartNumber    int    `xml:"PartNumber"`
	LastModified  string `xml:"LastModified"`
	ETag          string `xml:"ETag"`
	HashCrc64ecma uint64 `xml:"HashCrc64ecma"`
	Size          int64  `xml:"Size"`
}

// listPartsResult follows the element order of a 2023 ListParts answer
// (alibabacloud-oss-go-sdk-v2 api_op_object_test.go).
type listPartsResult struct {
	XMLName              xml.Name     `xml:"ListPartsResult"`
	EncodingType         string       `xml:"EncodingType,omitempty"`
	Bucket               string       `xml:"Bucket"`
	Key                  string       `xml:"Key"`
	UploadID             string       `xml:"UploadId"`
	StorageClass         string       `xml:"StorageClass"`
	PartNumberMarker     int          `xml:"PartNumberMarker"`
	NextPartNumberMarker int          `xml:"NextPartNumberMarker"`
	MaxParts             int          `xml:"MaxParts"`
	IsTruncated          bool         `xml:"IsTruncated"`
	Parts                []listedPart `xml:"Part"`
}

// listParts pages through an upload's parts in part-number order, after
// part-number-marker, at most max-parts at a time. NextPartNumberMarker is
// the last part listed, truncated or not, as in the reference's examples.
func (s *Server) listParts(w http.ResponseWriter, q *ossRequest) error {
	maxParts, err := queryInt(q.query, "max-parts", maxListParts, 1, maxListParts)
	if err != nil {
		return err
	}
	marker, err := queryInt(q.query, "part-number-marker", 0, 0, maxPartNumber)
	if err != nil {
		return err
	}
	id := q.query.Get("uploadId")
	s.mu.Lock()
	u, err := s.lockedUpload(id, q)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	var parts []listedPart
	for n, p := range u.parts {
		if n > marker {
			parts = append(parts, listedPart{
				PartNumber:    n,
				LastModified:  formatOSSTime(p.Modified),
				ETag:          p.ETag,
				HashCrc64ecma: p.CRC64,
				Size:          p.Size,
			})
		}
	}
	s.mu.Unlock()

	slices.SortFunc(parts, func(a, b listedPart) int { return cmp.Compare(a.PartNumber, b.PartNumber) })
	res := listPartsResult{
		EncodingType:     encodingType(q),
		Bucket:           q.bucket,
		Key:              encodeKey(q, q.key),
		UploadID:         id,
		StorageClass:     "Standard",
		PartNumberMarker: marker,
		MaxParts:         maxParts,
		IsTruncated:      len(parts) > maxParts,
	}
	if res.IsTruncated {
		parts = parts[:maxParts]
	}
	res.Parts = parts
	if len(parts) > 0 {
		res.NextPartNumberMarker = parts[len(parts)-1].PartNumber
	}
	return writeOSSXML(w, res)
}

type listedUpload struct {
	Key          string `xml:"Key"`
	UploadID     string `xml:"UploadId"`
	StorageClass string `xml:"StorageClass"`
	Initiated    string `xml:"Initiated"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// listUploadsResult follows the element order of the reference's examples
// (ListMultipartUploads; a 2023 answer in alibabacloud-oss-go-sdk-v2
// client_mock_test.go): every marker element is present, empty or not.
type listUploadsResult struct {
	XMLName            xml.Name       `xml:"ListMultipartUploadsResult"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker"`
	Delimiter          string         `xml:"Delimiter"`
	Prefix             string         `xml:"Prefix"`
	MaxUploads         int            `xml:"MaxUploads"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []listedUpload `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

// uploadListing is the (key, upload ID)-ordered view ListMultipartUploads
// pages through.
type uploadListing struct {
	prefix, delimiter         string
	keyMarker, uploadIDMarker string
	max                       int
}

// after reports whether u comes after the markers. upload-id-marker
// counts only together with key-marker, as the reference says.
func (l uploadListing) after(u *multipartUpload) bool {
	if l.keyMarker == "" || u.key > l.keyMarker {
		return true
	}
	return l.uploadIDMarker != "" && u.key == l.keyMarker && u.id > l.uploadIDMarker
}

// listMultipartUploads lists the bucket's open uploads in (key, upload ID)
// order, grouping keys that share prefix…delimiter into CommonPrefixes,
// each of which counts as one entry against max-uploads. A VOD credential
// is scoped to its own object, so the list holds only uploads of keys the
// caller's credential may touch. NextKeyMarker and NextUploadIdMarker name
// the last entry listed, truncated or not, as in the reference's examples.
func (s *Server) listMultipartUploads(w http.ResponseWriter, q *ossRequest) error {
	maxUploads, err := queryInt(q.query, "max-uploads", maxListUploads, 1, maxListUploads)
	if err != nil {
		return err
	}
	l := uploadListing{
		prefix: q.query.Get("prefix"), delimiter: q.query.Get("delimiter"),
		keyMarker: q.query.Get("key-marker"), uploadIDMarker: q.query.Get("upload-id-marker"),
		max: maxUploads,
	}
	var ups []listedUpload
	s.mu.Lock()
	for _, u := range s.uploads {
		if u.bucket == q.bucket && strings.HasPrefix(u.key, l.prefix) && q.cred.allows(u.bucket, u.key) && l.after(u) {
			ups = append(ups, listedUpload{Key: u.key, UploadID: u.id, StorageClass: "Standard",
				Initiated: formatOSSTime(u.initiated)})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(ups, func(a, b listedUpload) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.UploadID, b.UploadID))
	})

	res := listUploadsResult{
		EncodingType:   encodingType(q),
		Bucket:         q.bucket,
		KeyMarker:      encodeKey(q, l.keyMarker),
		UploadIDMarker: l.uploadIDMarker,
		Delimiter:      encodeKey(q, l.delimiter),
		Prefix:         encodeKey(q, l.prefix),
		MaxUploads:     maxUploads,
	}
	res.Uploads, res.CommonPrefixes, res.IsTruncated, res.NextKeyMarker, res.NextUploadIDMarker = l.page(ups)
	for i := range res.Uploads {
		res.Uploads[i].Key = encodeKey(q, res.Uploads[i].Key)
	}
	for i := range res.CommonPrefixes {
		res.CommonPrefixes[i].Prefix = encodeKey(q, res.CommonPrefixes[i].Prefix)
	}
	res.NextKeyMarker = encodeKey(q, res.NextKeyMarker)
	return writeOSSXML(w, res)
}

// page cuts the sorted uploads after the markers into at most l.max
// entries, an entry being an upload or a common prefix, and returns the
// markers of the last entry.
func (l uploadListing) page(sorted []listedUpload) (ups []listedUpload, cps []commonPrefix, truncated bool, nextKey, nextID string) {
	n := 0
	for _, u := range sorted {
		cp, grouped := l.commonPrefix(u.Key)
		if grouped && (len(cps) > 0 && cps[len(cps)-1].Prefix == cp || cp <= l.keyMarker) {
			continue // already listed, or listed on an earlier page
		}
		if n == l.max {
			return ups, cps, true, nextKey, nextID
		}
		n++
		if grouped {
			cps = append(cps, commonPrefix{Prefix: cp})
			nextKey, nextID = cp, ""
			continue
		}
		ups = append(ups, u)
		nextKey, nextID = u.Key, u.UploadID
	}
	return ups, cps, false, nextKey, nextID
}

// commonPrefix returns the prefix…delimiter group key belongs to, if any.
func (l uploadListing) commonPrefix(key string) (string, bool) {
	if l.delimiter == "" {
		return "", false
	}
	rest := key[len(l.prefix):]
	i := strings.Index(rest, l.delimiter)
	if i < 0 {
		return "", false
	}
	return l.prefix + rest[:i+len(l.delimiter)], true
}

// queryInt reads an integer parameter: def when absent or empty (oss2
// sends part-number-marker= and OSS answers 200), InvalidArgument below lo
// or unparsable, clamped to hi.
func queryInt(query url.Values, name string, def, lo, hi int) (int, error) {
	raw := query.Get(name)
	if raw == "" {
		return def, nil
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < lo {
		return 0, errInvalidArgument("Argument " + name + " is not valid.")
	}
	return min(v, hi), nil
}

// encodingType echoes encoding-type=url, the only value OSS accepts; an
// empty or other value encodes nothing.
func encodingType(q *ossRequest) string {
	if strings.EqualFold(q.query.Get("encoding-type"), "url") {
		return "url"
	}
	return ""
}

// encodeKey URL-encodes a key in a list response when the client asked
// for encoding-type=url, which aliyun-oss-go-sdk always does for ListParts
// and ListMultipartUploads and decodes with url.QueryUnescape.
func encodeKey(q *ossRequest, key string) string {
	if encodingType(q) == "" {
		return key
	}
	return strings.ReplaceAll(url.QueryEscape(key), "+", "%20")
}
