package emulator

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ecUploadPartNoSuchUpload is OSS's EC for UploadPart naming an upload
// that does not exist (OSS EC page 0017-00000244).
const ecUploadPartNoSuchUpload = "0017-00000244"

// OSS multipart limits.
const (
	maxPartNumber = 10000
	minPartSize   = 100 << 10 // every part but the last
	// maxCompleteBody bounds the CompleteMultipartUpload XML; 10,000 parts
	// take well under 1 MiB.
	maxCompleteBody = 4 << 20
)

// multipartUpload is an open multipart upload; guarded by Server.mu.
type multipartUpload struct {
	id          string
	bucket, key string
	contentType string
	initiated   time.Time
	parts       map[int]partInfo
}

func (u *multipartUpload) blobs() []string {
	out := make([]string, 0, len(u.parts))
	for _, p := range u.parts {
		out = append(out, p.blob)
	}
	return out
}

func (s *Server) initiateMultipartUpload(w http.ResponseWriter, q *ossRequest) error {
	u := &multipartUpload{
		id:          strings.ToUpper(randomHex(16)),
		bucket:      q.bucket,
		key:         q.key,
		contentType: contentTypeOf(q.r),
		initiated:   s.now(),
		parts:       make(map[int]partInfo),
	}
	s.mu.Lock()
	s.uploads[u.id] = u
	s.mu.Unlock()
	return writeOSSXML(w, struct {
		XMLName      xml.Name `xml:"InitiateMultipartUploadResult"`
		Bucket       string   `xml:"Bucket"`
		Key          string   `xml:"Key"`
		UploadID     string   `xml:"UploadId"`
		EncodingType string   `xml:"EncodingType,omitempty"`
	}{Bucket: q.bucket, Key: encodeKey(q, q.key), UploadID: u.id, EncodingType: encodingType(q)})
}

func (s *Server) uploadPart(w http.ResponseWriter, q *ossRequest) error {
	number, err := strconv.Atoi(q.query.Get("partNumber"))
	if err != nil || number < 1 || number > maxPartNumber {
		// OSS EC page 0017-00000220 shows this answer.
		return errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive.").
			with("ArgumentName", "PartNumber").with("ArgumentValue", q.query.Get("partNumber")).
			withEC("0017-00000220")
	}
	id := q.query.Get("uploadId")
	if err := s.checkUpload(id, q); err != nil {
		return asOSSError(err).withEC(ecUploadPartNoSuchUpload) // checked first so a dead upload costs no body
	}
	body, err := uploadBody(q)
	if err != nil {
		return err
	}
	part, err := s.store.putPart(body)
	if err != nil {
		return fmt.Errorf("upload part %d of %s: %w", number, id, err)
	}
	replaced, err := s.recordPart(id, q, number, part)
	if err != nil {
		s.store.dropParts(part.blob)
		return asOSSError(err).withEC(ecUploadPartNoSuchUpload)
	}
	s.store.dropParts(replaced...)
	h := w.Header()
	h.Set("ETag", part.ETag)
	h.Set(crcHeader, formatCRC(part.CRC64))
	s.setContentMD5(h, part.ETag)
	w.WriteHeader(http.StatusOK)
	return nil
}

// checkUpload reports NoSuchUpload unless id is an open upload of q's
// object.
func (s *Server) checkUpload(id string, q *ossRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.lockedUpload(id, q)
	return err
}

// lockedUpload returns upload id of q's object; callers hold s.mu. An
// upload ID used with another object's key does not exist, as in OSS.
func (s *Server) lockedUpload(id string, q *ossRequest) (*multipartUpload, error) {
	u, ok := s.uploads[id]
	if !ok || u.bucket != q.bucket || u.key != q.key {
		return nil, errNoSuchUpload(id)
	}
	return u, nil
}

// recordPart makes part the current copy of part number n and returns the
// blob of the copy it replaced, if any.
func (s *Server) recordPart(id string, q *ossRequest, n int, part partInfo) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.lockedUpload(id, q)
	if err != nil {
		return nil, err // aborted or completed while the body streamed
	}
	var replaced []string
	if old, ok := u.parts[n]; ok {
		replaced = append(replaced, old.blob)
	}
	u.parts[n] = part
	s.counters.bytesReceived += part.Size
	if s.counters.parts[id] == nil {
		s.counters.parts[id] = make(map[int]int64)
	}
	s.counters.parts[id][n]++
	return replaced, nil
}

// completePart is one <Part> of a CompleteMultipartUpload body.
type completePart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

func parseCompleteBody(raw []byte) ([]completePart, error) {
	var body struct {
		XMLName xml.Name       `xml:"CompleteMultipartUpload"`
		Parts   []completePart `xml:"Part"`
	}
	if err := xml.Unmarshal(raw, &body); err != nil || len(body.Parts) == 0 {
		return nil, errMalformedXML().withEC("0042-00000205") // recorded answer, alibabacloud-oss-go-sdk-v2
	}
	return body.Parts, nil
}

