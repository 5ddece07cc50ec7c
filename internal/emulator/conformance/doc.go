// Package conformance checks internal/emulator against official clients
// that this repository did not write, so the emulator answers as VOD and
// OSS do for every client, not only for ours.
//
// The Node.js suite (testdata/node) drives it with ali-oss and
// @alicloud/pop-core, pinned in its package-lock.json. Install them once
// with
//
//	npm ci --prefix internal/emulator/conformance/testdata/node
//
// and run go test ./internal/emulator/conformance. Without node on PATH the
// suite is skipped, unless VODUPLOAD_CONFORMANCE is set (CI sets it), in
// which case it fails.
package conformance
