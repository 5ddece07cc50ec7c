// Package checkpoint keeps the durable progress of a multipart upload so a
// 20 GB upload resumes after the process is killed, keeping its VideoId,
// OSS upload ID and every part OSS has acknowledged.
//
// A checkpoint file is one header line followed by a JSON payload:
//
//	vodupload/checkpoint 1 <hex SHA-256 of payload>\n
//	{"kind":"video","source":{...},"mediaId":"...","parts":[...],...}
//
// The magic comes first so a foreign file is recognised without parsing it,
// the version before the checksum so a future layout is reported as
// ErrVersion rather than as corruption, and the checksum covers the payload
// so a torn or bit-flipped file is never trusted.
//
// Unlike the anchor (alibabacloud-oss-go-sdk-v2 oss/checkpoint.go), a record
// keeps every finished part with its ETag and CRC64, so a resume can check
// ListParts against what this process saw instead of trusting it blindly.
// Records carry no credential: the types have no field that could hold an
// AccessKeySecret, SecurityToken or UploadAuth, so none can leak to disk.
package checkpoint
