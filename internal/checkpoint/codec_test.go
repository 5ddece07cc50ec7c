package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/osslimit"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	shanghai := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name string
		rec  func() *Record
	}{
		{"no parts yet", func() *Record { return testRecord(0) }},
		{"before initiate", func() *Record {
			r := testRecord(0)
			r.UploadID, r.PartSize = "", 0
			return r
		}},
		{"some parts", func() *Record { return testRecord(3) }},
		{"10000 parts", func() *Record { return testRecord(osslimit.MaxParts) }},
		{"short last part", func() *Record {
			r := testRecord(3)
			r.Source.Size -= 100
			r.Parts[2].Size -= 100
			return r
		}},
		{"stream by name", func() *Record {
			r := testRecord(2)
			r.Kind = KindAttached
			r.Source = SourceIdentity{Name: "https://example.com/a.srt?x=<&>", Size: 2 * testPartSize}
			return r
		}},
		{"unicode and quotes", func() *Record {
			r := testRecord(1)
			r.Kind = KindM3U8
			r.ObjectKey = "sv/视频/\"index\".m3u8"
			return r
		}},
		{"zoned times", func() *Record {
			r := testRecord(1)
			r.Kind = KindImage
			r.Created = r.Created.In(shanghai)
			r.Source.ModTime = time.Now() // carries a monotonic reading
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.rec()
			b, err := Encode(in)
			require.NoError(t, err)
			out, err := Decode(b)
			require.NoError(t, err)

			want := in.clone()
			want.normalize()
			require.Equal(t, &want, out)
			assert.True(t, in.Created.Equal(out.Created))
			assert.True(t, in.Source.Matches(out.Source))

			again, err := Encode(out)
			require.NoError(t, err)
			assert.Equal(t, b, again, "encoding must be deterministic")
		})
	}
}

func TestEncodeSortsPartsAndNormalizesZones(t *testing.T) {
	t.Parallel()
	sorted := testRecord(50)
	shuffled := testRecord(50)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled.Parts), func(i, j int) {
		shuffled.Parts[i], shuffled.Parts[j] = shuffled.Parts[j], shuffled.Parts[i]
	})
	shuffled.Updated = shuffled.Updated.In(time.FixedZone("EST", -5*3600))

	assert.Equal(t, mustEncode(t, sorted), mustEncode(t, shuffled))
	assert.NotEqual(t, sorted.Parts[0].Number, shuffled.Parts[0].Number, "Encode must not reorder the caller's slice")
}

func TestEncodeRejectsInvalidRecords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*Record)
	}{
		{"duplicate part", func(r *Record) { r.Parts[1].Number = 1 }},
		{"part too big", func(r *Record) { r.Parts[0].Size = r.PartSize + 1 }},
		{"unknown kind", func(r *Record) { r.Kind = "vidoe" }},
		{"credential in endpoint", func(r *Record) { r.Endpoint = "https://STS.id:secret@oss-cn-shanghai.aliyuncs.com" }},
		{"invalid utf-8 path", func(r *Record) { r.Source.Path += "\xff" }},
		{"year 10000", func(r *Record) { r.Updated = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := testRecord(3)
			tt.mutate(r)
			_, err := Encode(r)
			require.ErrorIs(t, err, ErrInvalid)
			assert.NotContains(t, err.Error(), "secret")
		})
	}
	_, err := Encode(nil)
	require.ErrorIs(t, err, ErrInvalid)
}

// TestRecordCannotHoldSecrets walks the types so a future field named after
// a credential fails the build's tests rather than reaching disk.
func TestRecordCannotHoldSecrets(t *testing.T) {
	t.Parallel()
	banned := []string{"secret", "token", "auth", "accesskey", "password", "credential"}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		switch typ.Kind() {
		case reflect.Struct:
			if typ == reflect.TypeFor[time.Time]() {
				return
			}
			for f := range typ.Fields() {
				name := strings.ToLower(f.Name + " " + f.Tag.Get("json"))
				for _, b := range banned {
					assert.NotContains(t, name, b, "field %s.%s", path, f.Name)
				}
				walk(f.Type, path+"."+f.Name)
			}
		case reflect.Slice, reflect.Pointer:
			walk(typ.Elem(), path)
		}
	}
	walk(reflect.TypeFor[Record](), "Record")
}

