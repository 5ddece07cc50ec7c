// Package vodupload uploads media to Alibaba Cloud ApsaraVideo VOD from Go.
//
// An AppServer creates an Uploader once with New and shares it. Each upload
// asks VOD for an upload address and a temporary STS credential
// (CreateUploadVideo, CreateUploadImage, CreateUploadAttachedMedia), then
// writes the bytes to the OSS bucket VOD allocated: one PutObject for small
// sources, otherwise a concurrent multipart upload through a bounded worker
// pool. A video's credential is renewed before it expires and again whenever
// OSS says it has; an image or attached media file, which VOD cannot renew,
// is registered again when its credential dies early. Every part is
// checked against the CRC64 OSS computed, and a failed upload is either
// left resumable under the same VideoId (checkpoints on) or aborted, with
// the media record it created deleted.
//
// Tests and local development run against an emulator of VOD and OSS that
// checks signatures and credential expiry like the real services: install
// it with go install github.com/vodupload/vodupload/examples/emulator@latest
// and point WithEndpoint at it (see the README's "The emulator").
package vodupload
