// Package ossclient is the narrow OSS interface the upload engine talks to,
// implemented over aliyun-oss-go-sdk. The engine never sees an SDK type:
// errors come back as *apierr.Error, CRC64s as numbers, and the body it
// passes is sent as is, so the engine controls retries, CRC and progress.
package ossclient

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/vodupload/vodupload/internal/apierr"
)

// Part is one uploaded part as OSS acknowledged it.
type Part struct {
	Number int
	ETag   string
	Size   int64
	CRC64  uint64 // from x-oss-hash-crc64ecma; 0 when OSS did not send it (ListParts)
	HasCRC bool
}

// Result describes a written object.
type Result struct {
	ETag      string
	CRC64     uint64
	HasCRC    bool
	RequestID string
}

// API is what the engine needs from OSS.
type API interface {
	PutObject(ctx context.Context, key string, body io.Reader, size int64) (Result, error)
	InitiateMultipart(ctx context.Context, key string) (uploadID string, err error)
	UploadPart(ctx context.Context, key, uploadID string, number int, body io.Reader, size int64) (Part, error)
	CompleteMultipart(ctx context.Context, key, uploadID string, parts []Part) (Result, error)
	AbortMultipart(ctx context.Context, key, uploadID string) error
	ListParts(ctx context.Context, key, uploadID string) ([]Part, error)
	HeadObject(ctx context.Context, key string) (size int64, r Result, err error)
}

// Config says which bucket to talk to and how.
type Config struct {
	Endpoint    string // e.g. https://oss-cn-shanghai.aliyuncs.com
	Bucket      string
	Credentials oss.CredentialsProvider
	HTTPClient  *http.Client // shared across uploads so connections are reused
	UserAgent   string
	// TrafficLimit is sent as x-oss-traffic-limit (bits per second) on
	// uploads; 0 sends nothing.
	TrafficLimit int64
}

// Client implements API over one bucket.
type Client struct {
	bucket       *oss.Bucket
	trafficLimit int64
}

var _ API = (*Client)(nil)

// New builds a client. It makes no network call.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("oss client: endpoint and bucket are required")
	}
	opts := []oss.ClientOption{
		oss.SetCredentialsProvider(cfg.Credentials),
		// The engine computes CRC64 once while the bytes go out and checks
		// it against OSS's answer; the SDK's own table CRC would be a second
		// pass over every byte.
		oss.EnableCRC(false),
		oss.EnableMD5(false),
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, oss.HTTPClient(cfg.HTTPClient))
	}
	if cfg.UserAgent != "" {
		opts = append(opts, oss.UserAgent(cfg.UserAgent))
	}
	cl, err := oss.New(cfg.Endpoint, "", "", opts...)
	if err != nil {
		return nil, fmt.Errorf("oss client for %s: %w", cfg.Endpoint, err)
	}
	b, err := cl.Bucket(cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("oss bucket %s: %w", cfg.Bucket, err)
	}
	return &Client{bucket: b, trafficLimit: cfg.TrafficLimit}, nil
}

func (c *Client) writeOptions(ctx context.Context, hdr *http.Header, size int64) []oss.Option {
	opts := []oss.Option{oss.WithContext(ctx), oss.GetResponseHeader(hdr), oss.ContentLength(size)}
	if c.trafficLimit > 0 {
		opts = append(opts, oss.TrafficLimitHeader(c.trafficLimit))
	}
	return opts
}

// PutObject writes body (exactly size bytes) to key.
func (c *Client) PutObject(ctx context.Context, key string, body io.Reader, size int64) (Result, error) {
	var hdr http.Header
	err := c.bucket.PutObject(key, sized(body, size), c.writeOptions(ctx, &hdr, size)...)
	if err != nil {
		return Result{}, convert("PutObject", err)
	}
	if err := requireETag("PutObject", hdr, hdr.Get(oss.HTTPHeaderEtag)); err != nil {
		return Result{}, err
	}
	return resultFrom(hdr, hdr.Get(oss.HTTPHeaderEtag))
}

