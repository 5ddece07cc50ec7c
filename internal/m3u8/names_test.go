package m3u8

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObjectName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri     string
		want    string
		wantErr error
	}{
		{uri: "000.ts", want: "000.ts"},
		{uri: "seg/001.ts", want: "seg/001.ts"},
		{uri: "./seg//002.ts", want: "seg/002.ts"},
		{uri: "seg/../003.ts", want: "003.ts"},
		{uri: "seg%20one.ts?token=abc", want: "seg one.ts"},
		{uri: "a.ts#t=10", want: "a.ts"},
		{uri: "视频/片段.ts", want: "视频/片段.ts"},
		{uri: "a b.ts", want: "a b.ts"},
		{uri: "https://cdn.example.com/x/y/001.ts?auth_key=1-0-0-f", want: "001.ts"},
		{uri: "HTTP://cdn.example.com/x/init.mp4", want: "init.mp4"},
		{uri: "//cdn.example.com/x/002.ts", want: "002.ts"},
		{uri: "../x.ts", wantErr: ErrUnsafeURI},
		{uri: "seg/../../x.ts", wantErr: ErrUnsafeURI},
		{uri: "%2e%2e/x.ts", wantErr: ErrUnsafeURI},
		{uri: "/etc/passwd", wantErr: ErrUnsafeURI},
		{uri: `..\..\x.ts`, wantErr: ErrUnsafeURI},
		{uri: `C:\media\x.ts`, wantErr: ErrUnsupportedURI},
		{uri: "file:///etc/passwd", wantErr: ErrUnsupportedURI},
		{uri: "data:video/mp2t;base64,R0dH", wantErr: ErrUnsupportedURI},
		{uri: "skd://key", wantErr: ErrUnsupportedURI},
		{uri: "seg/", wantErr: ErrUnsupportedURI},
		{uri: ".", wantErr: ErrUnsupportedURI},
		{uri: "?only=query", wantErr: ErrUnsupportedURI},
		{uri: "https://cdn.example.com/", wantErr: ErrUnsupportedURI},
		{uri: "a%00.ts", wantErr: ErrUnsupportedURI},
		{uri: "a%ff.ts", wantErr: ErrInvalidUTF8},
		{uri: "a%zz.ts", wantErr: ErrUnsupportedURI},
		{uri: strings.Repeat("a", 1024), wantErr: ErrUnsupportedURI},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			t.Parallel()
			got, err := ObjectName(tt.uri)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want, mustName(t, Reference(got)), "Reference must point back at the object")
		})
	}
}

func mustName(t *testing.T, uri string) string {
	t.Helper()
	name, err := ObjectName(uri)
	require.NoError(t, err)
	return name
}

func TestReference(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"seg/000.ts":   "seg/000.ts",
		"seg one.ts":   "seg%20one.ts",
		"a:b.ts":       "./a:b.ts", // else "a:" reads as a scheme
		"#1.ts":        "%231.ts",  // else a comment line
		"q?.ts":        "q%3F.ts",
		"100%.ts":      "100%25.ts",
		"a,b \"c\".ts": "a,b%20%22c%22.ts",
	}
	for name, want := range tests {
		assert.Equal(t, want, Reference(name), name)
		assert.Equal(t, name, mustName(t, want), name)
	}
}

func TestObjects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		want     []string // object names
		remote   bool     // all objects remote
		wantErr  error
		wantLine int
	}{
		{file: "vod.m3u8", want: []string{"init.mp4", "keys/enc.key", "seg/000.ts", "seg/001.ts", "seg/002.ts", "seg/003.ts"}},
		{file: "duplicates.m3u8", want: []string{"main.mp4", "extra.ts"}},
		{file: "quoted_commas.m3u8", want: []string{"a,b.key", "seg,1.ts"}},
		{file: "query.m3u8", want: []string{"seg one.ts", "seg-two.ts"}},
		{file: "absolute_urls.m3u8", want: []string{"init.mp4", "000.ts", "001.ts", "002.ts"}, remote: true},
		{file: "traversal.m3u8", wantErr: ErrUnsafeURI, wantLine: 6},
		{file: "absolute_path.m3u8", wantErr: ErrUnsafeURI, wantLine: 4},
		{file: "collision.m3u8", wantErr: ErrNameCollision, wantLine: 6},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			pl, err := Parse(bytes.NewReader(readFixture(t, tt.file)))
			require.NoError(t, err)
			objs, err := pl.Objects()
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, tt.wantLine, errLine(err))
				assert.NotContains(t, err.Error(), "auth_key")
				return
			}
			require.NoError(t, err)
			names := make([]string, len(objs))
			for i, o := range objs {
				names[i] = o.Name
				assert.Equal(t, tt.remote, o.Remote, o.Name)
			}
			assert.Equal(t, tt.want, names)
		})
	}
}

func TestObjectsCollisionNamesBothLines(t *testing.T) {
	t.Parallel()
	pl, err := Parse(strings.NewReader("#EXTM3U\n#EXTINF:1,\na.ts?v=1\n#EXTINF:1,\na.ts?v=2\n"))
	require.NoError(t, err)
	_, err = pl.Objects()
	require.ErrorIs(t, err, ErrNameCollision)
	assert.Contains(t, err.Error(), "line 5")
	assert.Contains(t, err.Error(), "(line 3)")
}

func TestErrorsHideCredentials(t *testing.T) {
	t.Parallel()
	for _, uri := range []string{
		"https://user:s3cret@cdn.example.com/",
		"ftp://cdn.example.com/x.ts?sig=s3cret",
		"../x.ts?auth_key=s3cret",
		"a%00.ts#s3cret",
	} {
		_, err := ObjectName(uri)
		require.Error(t, err, uri)
		assert.NotContains(t, err.Error(), "s3cret")
	}
}
