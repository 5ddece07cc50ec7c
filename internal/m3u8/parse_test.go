package m3u8

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fixtures = "../../testdata/m3u8"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	require.NoError(t, err)
	return b
}

var vodResources = []Resource{
	{URI: "init.mp4", Kind: InitSegment, Line: 7},
	{URI: "keys/enc.key", Kind: Key, Line: 8},
	{URI: "seg/000.ts", Kind: Segment, Line: 10},
	{URI: "seg/001.ts", Kind: Segment, Line: 12},
	{URI: "seg/002.ts", Kind: Segment, Line: 15},
	{URI: "seg/003.ts", Kind: Segment, Line: 17},
}

func TestParseFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []Resource
	}{
		{"vod.m3u8", vodResources},
		{"vod_crlf_bom.m3u8", vodResources},
		{"traversal.m3u8", []Resource{ // parses; Objects refuses it
			{URI: "000.ts", Kind: Segment, Line: 4},
			{URI: "../../../../etc/passwd", Kind: Segment, Line: 6},
		}},
		{"absolute_urls.m3u8", []Resource{
			{URI: "https://cdn.example.com/vod/abc/init.mp4", Kind: InitSegment, Line: 3},
			{URI: "https://cdn.example.com/vod/abc/000.ts?auth_key=1700000000-0-0-0f0e", Kind: Segment, Line: 5},
			{URI: "https://cdn.example.com/vod/abc/001.ts?auth_key=1700000000-0-0-9a8b", Kind: Segment, Line: 7},
			{URI: "//cdn2.example.com/vod/abc/002.ts", Kind: Segment, Line: 9},
		}},
		{"duplicates.m3u8", []Resource{
			{URI: "main.mp4", Kind: InitSegment, Line: 4},
			{URI: "./extra.ts", Kind: Segment, Line: 12},
			{URI: "extra.ts", Kind: Segment, Line: 14},
		}},
		{"quoted_commas.m3u8", []Resource{
			{URI: "a,b.key", Kind: Key, Line: 3},
			{URI: "seg,1.ts", Kind: Segment, Line: 5},
		}},
		{"keys.m3u8", []Resource{ // METHOD=NONE, data:, skd:, https and //host keys stay untouched
			{URI: "000.ts", Kind: Segment, Line: 5},
			{URI: "001.ts", Kind: Segment, Line: 8},
			{URI: "002.ts", Kind: Segment, Line: 11},
			{URI: "003.ts", Kind: Segment, Line: 14},
			{URI: "004.ts", Kind: Segment, Line: 17},
		}},
		{"llhls.m3u8", []Resource{
			{URI: "init.mp4", Kind: InitSegment, Line: 5},
			{URI: "part0.0.m4s", Kind: Part, Line: 6},
			{URI: "part0.1.m4s", Kind: Part, Line: 7},
			{URI: "seg0.m4s", Kind: Segment, Line: 9},
			{URI: "part1.0.m4s", Kind: Part, Line: 10},
		}},
		{"query.m3u8", []Resource{
			{URI: "seg%20one.ts?token=abc", Kind: Segment, Line: 4},
			{URI: "seg-two.ts#t=0", Kind: Segment, Line: 6},
		}},
		{"../hls/index.m3u8", []Resource{
			{URI: "init.mp4", Kind: InitSegment, Line: 7},
			{URI: "segment-000.m4s", Kind: Segment, Line: 9},
			{URI: "segment-001.m4s", Kind: Segment, Line: 11},
			{URI: "segment-002.m4s", Kind: Segment, Line: 13},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			pl, err := Parse(bytes.NewReader(readFixture(t, tt.file)))
			require.NoError(t, err)
			assert.Equal(t, tt.want, pl.Segments)
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		file     string // fixture, or
		input    string // inline index
		wantErr  error
		wantLine int // 0: no line
	}{
		{name: "no header", file: "no_header.m3u8", wantErr: ErrMissingHeader, wantLine: 1},
		{name: "no segments", file: "empty.m3u8", wantErr: ErrNoSegments},
		{name: "master", file: "master.m3u8", wantErr: ErrMasterPlaylist, wantLine: 3},
		{name: "zero bytes", input: "", wantErr: ErrMissingHeader, wantLine: 1},
		{name: "bom only", input: "\ufeff", wantErr: ErrMissingHeader, wantLine: 1},
		{name: "header not first", input: "#EXTINF:1,\n#EXTM3U\na.ts\n", wantErr: ErrMissingHeader, wantLine: 1},
		{name: "header only", input: "#EXTM3U\n", wantErr: ErrNoSegments},
		{name: "invalid utf-8", input: "#EXTM3U\r\n#EXTINF:1,\r\nseg\xff.ts\r\n", wantErr: ErrInvalidUTF8, wantLine: 3},
		{name: "unterminated quote", input: "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\n#EXTINF:1,\na.ts\n", wantErr: ErrSyntax, wantLine: 2},
		{name: "text after quote", input: "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"x\na.ts\n", wantErr: ErrSyntax, wantLine: 2},
		{name: "map without uri", input: "#EXTM3U\n#EXT-X-MAP:BYTERANGE=\"1@0\"\na.ts\n", wantErr: ErrSyntax, wantLine: 2},
		{name: "empty key uri", input: "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"\"\na.ts\n", wantErr: ErrSyntax, wantLine: 2},
		{name: "attribute without value", input: "#EXTM3U\n#EXT-X-PART:INDEPENDENT\na.ts\n", wantErr: ErrSyntax, wantLine: 2},
		{name: "stream-inf only", input: "#EXTM3U\n\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow.m3u8\n", wantErr: ErrMasterPlaylist, wantLine: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := []byte(tt.input)
			if tt.file != "" {
				in = readFixture(t, tt.file)
			}
			pl, err := Parse(bytes.NewReader(in))
			require.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, pl)
			assert.Equal(t, tt.wantLine, errLine(err))
		})
	}
}