func (s *Server) completeMultipartUpload(w http.ResponseWriter, q *ossRequest) error {
	id := q.query.Get("uploadId")
	raw, err := io.ReadAll(io.LimitReader(q.r.Body, maxCompleteBody))
	if err != nil {
		return errIncompleteBody()
	}
	list, parseErr := parseCompleteBody(raw)

	s.mu.Lock()
	u, err := s.lockedUpload(id, q)
	if err == nil {
		err = parseErr
	}
	var parts []partInfo
	if err == nil {
		parts, err = u.completion(list)
	}
	if err != nil {
		s.mu.Unlock()
		return err
	}
	// Taking the upload out first means no UploadPart or Abort can touch
	// its parts while they are assembled outside the lock.
	delete(s.uploads, id)
	unused := unusedBlobs(u, list)
	s.mu.Unlock()

	info := completedInfo(parts, u.contentType)
	used := make([]string, len(parts))
	for i, p := range parts {
		used[i] = p.blob
	}
	if err := s.store.assemble(q.bucket, q.key, info, used); err != nil {
		s.mu.Lock()
		s.uploads[id] = u // the parts are intact; let the client retry
		s.mu.Unlock()
		return fmt.Errorf("complete multipart upload %s: %w", id, err)
	}
	s.store.dropParts(unused...) // OSS deletes parts left out of the list

	// The object's ETag goes in the header too: oss2's
	// complete_multipart_upload returns PutObjectResult, which reads ETag
	// and x-oss-hash-crc64ecma from the headers (oss2/api.py,
	// oss2/models.py), and so does ali-oss (lib/common/multipart.js).
	w.Header().Set("ETag", info.ETag)
	w.Header().Set(crcHeader, formatCRC(info.CRC64))
	return writeOSSXML(w, struct {
		XMLName      xml.Name `xml:"CompleteMultipartUploadResult"`
		EncodingType string   `xml:"EncodingType,omitempty"`
		Location     string   `xml:"Location"`
		Bucket       string   `xml:"Bucket"`
		Key          string   `xml:"Key"`
		ETag         string   `xml:"ETag"`
	}{
		EncodingType: encodingType(q),
		Location:     location(q),
		Bucket:       q.bucket,
		Key:          encodeKey(q, q.key),
		ETag:         info.ETag,
	})
}

// location is the new object's URL as CompleteMultipartUpload reports it:
// on the Host the request used, in the request's addressing style.
func location(q *ossRequest) string {
	scheme := "http"
	if q.r.TLS != nil {
		scheme = "https"
	}
	if q.addr.virtual {
		return scheme + "://" + q.r.Host + "/" + q.key
	}
	return scheme + "://" + q.r.Host + "/" + q.bucket + "/" + q.key
}

// completion checks a Complete list against the uploaded parts, in OSS's
// terms, and returns the parts to join. The whole list is checked for
// order and existence before any part size, so the error names the list's
// real problem. Callers hold s.mu.
func (u *multipartUpload) completion(list []completePart) ([]partInfo, error) {
	parts := make([]partInfo, len(list))
	prev := 0
	for i, c := range list {
		if c.PartNumber <= prev {
			return nil, newOSSError(http.StatusBadRequest, "InvalidPartOrder",
				"The list of parts was not in ascending order. Parts must be ordered by part number.").
				withEC("0042-00000209")
		}
		prev = c.PartNumber
		p, ok := u.parts[c.PartNumber]
		if !ok || !sameETag(p.ETag, c.ETag) {
			return nil, newOSSError(http.StatusBadRequest, "InvalidPart",
				"One or more of the specified parts could not be found or the specified entity tag "+
					"might not have matched the part's entity tag.")
		}
		parts[i] = p
	}
	for _, p := range parts[:len(parts)-1] {
		if p.Size < minPartSize {
			return nil, newOSSError(http.StatusBadRequest, "EntityTooSmall",
				"Your proposed upload is smaller than the minimum allowed size.").withEC("0042-00000213")
		}
	}
	return parts, nil
}

func sameETag(a, b string) bool {
	return strings.EqualFold(strings.Trim(a, `"`), strings.Trim(strings.TrimSpace(b), `"`))
}

// completedInfo derives the object's metadata from its parts: the CRC by
// combining part CRCs, the ETag as OSS does (MD5 of the part MD5s, "-n").
func completedInfo(parts []partInfo, contentType string) objectInfo {
	sum := md5.New()
	var crc uint64
	var size int64
	for _, p := range parts {
		sum.Write(p.MD5[:])
		crc = crc64Combine(crc, p.CRC64, p.Size)
		size += p.Size
	}
	etag := strings.ToUpper(hex.EncodeToString(sum.Sum(nil)))
	return objectInfo{
		Size:        size,
		CRC64:       crc,
		ETag:        `"` + etag + "-" + strconv.Itoa(len(parts)) + `"`,
		ContentType: contentType,
		Modified:    time.Now().UTC(),
	}
}

func unusedBlobs(u *multipartUpload, list []completePart) []string {
	used := make(map[int]bool, len(list))
	for _, c := range list {
		used[c.PartNumber] = true
	}
	var out []string
	for n, p := range u.parts {
		if !used[n] {
			out = append(out, p.blob)
		}
	}
	return out
}

func (s *Server) abortMultipartUpload(w http.ResponseWriter, q *ossRequest) error {
	id := q.query.Get("uploadId")
	s.mu.Lock()
	u, err := s.lockedUpload(id, q)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	delete(s.uploads, id)
	blobs := u.blobs()
	s.mu.Unlock()
	s.store.dropParts(blobs...)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writeOSSXML answers 200 with v as an XML document.
func writeOSSXML(w http.ResponseWriter, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	body = append([]byte(xml.Header), body...)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}
