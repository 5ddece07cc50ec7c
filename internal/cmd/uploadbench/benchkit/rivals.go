// Package benchkit is what the root package's benchmarks and the
// uploadbench command share: the rival libraries' uploads and the generated
// input. Rivals upload to an object and credential VOD allocated, so every
// run, ours or theirs, starts with CreateUploadVideo and ends with the
// object stored and its CRC64 checked by the library itself.
package benchkit

import (
	"context"
	"fmt"
	"io"
	"net/http"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/vodupload/vodupload/internal/vodapi"
)

// Target is one object VOD allocated and the STS credential scoped to it.
type Target struct {
	MediaID  string
	Endpoint string
	Bucket   string
	Key      string
	auth     vodapi.UploadAuth
	// HTTPClient, when set, replaces the library's own HTTP client: over
	// TLS in one process, a client that trusts the emulator (a process of
	// its own can trust it through SSL_CERT_FILE and keep the library's).
	HTTPClient *http.Client
}

// CreateTarget registers a video with VOD (CreateUploadVideo) and returns
// where its bytes go, as every upload path must do first. size is -1 when
// unknown.
func CreateTarget(ctx context.Context, vod *vodapi.Client, title, fileName string, size int64) (Target, error) {
	size = max(size, 0) // VOD takes no FileSize as unknown
	up, err := vod.CreateUploadVideo(ctx, vodapi.CreateVideoRequest{Title: title, FileName: fileName, FileSize: size})
	if err != nil {
		return Target{}, fmt.Errorf("create upload video %s: %w", fileName, err)
	}
	return Target{
		MediaID: up.MediaID, Endpoint: up.Address.Endpoint, Bucket: up.Address.Bucket,
		Key: up.Address.FileName, auth: up.Auth,
	}, nil
}

// Settings shape a multipart upload. A zero field means the library's own
// default, which is what a user who tunes nothing gets.
type Settings struct {
	PartSize int64
	Workers  int
}

// V1DefaultPartSize stands in for aliyun-oss-go-sdk's part size, which
// Bucket.UploadFile requires as an argument rather than defaulting; its
// routines default to one.
const V1DefaultPartSize = 8 << 20

func (t Target) bucketV1() (*ossv1.Bucket, error) {
	// Defaults otherwise: CRC64 on, MD5 off, the SDK's own transport.
	opts := []ossv1.ClientOption{ossv1.SecurityToken(t.auth.SecurityToken.Reveal())}
	if t.HTTPClient != nil {
		opts = append(opts, ossv1.HTTPClient(t.HTTPClient))
	}
	client, err := ossv1.New(t.Endpoint, t.auth.AccessKeyID, t.auth.AccessKeySecret.Reveal(), opts...)
	if err != nil {
		return nil, fmt.Errorf("oss v1 client for %s: %w", t.Endpoint, err)
	}
	b, err := client.Bucket(t.Bucket)
	if err != nil {
		return nil, fmt.Errorf("oss v1 bucket %s: %w", t.Bucket, err)
	}
	return b, nil
}

// OSSUploadFile is aliyun-oss-go-sdk's Bucket.UploadFile (concurrent
// multipart, no checkpoint) with its default CRC64 check.
func OSSUploadFile(t Target, path string, s Settings) error {
	b, err := t.bucketV1()
	if err != nil {
		return err
	}
	partSize := s.PartSize
	if partSize == 0 {
		partSize = V1DefaultPartSize
	}
	var opts []ossv1.Option
	if s.Workers > 0 {
		opts = append(opts, ossv1.Routines(s.Workers))
	}
	if err := b.UploadFile(t.Key, path, partSize, opts...); err != nil {
		return fmt.Errorf("oss v1 UploadFile %s: %w", t.Key, err)
	}
	return nil
}

// OSSPutObject sends the whole file in one aliyun-oss-go-sdk PutObject.
func OSSPutObject(t Target, path string) error {
	b, err := t.bucketV1()
	if err != nil {
		return err
	}
	if err := b.PutObjectFromFile(t.Key, path); err != nil {
		return fmt.Errorf("oss v1 PutObject %s: %w", t.Key, err)
	}
	return nil
}

// uploaderV2 builds alibabacloud-oss-go-sdk-v2's Uploader for t. It signs
// with V1 because the emulator does not implement V4; the cost of either
// is per request, not per byte.
func (t Target) uploaderV2(s Settings) *ossv2.Uploader {
	cfg := ossv2.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
			t.auth.AccessKeyID, t.auth.AccessKeySecret.Reveal(), t.auth.SecurityToken.Reveal())).
		WithEndpoint(t.Endpoint).
		WithRegion(vodapi.DefaultRegion).
		WithSignatureVersion(ossv2.SignatureVersionV1)
	if t.HTTPClient != nil {
		cfg = cfg.WithHttpClient(t.HTTPClient)
	}
	return ossv2.NewClient(cfg).NewUploader(func(o *ossv2.UploaderOptions) {
		if s.PartSize > 0 {
			o.PartSize = s.PartSize
		}
		if s.Workers > 0 {
			o.ParallelNum = s.Workers
		}
	})
}

func (t Target) putRequestV2() *ossv2.PutObjectRequest {
	return &ossv2.PutObjectRequest{Bucket: ossv2.Ptr(t.Bucket), Key: ossv2.Ptr(t.Key)}
}

// OSSV2UploadFile is alibabacloud-oss-go-sdk-v2's Uploader.UploadFile with
// its default CRC64 check.
func OSSV2UploadFile(ctx context.Context, t Target, path string, s Settings) error {
	if _, err := t.uploaderV2(s).UploadFile(ctx, t.putRequestV2(), path); err != nil {
		return fmt.Errorf("oss v2 UploadFile %s: %w", t.Key, err)
	}
	return nil
}

// OSSV2UploadStream is Uploader.UploadFrom over a reader it cannot seek,
// which it reads into pooled part buffers, as we do.
func OSSV2UploadStream(ctx context.Context, t Target, r io.Reader, s Settings) error {
	if _, err := t.uploaderV2(s).UploadFrom(ctx, t.putRequestV2(), struct{ io.Reader }{r}); err != nil {
		return fmt.Errorf("oss v2 UploadFrom %s: %w", t.Key, err)
	}
	return nil
}
