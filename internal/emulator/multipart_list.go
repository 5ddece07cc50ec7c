package emulator

import (
	"cmp"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// OSS list limits.
const (
	maxListParts   = 1000
	maxListUploads = 1000
)

// ossTimeFormat is how OSS writes times in XML bodies.
const ossTimeFormat = "2006-01-02T15:04:05.000Z"

type listedPart struct {
	PartNumber    int    `xml:"PartNumber"`
	LastModified  string `xml:"LastModified"`
	ETag          string `xml:"ETag"`
	HashCrc64ecma uint64 `xml:"HashCrc64ecma"`
	Size          int64  `xml:"Size"`
}

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
// part-number-marker, at most max-parts at a time.
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
				LastModified:  p.Modified.UTC().Format(ossTimeFormat),
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
	Key       string `xml:"Key"`
	UploadID  string `xml:"UploadId"`
	Initiated string `xml:"Initiated"`
}

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
}

// listMultipartUploads lists the bucket's open uploads in (key, upload ID)
// order. A VOD credential is scoped to its own object, so the list holds
// only uploads of keys the caller's credential may touch. Delimiter is
// echoed but not grouped on.
func (s *Server) listMultipartUploads(w http.ResponseWriter, q *ossRequest) error {
	maxUploads, err := queryInt(q.query, "max-uploads", maxListUploads, 1, maxListUploads)
	if err != nil {
		return err
	}
	prefix := q.query.Get("prefix")
	keyMarker, idMarker := q.query.Get("key-marker"), q.query.Get("upload-id-marker")
	after := func(u *multipartUpload) bool {
		if keyMarker == "" || u.key > keyMarker {
			return true
		}
		return idMarker != "" && u.key == keyMarker && u.id > idMarker
	}

	var ups []listedUpload
	s.mu.Lock()
	for _, u := range s.uploads {
		if u.bucket == q.bucket && strings.HasPrefix(u.key, prefix) && q.cred.allows(u.bucket, u.key) && after(u) {
			ups = append(ups, listedUpload{Key: u.key, UploadID: u.id, Initiated: u.initiated.UTC().Format(ossTimeFormat)})
		}
	}
	s.mu.Unlock()

	slices.SortFunc(ups, func(a, b listedUpload) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.UploadID, b.UploadID))
	})
	res := listUploadsResult{
		EncodingType:   encodingType(q),
		Bucket:         q.bucket,
		KeyMarker:      encodeKey(q, keyMarker),
		UploadIDMarker: idMarker,
		Delimiter:      encodeKey(q, q.query.Get("delimiter")),
		Prefix:         encodeKey(q, prefix),
		MaxUploads:     maxUploads,
		IsTruncated:    len(ups) > maxUploads,
	}
	if res.IsTruncated {
		ups = ups[:maxUploads]
		last := ups[len(ups)-1]
		res.NextKeyMarker, res.NextUploadIDMarker = encodeKey(q, last.Key), last.UploadID
	}
	for i := range ups {
		ups[i].Key = encodeKey(q, ups[i].Key)
	}
	res.Uploads = ups
	return writeOSSXML(w, res)
}

// queryInt reads an integer parameter: def when absent, InvalidArgument
// below lo or unparsable, clamped to hi.
func queryInt(query url.Values, name string, def, lo, hi int) (int, error) {
	if !query.Has(name) {
		return def, nil
	}
	v, err := strconv.Atoi(query.Get(name))
	if err != nil || v < lo {
		return 0, errInvalidArgument("Argument " + name + " is not valid.")
	}
	return min(v, hi), nil
}

// encodingType echoes encoding-type=url, the only value OSS accepts.
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
