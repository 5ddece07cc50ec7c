package vodupload

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/ossclient"
	"github.com/vodupload/vodupload/internal/progress"
	"github.com/vodupload/vodupload/internal/uploadauth"
)

// fakeOSS is the ossclient.API of engine tests. Each call runs its …Fn
// hook when one is set and otherwise behaves like a healthy OSS that keeps
// objects in memory (the hooks may call those defaults: put, uploadPart,
// ...). Every call is logged by name, in order.
type fakeOSS struct {
	PutObjectFn         func(ctx context.Context, key string, body io.Reader, size int64) (ossclient.Result, error)
	InitiateMultipartFn func(ctx context.Context, key string) (string, error)
	UploadPartFn        func(ctx context.Context, key, uploadID string, n int, body io.Reader, size int64) (ossclient.Part, error)
	CompleteMultipartFn func(ctx context.Context, key, uploadID string, parts []ossclient.Part) (ossclient.Result, error)
	AbortMultipartFn    func(ctx context.Context, key, uploadID string) error
	ListPartsFn         func(ctx context.Context, key, uploadID string) ([]ossclient.Part, error)
	HeadObjectFn        func(ctx context.Context, key string) (int64, ossclient.Result, error)

	mu      sync.Mutex // guards calls, objects, uploads and next
	calls   []string
	objects map[string][]byte
	uploads map[string]map[int][]byte // upload ID → part number → bytes
	next    int                       // for upload IDs
}

var _ ossclient.API = (*fakeOSS)(nil)

func newFakeOSS() *fakeOSS {
	return &fakeOSS{objects: map[string][]byte{}, uploads: map[string]map[int][]byte{}}
}

func (f *fakeOSS) log(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

// Calls returns the calls so far, by name.
func (f *fakeOSS) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Object returns what key holds.
func (f *fakeOSS) Object(key string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects[key]
}

func (f *fakeOSS) PutObject(ctx context.Context, key string, body io.Reader, size int64) (ossclient.Result, error) {
	f.log("PutObject")
	if f.PutObjectFn != nil {
		return f.PutObjectFn(ctx, key, body, size)
	}
	return f.put(key, body)
}

// put is PutObject's default: store the body.
func (f *fakeOSS) put(key string, body io.Reader) (ossclient.Result, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return ossclient.Result{}, err
	}
	f.mu.Lock()
	f.objects[key] = b
	f.mu.Unlock()
	return ossclient.Result{ETag: etag(b), CRC64: crc64.Checksum(b), HasCRC: true}, nil
}

func (f *fakeOSS) InitiateMultipart(ctx context.Context, key string) (string, error) {
	f.log("InitiateMultipartUpload")
	if f.InitiateMultipartFn != nil {
		return f.InitiateMultipartFn(ctx, key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := fmt.Sprintf("upload-%d", f.next)
	f.uploads[id] = map[int][]byte{}
	return id, nil
}

func (f *fakeOSS) UploadPart(ctx context.Context, key, uploadID string, n int, body io.Reader, size int64) (ossclient.Part, error) {
	f.log("UploadPart")
	if f.UploadPartFn != nil {
		return f.UploadPartFn(ctx, key, uploadID, n, body, size)
	}
	return f.uploadPart(uploadID, n, body)
}

// uploadPart is UploadPart's default: store the part.
func (f *fakeOSS) uploadPart(uploadID string, n int, body io.Reader) (ossclient.Part, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return ossclient.Part{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	parts, ok := f.uploads[uploadID]
	if !ok {
		return ossclient.Part{}, fmt.Errorf("fake oss: no upload %s", uploadID)
	}
	parts[n] = b
	return ossclient.Part{Number: n, ETag: etag(b), Size: int64(len(b)), CRC64: crc64.Checksum(b), HasCRC: true}, nil
}

func (f *fakeOSS) CompleteMultipart(ctx context.Context, key, uploadID string, parts []ossclient.Part) (ossclient.Result, error) {
	f.log("CompleteMultipartUpload")
	if f.CompleteMultipartFn != nil {
		return f.CompleteMultipartFn(ctx, key, uploadID, parts)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var obj bytes.Buffer
	for _, p := range parts {
		obj.Write(f.uploads[uploadID][p.Number])
	}
	delete(f.uploads, uploadID)
	f.objects[key] = obj.Bytes()
	return ossclient.Result{ETag: etag(obj.Bytes()), CRC64: crc64.Checksum(obj.Bytes()), HasCRC: true}, nil
}

func (f *fakeOSS) AbortMultipart(ctx context.Context, key, uploadID string) error {
	f.log("AbortMultipartUpload")
	if f.AbortMultipartFn != nil {
		return f.AbortMultipartFn(ctx, key, uploadID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.uploads, uploadID)
	return nil
}

func (f *fakeOSS) ListParts(ctx context.Context, key, uploadID string) ([]ossclient.Part, error) {
	f.log("ListParts")
	if f.ListPartsFn != nil {
		return f.ListPartsFn(ctx, key, uploadID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ossclient.Part
	for n, b := range f.uploads[uploadID] {
		out = append(out, ossclient.Part{Number: n, ETag: etag(b), Size: int64(len(b))})
	}
	slices.SortFunc(out, func(a, b ossclient.Part) int { return a.Number - b.Number })
	return out, nil
}

func (f *fakeOSS) HeadObject(ctx context.Context, key string) (int64, ossclient.Result, error) {
	f.log("HeadObject")
	if f.HeadObjectFn != nil {
		return f.HeadObjectFn(ctx, key)
	}
	b := f.Object(key)
	return int64(len(b)), ossclient.Result{ETag: etag(b), CRC64: crc64.Checksum(b), HasCRC: true}, nil
}

// etag is OSS's ETag of a simple object or part: the quoted MD5.
func etag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// newTestSession is a session over api with o's options (defaults
// filled), a credential that refresh renews (nil: none), and a meter for
// size bytes, stopped when the test ends.
func newTestSession(t interface{ Cleanup(func()) }, api ossclient.API, o UploadOptions,
	refresh uploadauth.RefreshFunc, size int64) *session {
	o = o.withDefaults()
	meter := progress.Start(size, nil, 0)
	t.Cleanup(meter.Stop)
	return &session{api: api, opts: o, meter: meter, log: o.Logger,
		creds: uploadauth.New(uploadauth.Credentials{}, refresh, uploadauth.Options{})}
}