// InitiateMultipart starts a multipart upload of key.
func (c *Client) InitiateMultipart(ctx context.Context, key string) (string, error) {
	res, err := c.bucket.InitiateMultipartUpload(key, oss.WithContext(ctx))
	if err != nil {
		return "", convert("InitiateMultipartUpload", err)
	}
	if res.UploadID == "" {
		return "", &apierr.Error{Service: apierr.OSS, Op: "InitiateMultipartUpload", Code: "MalformedResponse", Message: "no UploadId in the response"}
	}
	return res.UploadID, nil
}

// UploadPart sends one part.
func (c *Client) UploadPart(ctx context.Context, key, uploadID string, number int, body io.Reader, size int64) (Part, error) {
	var hdr http.Header
	// The request Bucket.UploadPart sends, without the io.LimitedReader
	// it puts the body under: that wrapper would hide the engine's body
	// from the connection, which sends a part buffer without copying it
	// when it can see the body (internal/wire). Bodies end at their size.
	if err := oss.CheckObjectName(key); err != nil {
		return Part{}, convert("UploadPart", err)
	}
	params := map[string]any{"partNumber": strconv.Itoa(number), "uploadId": uploadID}
	resp, err := c.bucket.Do(http.MethodPut, key, params, c.writeOptions(ctx, &hdr, size), sized(body, size), nil)
	if err != nil {
		return Part{}, convert("UploadPart", err)
	}
	_ = resp.Body.Close()
	etag := hdr.Get(oss.HTTPHeaderEtag)
	if err := requireETag("UploadPart", hdr, etag); err != nil {
		return Part{}, err
	}
	r, err := resultFrom(hdr, etag)
	if err != nil {
		return Part{}, err
	}
	return Part{Number: number, ETag: r.ETag, Size: size, CRC64: r.CRC64, HasCRC: r.HasCRC}, nil
}

// CompleteMultipart assembles parts (any order; sorted here) into key.
func (c *Client) CompleteMultipart(ctx context.Context, key, uploadID string, parts []Part) (Result, error) {
	var hdr http.Header
	imur := oss.InitiateMultipartUploadResult{Bucket: c.bucket.BucketName, Key: key, UploadID: uploadID}
	up := make([]oss.UploadPart, len(parts))
	for i, p := range parts {
		up[i] = oss.UploadPart{PartNumber: p.Number, ETag: p.ETag}
	}
	res, err := c.bucket.CompleteMultipartUpload(imur, up, oss.WithContext(ctx), oss.GetResponseHeader(&hdr))
	if err != nil {
		return Result{}, convert("CompleteMultipartUpload", err)
	}
	return resultFrom(hdr, res.ETag)
}

// AbortMultipart discards an unfinished upload and its parts.
func (c *Client) AbortMultipart(ctx context.Context, key, uploadID string) error {
	imur := oss.InitiateMultipartUploadResult{Bucket: c.bucket.BucketName, Key: key, UploadID: uploadID}
	if err := c.bucket.AbortMultipartUpload(imur, oss.WithContext(ctx)); err != nil {
		return convert("AbortMultipartUpload", err)
	}
	return nil
}

// ListParts returns every part OSS holds for the upload, following pages.
func (c *Client) ListParts(ctx context.Context, key, uploadID string) ([]Part, error) {
	imur := oss.InitiateMultipartUploadResult{Bucket: c.bucket.BucketName, Key: key, UploadID: uploadID}
	var parts []Part
	marker := 0
	for {
		res, err := c.bucket.ListUploadedParts(imur, oss.WithContext(ctx), oss.MaxParts(1000), oss.PartNumberMarker(marker))
		if err != nil {
			return nil, convert("ListParts", err)
		}
		for _, p := range res.UploadedParts {
			parts = append(parts, Part{Number: p.PartNumber, ETag: p.ETag, Size: int64(p.Size)})
		}
		if !res.IsTruncated {
			return parts, nil
		}
		next, err := strconv.Atoi(res.NextPartNumberMarker)
		if err != nil || next <= marker {
			return nil, &apierr.Error{Service: apierr.OSS, Op: "ListParts", Code: "MalformedResponse",
				Message: "truncated listing without a usable NextPartNumberMarker"}
		}
		marker = next
	}
}

