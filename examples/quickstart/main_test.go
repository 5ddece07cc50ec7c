package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQuickstartUploadsToTheEmbeddedEmulator(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "") // no account: the emulator path
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-file", filepath.Join("..", "..", "testdata", "sample.mp4")}, &out, &errOut)
	assert.Equal(t, 0, code, "stderr: %s", errOut.String())
	assert.Contains(t, out.String(), "local emulator")
	assert.Contains(t, out.String(), "VideoId:")
	assert.Contains(t, out.String(), "bytes:    5357")
}

func TestQuickstartMissingFileIsAUsageError(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-file", "no-such-file.mp4"}, &out, &errOut)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut.String(), "no-such-file.mp4")
}