func TestEncodedSizeWith10000Parts(t *testing.T) {
	t.Parallel()
	for _, partSize := range []int64{testPartSize, osslimit.MaxPartSize} {
		r := testRecord(osslimit.MaxParts)
		r.PartSize, r.Source.Size = partSize, partSize*osslimit.MaxParts
		for i := range r.Parts {
			r.Parts[i].Size = partSize
		}
		b := mustEncode(t, r)
		t.Logf("10000 parts of %d bytes: %d bytes encoded (%.1f per part)", partSize, len(b), float64(len(b))/osslimit.MaxParts)
		assert.Less(t, len(b), 1100_000)
	}
}

func TestDecodeTruncatedAtEveryOffset(t *testing.T) {
	t.Parallel()
	b := mustEncode(t, testRecord(2))
	for n := range len(b) {
		_, err := Decode(b[:n])
		require.ErrorIs(t, err, ErrCorrupt, "truncated to %d of %d bytes", n, len(b))
	}
}

func TestDecodeFlippedBitAtEveryOffset(t *testing.T) {
	t.Parallel()
	b := mustEncode(t, testRecord(2))
	versionAt := len(Magic) + 1
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x04
		_, err := Decode(c)
		switch {
		case i < versionAt:
			require.ErrorIs(t, err, ErrMagic, "flip at %d", i)
		case i == versionAt: // '1' becomes '5': a version we do not know
			require.ErrorIs(t, err, ErrVersion, "flip at %d", i)
		default:
			require.ErrorIs(t, err, ErrCorrupt, "flip at %d", i)
		}
	}
}

func TestDecodeRandomBytes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 2000 {
		b := make([]byte, rng.IntN(512))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if i%2 == 0 && len(b) > 0 { // half of them look like a checkpoint header
			b = append([]byte(Magic+" 1 "), b...)
		}
		_, err := Decode(b)
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrCorrupt) || errors.Is(err, ErrMagic), "input %d: %v", i, err)
	}
}

