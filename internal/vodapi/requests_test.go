package vodapi

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// UploadMetadatas as VOD's UploadMetadata table describes it: SourceURL
// as in UploadURLs, Title required, FileSize and CateId strings, and
// FileExtension only where the URL lacks the extension.
func TestEncodeURLItems(t *testing.T) {
	t.Parallel()
	items := []URLItem{
		{URL: "https://h/a b.mp4"},                                       // nothing to say: no entry
		{URL: "https://h/v.MP4", FileExtension: "mp4"},                   // the URL has it: no entry
		{URL: "https://h/stream?id=1", FileExtension: "mkv", CateID: 12}, // entry, title from the URL
		{URL: "https://h/c.mov", Title: "clip", FileSize: 2048},
	}
	urls, metadata, err := encodeURLItems(items)
	require.NoError(t, err)
	assert.Equal(t, url.QueryEscape("https://h/a b.mp4")+","+url.QueryEscape("https://h/v.MP4")+","+
		url.QueryEscape("https://h/stream?id=1")+","+url.QueryEscape("https://h/c.mov"), urls)
	var got []map[string]any
	require.NoError(t, json.Unmarshal([]byte(metadata), &got))
	assert.Equal(t, []map[string]any{
		{"SourceURL": url.QueryEscape("https://h/stream?id=1"), "Title": "stream", "FileExtension": "mkv", "CateId": "12"},
		{"SourceURL": url.QueryEscape("https://h/c.mov"), "Title": "clip", "FileSize": "2048"},
	}, got)
}

func TestURLTitle(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "clip.mp4", urlTitle("https://h/dir/clip.mp4?sig=1"))
	assert.Equal(t, "video", urlTitle("https://h/?id=1"))
	long := urlTitle("https://h/" + url.PathEscape(strings.Repeat("视", 50)))
	assert.Equal(t, strings.Repeat("视", 42), long, "at most 128 bytes, cut on a character boundary")
}
