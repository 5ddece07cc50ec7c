package m3u8

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func identity(r Resource) string { return r.URI }

func TestRewriteIdentityPreservesBytes(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"vod.m3u8", "vod_crlf_bom.m3u8", "duplicates.m3u8", "quoted_commas.m3u8", "keys.m3u8", "llhls.m3u8", "absolute_urls.m3u8"} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			in := readFixture(t, file)
			pl, err := Parse(bytes.NewReader(in))
			require.NoError(t, err)
			out, err := pl.Rewrite(identity)
			require.NoError(t, err)
			assert.Equal(t, string(bytes.TrimPrefix(in, []byte(utf8BOM))), string(out), "only the BOM may change")
		})
	}
}

func TestRewriteRenames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		input  string
		rename func(Resource) string
		want   string
	}{
		{
			name:   "segments and attributes, CRLF kept",
			input:  "#EXTM3U\r\n#EXT-X-KEY:METHOD=AES-128,URI=\"a,b.key\",IV=0x1\r\n#EXTINF:1,\r\n  seg,1.ts \r\n",
			rename: func(r Resource) string { return r.Kind.String() + ".bin" },
			want:   "#EXTM3U\r\n#EXT-X-KEY:METHOD=AES-128,URI=\"key.bin\",IV=0x1\r\n#EXTINF:1,\r\n  segment.bin \r\n",
		},
		{
			name:   "unquoted value stays unquoted",
			input:  "#EXTM3U\n#EXT-X-MAP:URI=init.mp4,BYTERANGE=\"9@0\"\n#EXTINF:1,\na.ts",
			rename: func(r Resource) string { return "x/" + r.URI },
			want:   "#EXTM3U\n#EXT-X-MAP:URI=x/init.mp4,BYTERANGE=\"9@0\"\n#EXTINF:1,\nx/a.ts",
		},
		{
			name:   "unquoted value quoted when it gains a comma",
			input:  "#EXTM3U\n#EXT-X-MAP:URI=init.mp4,BYTERANGE=\"9@0\"\n#EXTINF:1,\na.ts",
			rename: func(r Resource) string { return "a,b/" + r.URI },
			want:   "#EXTM3U\n#EXT-X-MAP:URI=\"a,b/init.mp4\",BYTERANGE=\"9@0\"\n#EXTINF:1,\na,b/a.ts",
		},
		{
			name:   "every occurrence of a duplicate",
			input:  "#EXTM3U\n#EXTINF:1,\na.ts\n#EXTINF:1,\na.ts\n",
			rename: func(Resource) string { return "b.ts" },
			want:   "#EXTM3U\n#EXTINF:1,\nb.ts\n#EXTINF:1,\nb.ts\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pl, err := Parse(strings.NewReader(tt.input))
			require.NoError(t, err)
			out, err := pl.Rewrite(tt.rename)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(out))
		})
	}
}

func TestRewriteRejectsStructureBreakingNames(t *testing.T) {
	t.Parallel()
	const input = "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:1,\na.ts\n"
	tests := []struct {
		name     string
		rename   func(Resource) string
		wantLine int
	}{
		{"empty", func(Resource) string { return "" }, 2},
		{"newline", func(r Resource) string { return r.URI + "\n#EXT-X-ENDLIST" }, 2},
		{"quote in attribute", func(r Resource) string { return `x",URI="evil` }, 2},
		{"comment on uri line", func(r Resource) string {
			if r.Kind == Segment {
				return "#a.ts"
			}
			return r.URI
		}, 4},
		{"leading blank on uri line", func(r Resource) string {
			if r.Kind == Segment {
				return " a.ts"
			}
			return r.URI
		}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pl, err := Parse(strings.NewReader(input))
			require.NoError(t, err)
			out, err := pl.Rewrite(tt.rename)
			require.ErrorIs(t, err, ErrInvalidName)
			assert.Nil(t, out)
			assert.Equal(t, tt.wantLine, errLine(err))
		})
	}
}

func TestLocalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file      string
		wantIndex string // fixture whose bytes the result must equal, or
		contains  []string
		absent    []string
	}{
		{file: "vod.m3u8", wantIndex: "vod.m3u8"},
		{file: "../hls/index.m3u8", wantIndex: "../hls/index.m3u8"},
		{
			file:     "absolute_urls.m3u8",
			contains: []string{"#EXT-X-MAP:URI=\"init.mp4\"\n", "\n000.ts\n", "\n001.ts\n", "\n002.ts\n"},
			absent:   []string{"https:", "//", "auth_key"},
		},
		{
			file:     "query.m3u8",
			contains: []string{"\nseg%20one.ts\n", "\nseg-two.ts\n"},
			absent:   []string{"token", "#t="},
		},
		{file: "duplicates.m3u8", wantIndex: "duplicates.m3u8"},
		{file: "quoted_commas.m3u8", wantIndex: "quoted_commas.m3u8"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			pl, err := Parse(bytes.NewReader(readFixture(t, tt.file)))
			require.NoError(t, err)
			index, objs, err := pl.Localize()
			require.NoError(t, err)
			if tt.wantIndex != "" {
				assert.Equal(t, string(readFixture(t, tt.wantIndex)), string(index))
			}
			for _, s := range tt.contains {
				assert.Contains(t, string(index), s)
			}
			for _, s := range tt.absent {
				assert.NotContains(t, string(index), s)
			}
			// The uploaded index must reference exactly the uploaded objects.
			again, err := Parse(bytes.NewReader(index))
			require.NoError(t, err)
			var names []string
			for _, o := range objs {
				names = append(names, o.Name)
			}
			var refs []string
			for _, r := range again.Segments {
				if name := mustName(t, r.URI); !slices.Contains(refs, name) {
					refs = append(refs, name)
				}
			}
			assert.Equal(t, names, refs)
		})
	}
}

func TestLocalizeRefusesUnsafeIndex(t *testing.T) {
	t.Parallel()
	pl, err := Parse(bytes.NewReader(readFixture(t, "traversal.m3u8")))
	require.NoError(t, err)
	index, objs, err := pl.Localize()
	require.ErrorIs(t, err, ErrUnsafeURI)
	assert.Nil(t, index)
	assert.Nil(t, objs)
}