func TestDecodeFrameErrors(t *testing.T) {
	t.Parallel()
	payload, err := json.Marshal(testRecord(1))
	require.NoError(t, err)
	valid := mustEncode(t, testRecord(1))
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"other magic", append([]byte("vodupload/checkpoinX"), valid[len(Magic):]...), ErrMagic},
		{"anchor sdk checkpoint", []byte(`{"Magic":"92611BED-89E2-46B6-89E5-72F273D4B0A3","MD5":"x"}`), ErrMagic},
		{"zip file", []byte("PK\x03\x04\x14\x00\x00\x00"), ErrMagic},
		{"magic without space", []byte(Magic + "\n"), ErrMagic},
		{"future version", seal("2", payload), ErrVersion},
		{"far future version", seal("123456789", payload), ErrVersion},
		{"version zero", seal("0", payload), ErrVersion},
		{"non-numeric version", seal("v1", payload), ErrCorrupt},
		{"empty version", seal("", payload), ErrCorrupt},
		{"huge version", seal(strings.Repeat("9", 40), payload), ErrCorrupt},
		{"upper-case checksum", bytes.Replace(valid, valid[len(Magic)+3:len(Magic)+3+64], bytes.ToUpper(valid[len(Magic)+3:len(Magic)+3+64]), 1), nil},
		{"no newline after checksum", bytes.Replace(valid, []byte("\n"), []byte(" "), 1), ErrCorrupt},
		{"extra byte appended", append(bytes.Clone(valid), '\n'), ErrCorrupt},
		{"oversized", append(bytes.Clone(valid), make([]byte, MaxEncodedSize)...), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(tt.in)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

// TestDecodeRejectsBadPayloads seals each payload with a valid checksum, so
// only field validation stands between it and a resume.
func TestDecodeRejectsBadPayloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, want string
		mutate     func(*Record)
	}{
		{"part number zero", "out of range 1..10000", func(r *Record) { r.Parts[0].Number = 0 }},
		{"part number negative", "out of range 1..10000", func(r *Record) { r.Parts[0].Number = -1 }},
		{"part number above 10000", "out of range 1..10000", func(r *Record) { r.Parts[2].Number = osslimit.MaxParts + 1 }},
		{"duplicate part", "unsorted or duplicate", func(r *Record) { r.Parts[1] = r.Parts[0] }},
		{"unsorted parts", "unsorted or duplicate", func(r *Record) { r.Parts[0], r.Parts[1] = r.Parts[1], r.Parts[0] }},
		{"negative part size", "size -1 out of range", func(r *Record) { r.Parts[0].Size = -1 }},
		{"part larger than part size", "exceeds part size", func(r *Record) { r.Parts[0].Size = r.PartSize + 1 }},
		{"part beyond source", "beyond source size", func(r *Record) { r.Source.Size = 2*r.PartSize + 1 }},
		{"empty etag", "etag is empty", func(r *Record) { r.Parts[0].ETag = "" }},
		{"huge etag", "etag longer", func(r *Record) { r.Parts[0].ETag = strings.Repeat("e", 200) }},
		{"parts without upload id", "without upload id", func(r *Record) { r.UploadID = "" }},
		{"negative part size field", "part size -", func(r *Record) { r.PartSize = -testPartSize }},
		{"part size above 5 GiB", "part size 5368709121", func(r *Record) { r.PartSize = osslimit.MaxPartSize + 1 }},
		{"negative source size", "size -1 is negative", func(r *Record) { r.Source.Size = -1 }},
		{"relative path", "not absolute", func(r *Record) { r.Source.Path = "movie.mp4" }},
		{"no source identity", "neither path nor name", func(r *Record) { r.Source.Path = "" }},
		{"unknown kind", "unknown kind", func(r *Record) { r.Kind = "" }},
		{"no media id", "media id is empty", func(r *Record) { r.MediaID = "" }},
		{"no bucket", "bucket is empty", func(r *Record) { r.Bucket = "" }},
		{"user info in endpoint", "user info", func(r *Record) { r.Endpoint = "https://a:b@oss.aliyuncs.com" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := testRecord(3)
			tt.mutate(r)
			payload, err := json.Marshal(r)
			require.NoError(t, err)
			_, err = Decode(seal(versionField, payload))
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestDecodeRejectsForeignJSON(t *testing.T) {
	t.Parallel()
	good, err := json.Marshal(testRecord(1))
	require.NoError(t, err)
	withField := func(field string) []byte {
		return append([]byte(`{`+field+`,`), good[1:]...)
	}
	tests := []struct {
		name, want string
		payload    []byte
	}{
		{"credential field", "unknown field", withField(`"AccessKeySecret":"s3cr3t"`)},
		{"upload auth field", "unknown field", withField(`"uploadAuth":"eyJ..."`)},
		{"security token in source", "unknown field", bytes.Replace(good, []byte(`"source":{`), []byte(`"source":{"SecurityToken":"t",`), 1)},
		{"trailing value", "data after payload", append(bytes.Clone(good), []byte(` {}`)...)},
		{"null", "unknown kind", []byte(`null`)},
		{"not json", "invalid character", []byte(`kind=video`)},
		{"empty", "EOF", nil},
		{"number overflow", "cannot unmarshal", bytes.Replace(good, []byte(`"n":1`), []byte(`"n":1e30`), 1)},
		{"string for number", "cannot unmarshal", bytes.Replace(good, []byte(`"n":1`), []byte(`"n":"1"`), 1)},
		{"time out of range", "year -1", bytes.Replace(good, []byte(`"created":"2025-07-01T12:31:00Z"`), []byte(`"created":"0000-01-01T00:00:00+01:00"`), 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(seal(versionField, tt.payload))
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "s3cr3t")
		})
	}
}
