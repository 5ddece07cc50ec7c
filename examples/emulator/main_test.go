package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFirstLineIsJSONAndServerShutsDown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"-addr", "127.0.0.1:0", "-storage", "discard"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	var hello map[string]string
	require.NoError(t, json.Unmarshal([]byte(line), &hello))
	for _, k := range []string{"vod_endpoint", "oss_endpoint", "region", "access_key_id", "access_key_secret"} {
		assert.NotEmpty(t, hello[k], k)
	}
	resp, err := http.Get(hello["oss_endpoint"] + "/nobucket/key")
	require.NoError(t, err)
	resp.Body.Close()
	assert.GreaterOrEqual(t, resp.StatusCode, 400, "unsigned request is refused")

	cancel()
	go io.Copy(io.Discard, pr)
	assert.Equal(t, 0, <-exit)
}

func TestBadFlagsExitTwo(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 2, run(context.Background(), []string{"-storage", "tape"}, io.Discard, io.Discard))
	assert.Equal(t, 2, run(context.Background(), []string{"-nope"}, io.Discard, io.Discard))
}
