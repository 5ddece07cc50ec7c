package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"8MiB", 8 << 20, false},
		{"512KiB", 512 << 10, false},
		{"1048576", 1 << 20, false},
		{"16m", 16 << 20, false},
		{"1.5GiB", 3 << 29, false},
		{"10MB", 10_000_000, false},
		{" 2 MiB ", 2 << 20, false},
		{"8XB", 0, true},
		{"-1", 0, true},
		{"MiB", 0, true},
		{"1e30GiB", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if tt.err {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestFormatSizeRoundTrips(t *testing.T) {
	t.Parallel()
	for _, n := range []int64{8 << 20, 512 << 10, 16 << 20, 100_000, 5 << 30} {
		got, err := parseSize(formatSize(n))
		require.NoError(t, err)
		assert.Equal(t, n, got, formatSize(n))
	}
	assert.Equal(t, "8MiB", formatSize(8<<20))
}

func TestListFlags(t *testing.T) {
	t.Parallel()
	var tags stringList
	require.NoError(t, tags.Set("a, b,,c"))
	require.NoError(t, tags.Set("d"))
	assert.Equal(t, stringList{"a", "b", "c", "d"}, tags)

	var ids int64List
	require.NoError(t, ids.Set("1,2"))
	assert.Equal(t, int64List{1, 2}, ids)

	var kv keyValues
	require.NoError(t, kv.Set("k=v,k2=a=b"))
	require.NoError(t, kv.Set("k3="))
	assert.Equal(t, keyValues{"k": "v", "k2": "a=b", "k3": ""}, kv)
	assert.Equal(t, "k=v,k2=a=b,k3=", kv.String())
	assert.Error(t, kv.Set("=v"))
}

// TestShellQuoteSurvivesTheShell pastes the resume command into sh, as a
// user would, and checks every argument arrives unchanged.
func TestShellQuoteSurvivesTheShell(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	args := []string{"-file", "my movie's cut.mp4", "-title", `"quoted" $HOME; rm -rf /`, "-tags", "a,b", "", "ünï", "-extend", "k=v"}
	out, err := exec.Command(sh, "-c", `printf '%s\n' `+shellQuote(args)).Output()
	require.NoError(t, err)
	assert.Equal(t, args, strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"))
	assert.Equal(t, "-file a.mp4 -title 'x y'", shellQuote([]string{"-file", "a.mp4", "-title", "x y"}))
}

func TestFlagApplicability(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"-file", "a.png", "-kind", "image", "-image-type", "cover", "-cate-id", "3"}, ""},
		{[]string{"-file", "a.srt", "-kind", "attached", "-business-type", "subtitle", "-media-ext", "srt"}, ""},
		{[]string{"-file", "a.mp4", "-cover-url", "https://x/y.png", "-workflow-id", "w"}, ""},
		{[]string{"-file", "a.png", "-kind", "image", "-cover-url", "u"}, "-cover-url does not apply to -kind image"},
		{[]string{"-file", "a.srt", "-kind", "attached", "-cate-id", "3"}, "-cate-id does not apply to -kind attached"},
		{[]string{"-file", "a.png", "-kind", "image", "-name", "b.png"}, "-name does not apply to -kind image with a file"},
		{[]string{"-file", "-", "-kind", "image", "-image-ext", "png"}, ""},
		{[]string{"-file", "a.mp4", "-accelerate", "-ecs-region", "cn-shanghai", "-bandwidth-limit", "5MiB", "-traffic-limit", "819200"}, ""},
	}
	for _, tt := range tests {
		_, err := parseArgs(tt.args, nil)
		if tt.err == "" {
			assert.NoError(t, err, tt.args)
			continue
		}
		assert.ErrorContains(t, err, tt.err, tt.args)
	}
}