// HeadObject returns an object's size and CRC64.
func (c *Client) HeadObject(ctx context.Context, key string) (int64, Result, error) {
	hdr, err := c.bucket.GetObjectDetailedMeta(key, oss.WithContext(ctx))
	if err != nil {
		return 0, Result{}, convert("HeadObject", err)
	}
	size, err := strconv.ParseInt(hdr.Get("Content-Length"), 10, 64)
	if err != nil {
		return 0, Result{}, &apierr.Error{Service: apierr.OSS, Op: "HeadObject", Code: "MalformedResponse",
			Message: "no usable Content-Length"}
	}
	r, err := resultFrom(hdr, hdr.Get(oss.HTTPHeaderEtag))
	return size, r, err
}

// sized gives the SDK a body whose length it can see, so it sends a
// Content-Length instead of chunked encoding, which OSS refuses for parts.
func sized(body io.Reader, size int64) io.Reader {
	if _, ok := body.(interface{ Len() int }); ok {
		return body
	}
	return &io.LimitedReader{R: body, N: size}
}

func resultFrom(hdr http.Header, etag string) (Result, error) {
	r := Result{ETag: etag, RequestID: hdr.Get(oss.HTTPHeaderOssRequestID)}
	if v := hdr.Get(oss.HTTPHeaderOssCRC64); v != "" {
		crc, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return Result{}, &apierr.Error{Service: apierr.OSS, Code: "MalformedResponse", RequestID: r.RequestID,
				Message: fmt.Sprintf("unparsable %s header %q", oss.HTTPHeaderOssCRC64, v)}
		}
		r.CRC64, r.HasCRC = crc, true
	}
	return r, nil
}

// requireETag refuses a write answer without an ETag. OSS sends one with
// every stored object and part; the SDK takes any 200 for success, so a
// gateway answering 200 with an error document would otherwise pass for a
// stored object that does not exist.
func requireETag(op string, hdr http.Header, etag string) error {
	if etag != "" {
		return nil
	}
	return &apierr.Error{Service: apierr.OSS, Op: op, StatusCode: http.StatusOK, Code: "MalformedResponse",
		RequestID: hdr.Get(oss.HTTPHeaderOssRequestID), Message: "a successful answer without an ETag; nothing was stored"}
}

// convert turns SDK errors into *apierr.Error where OSS answered, and keeps
// transport errors (resets, timeouts, cancellation) wrapped as they are.
func convert(op string, err error) error {
	var se oss.ServiceError
	if errors.As(err, &se) {
		return &apierr.Error{Service: apierr.OSS, Op: op, StatusCode: se.StatusCode, Code: se.Code,
			Message: se.Message, RequestID: se.RequestID, HostID: se.HostID}
	}
	var ue oss.UnexpectedStatusCodeError
	if errors.As(err, &ue) {
		return &apierr.Error{Service: apierr.OSS, Op: op, StatusCode: ue.Got(), Code: http.StatusText(ue.Got())}
	}
	var xe *xml.SyntaxError
	if errors.As(err, &xe) {
		return &apierr.Error{Service: apierr.OSS, Op: op, Code: "MalformedResponse", Message: xe.Error()}
	}
	// The SDK reports an error status whose body is not OSS's XML only as
	// text; keep its status so a 503 with a garbled body is still retried.
	if m := unknownBody.FindStringSubmatch(err.Error()); m != nil {
		status, _ := strconv.Atoi(m[1])
		return &apierr.Error{Service: apierr.OSS, Op: op, StatusCode: status, Code: "MalformedResponse",
			Message: "error response without an OSS error document"}
	}
	return fmt.Errorf("OSS %s: %w", op, err)
}

// unknownBody matches the SDK's messages for an error status whose body
// is not an OSS error document, in all their spellings: "oss: service
// returned invalid response body, status = 503 Service Unavailable, ..."
// (4xx and 5xx), "unknown response body, status = 506 ..." (other codes)
// and "unknown response body, status code= 503, ..." (callbacks).
var unknownBody = regexp.MustCompile(`^(?:oss: service returned invalid|unknown) response body, status(?: code)? ?= ?(\d+)`)