// errLine digs out the line number an error reports, 0 if none.
func errLine(err error) int {
	if le, ok := errors.AsType[*LineError](err); ok {
		return le.Line
	}
	if me, ok := errors.AsType[*MasterPlaylistError](err); ok {
		return me.Line
	}
	return 0
}

func TestParseMasterListsVariantsWithoutSecrets(t *testing.T) {
	t.Parallel()
	_, err := Parse(bytes.NewReader(readFixture(t, "master.m3u8")))
	me, ok := errors.AsType[*MasterPlaylistError](err)
	require.True(t, ok, "want *MasterPlaylistError, got %v", err)
	assert.Equal(t, []string{`"audio/en.m3u8"`, `"360p/index.m3u8"`, `"720p/index.m3u8"`, `"720p/iframes.m3u8"`}, me.Variants)
	assert.Contains(t, err.Error(), "360p/index.m3u8")
	assert.NotContains(t, err.Error(), "secret", "signed query strings must not reach error text")
}

func TestParseLenientInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		want  []Resource
	}{
		{"lone CR endings", "#EXTM3U\r#EXTINF:1,\ra.ts\r#EXTINF:1,\rb.ts", []Resource{
			{URI: "a.ts", Kind: Segment, Line: 3}, {URI: "b.ts", Kind: Segment, Line: 5}}},
		{"blank lines before header", "\n\n#EXTM3U\n#EXTINF:1,\na.ts\n", []Resource{{URI: "a.ts", Kind: Segment, Line: 5}}},
		{"surrounding blanks", "#EXTM3U \n\t#EXTINF:1,\n  a b.ts\t\n", []Resource{{URI: "a b.ts", Kind: Segment, Line: 3}}},
		{"unquoted uri attribute", "#EXTM3U\n#EXT-X-MAP:URI=init.mp4,BYTERANGE=\"9@0\"\n#EXTINF:1,\na.ts", []Resource{
			{URI: "init.mp4", Kind: InitSegment, Line: 2}, {URI: "a.ts", Kind: Segment, Line: 4}}},
		{"segment is also the map", "#EXTM3U\n#EXT-X-MAP:URI=\"all.mp4\",BYTERANGE=\"9@0\"\n#EXTINF:1,\nall.mp4\n", []Resource{
			{URI: "all.mp4", Kind: InitSegment, Line: 2}}},
		{"comments and unknown tags", "#EXTM3U\n# a comment with URI=\"x.ts\"\n#EXT-X-FOO:URI=\"y.ts\"\n#EXTINF:1,\na.ts\n", []Resource{
			{URI: "a.ts", Kind: Segment, Line: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pl, err := Parse(strings.NewReader(tt.input))
			require.NoError(t, err)
			assert.Equal(t, tt.want, pl.Segments)
		})
	}
}

// endless yields a valid index that never ends.
type endless struct{ started bool }

var comment = bytes.Repeat([]byte("# a comment line\n"), 2048)

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	if !e.started {
		e.started = true
		n = copy(p, "#EXTM3U\n")
	}
	for n < len(p) {
		n += copy(p[n:], comment)
	}
	return n, nil
}

func TestParseBoundsMemory(t *testing.T) {
	t.Parallel()
	_, err := Parse(&endless{})
	require.ErrorIs(t, err, ErrTooLarge)
}

func TestParseReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	_, err := Parse(io.MultiReader(strings.NewReader("#EXTM3U\n"), &failing{boom}))
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "parse m3u8")
}

type failing struct{ err error }

func (f *failing) Read([]byte) (int, error) { return 0, f.err }
