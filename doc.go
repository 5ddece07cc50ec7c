// Package vodupload uploads media to Alibaba Cloud ApsaraVideo VOD from Go.
//
// An AppServer creates an Uploader once with New and shares it. Each upload
// asks VOD for an upload address and a temporary STS credential
// (CreateUploadVideo, CreateUploadImage, CreateUploadAttachedMedia), then
// writes the bytes to the OSS bucket VOD allocated: one PutObject for small
// sources, otherwise a concurrent multipart upload through a bounded worker
// pool. The credential is refreshed before it expires and again whenever OSS
// says it has, every part is checked against the CRC64 OSS computed, and a
// failed upload is either aborted or, with checkpoints on, left resumable
// under the same VideoId.
//
// Tests and local development run against internal/emulator, an in-process
// VOD+OSS server; see examples/emulator to run it standalone.
package vodupload
