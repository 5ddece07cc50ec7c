package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

var sample = filepath.Join("..", "..", "testdata", "sample.mp4")

// TestQuickstartStaysLocalWithKeysInTheEnvironment: the README's emulator
// section exports an AccessKey in the same shell; "Try it" must still not
// upload into the user's account. Only -real does.
func TestQuickstartStaysLocalWithKeysInTheEnvironment(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIrealkeyofauser")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-for-the-quickstart")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-file", sample}, &out, &errOut)
	assert.Equal(t, 0, code, "stderr: %s", errOut.String())
	assert.Contains(t, out.String(), "local emulator")
	assert.Contains(t, out.String(), "VideoId:")
	assert.Contains(t, out.String(), "bytes:    5357")
}

func TestQuickstartUploadsToAnEndpoint(t *testing.T) {
	srv, err := emulator.New(emulator.Options{})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", srv.AccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", srv.AccessKeySecret)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-endpoint", srv.URL, "-file", sample}, &out, &errOut)
	require.Equal(t, 0, code, "stderr: %s", errOut.String())
	assert.Contains(t, out.String(), "to "+srv.URL+"\n")
	assert.EqualValues(t, 1, srv.Counters().Requests["CreateUploadVideo"], "the upload went to the endpoint's emulator")
}

func TestQuickstartExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"-h"}, 0},
		{"unknown flag", []string{"-nope"}, 2},
		{"missing file", []string{"-file", "no-such-file.mp4"}, 2},
		{"real and endpoint", []string{"-real", "-endpoint", "http://127.0.0.1:1"}, 2},
		{"made-up region", []string{"-real", "-region", "mars-1"}, 2},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tt.args, &out, &errOut)
		assert.Equal(t, tt.want, code, "%s: %s", tt.name, errOut.String())
	}
	var out, errOut bytes.Buffer
	run(context.Background(), []string{"-file", "no-such-file.mp4"}, &out, &errOut)
	assert.Contains(t, errOut.String(), "open no-such-file.mp4: no such file or directory")
}
