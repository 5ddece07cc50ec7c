package emulator

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ossXMLTime is the only time form OSS writes in XML bodies (ListParts and
// ListMultipartUploads reference examples), and the only one oss2 parses.
var ossXMLTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$`)

type rawListParts struct {
	PartNumberMarker     int
	NextPartNumberMarker int
	MaxParts             int
	IsTruncated          bool
	Parts                []struct {
		PartNumber   int
		LastModified string
		ETag         string
	} `xml:"Part"`
}

func TestListPartsRawAnswer(t *testing.T) {
	t.Parallel()
	const key = "sv/rawlist/r.mp4"
	f := newMultipartFixture(t, key, 5, 6, 7)
	c := f.srv.credentialForTest(t, f.imur.Bucket)
	id := "uploadId=" + f.imur.UploadID

	tests := []struct {
		name      string
		query     string
		parts     []int
		marker    int
		next      int
		maxParts  int
		truncated bool
	}{
		{"oss2 sends an empty part-number-marker", id + "&part-number-marker=&max-parts=1000", []int{1, 2, 3}, 0, 3, 1000, false},
		{"empty max-parts is the default", id + "&max-parts=", []int{1, 2, 3}, 0, 3, 1000, false},
		{"first page", id + "&max-parts=2", []int{1, 2}, 0, 2, 2, true},
		{"last page: NextPartNumberMarker is still the last part", id + "&max-parts=2&part-number-marker=2", []int{3}, 2, 3, 2, false},
		{"marker past the end", id + "&part-number-marker=3", nil, 3, 0, 1000, false},
		{"max-parts above 1000 is 1000", id + "&max-parts=5000", []int{1, 2, 3}, 0, 3, 1000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := rawOSS(t, f.srv, c, http.MethodGet, key, tt.query, nil, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			assert.Equal(t, "application/xml", resp.Header.Get("Content-Type"))
			var res rawListParts
			require.NoError(t, xml.Unmarshal(body, &res))
			var got []int
			for _, p := range res.Parts {
				got = append(got, p.PartNumber)
				assert.Regexp(t, ossXMLTime, p.LastModified)
				assert.Equal(t, f.parts[p.PartNumber-1].ETag, p.ETag)
			}
			assert.Equal(t, tt.parts, got)
			assert.Equal(t, tt.marker, res.PartNumberMarker)
			assert.Equal(t, tt.next, res.NextPartNumberMarker)
			assert.Equal(t, tt.maxParts, res.MaxParts)
			assert.Equal(t, tt.truncated, res.IsTruncated)
		})
	}

	t.Run("element order as OSS answers", func(t *testing.T) {
		t.Parallel()
		_, body := rawOSS(t, f.srv, c, http.MethodGet, key, id+"&encoding-type=url", nil, nil)
		assert.Equal(t, []string{"EncodingType", "Bucket", "Key", "UploadId", "StorageClass", "PartNumberMarker",
			"NextPartNumberMarker", "MaxParts", "IsTruncated", "Part", "Part", "Part"}, childElements(t, body))
		assert.Contains(t, string(body), "<Part><PartNumber>1</PartNumber><LastModified>")
		assert.Contains(t, string(body), "</ETag><HashCrc64ecma>")
	})

	t.Run("invalid markers", func(t *testing.T) {
		t.Parallel()
		for _, q := range []string{"&part-number-marker=x", "&part-number-marker=-1", "&max-parts=0", "&max-parts=x"} {
			resp, body := rawOSS(t, f.srv, c, http.MethodGet, key, id+q, nil, nil)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, q)
			assert.Contains(t, string(body), "<Code>InvalidArgument</Code>", q)
		}
	})
}

// credentialForTest returns a copy of the one credential issued for
// bucket in a test fixture.
func (s *Server) credentialForTest(t *testing.T, bucket string) *stsCredential {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sts {
		if c.Bucket == bucket {
			cc := *c
			return &cc
		}
	}
	require.FailNow(t, "no credential for bucket "+bucket)
	return nil
}

type rawListUploads struct {
	KeyMarker, UploadIdMarker, NextKeyMarker, NextUploadIdMarker string
	Delimiter, Prefix                                            string
	MaxUploads                                                   int
	IsTruncated                                                  bool
	Uploads                                                      []struct {
		Key, UploadId, StorageClass, Initiated string
	} `xml:"Upload"`
	CommonPrefixes []string `xml:"CommonPrefixes>Prefix"`
}

func TestListMultipartUploadsRawAnswer(t *testing.T) {
	t.Parallel()
	srv := newOSSServer(t, Options{})
	// An M3U8 credential sees every key under its prefix.
	c := srv.issueSTS("video-list", testBucket, "hls/index.m3u8", "hls/")
	b := sdkBucket(t, srv, c)
	keys := []string{"hls/a.ts", "hls/a.ts", "hls/b/1.ts", "hls/b/2.ts", "hls/c.ts"}
	ids := map[string][]string{}
	for _, k := range keys {
		imur, err := b.InitiateMultipartUpload(k)
		require.NoError(t, err)
		ids[k] = append(ids[k], imur.UploadID)
	}
	a1, a2 := minMax(ids["hls/a.ts"])
	list := func(t *testing.T, q string) rawListUploads {
		t.Helper()
		resp, body := rawOSS(t, srv, c, http.MethodGet, "", "uploads"+q, nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		var res rawListUploads
		require.NoError(t, xml.Unmarshal(body, &res))
		for _, u := range res.Uploads {
			assert.Regexp(t, ossXMLTime, u.Initiated)
			assert.Equal(t, "Standard", u.StorageClass)
		}
		return res
	}
	uploadKeys := func(r rawListUploads) []string {
		var out []string
		for _, u := range r.Uploads {
			out = append(out, u.Key)
		}
		return out
	}

	t.Run("oss2's empty parameters are accepted", func(t *testing.T) {
		t.Parallel()
		r := list(t, "&prefix=&delimiter=&key-marker=&upload-id-marker=&max-uploads=1000&encoding-type=url")
		assert.Equal(t, []string{"hls%2Fa.ts", "hls%2Fa.ts", "hls%2Fb%2F1.ts", "hls%2Fb%2F2.ts", "hls%2Fc.ts"}, uploadKeys(r))
		assert.False(t, r.IsTruncated)
		assert.Equal(t, "hls%2Fc.ts", r.NextKeyMarker, "the last entry, truncated or not")
		assert.Equal(t, ids["hls/c.ts"][0], r.NextUploadIdMarker)
		assert.Equal(t, 1000, r.MaxUploads)
	})
	t.Run("element order as OSS answers", func(t *testing.T) {
		t.Parallel()
		_, body := rawOSS(t, srv, c, http.MethodGet, "", "uploads&max-uploads=1&encoding-type=url", nil, nil)
		assert.Equal(t, []string{"EncodingType", "Bucket", "KeyMarker", "UploadIdMarker", "NextKeyMarker",
			"NextUploadIdMarker", "Delimiter", "Prefix", "MaxUploads", "IsTruncated", "Upload"}, childElements(t, body))
		assert.Contains(t, string(body), "<Upload><Key>hls%2Fa.ts</Key><UploadId>"+a1+"</UploadId><StorageClass>Standard</StorageClass><Initiated>")
	})
	t.Run("key-marker and upload-id-marker page within a key", func(t *testing.T) {
		t.Parallel()
		r := list(t, "&max-uploads=1")
		require.True(t, r.IsTruncated)
		assert.Equal(t, "hls/a.ts", r.NextKeyMarker)
		assert.Equal(t, a1, r.NextUploadIdMarker)
		r = list(t, "&max-uploads=1&key-marker=hls/a.ts&upload-id-marker="+a1)
		require.Len(t, r.Uploads, 1)
		assert.Equal(t, a2, r.Uploads[0].UploadId)
		assert.Equal(t, "hls/a.ts", r.KeyMarker)
		assert.Equal(t, a1, r.UploadIdMarker)
	})
	t.Run("key-marker alone skips every upload of that key", func(t *testing.T) {
		t.Parallel()
		r := list(t, "&key-marker=hls/a.ts")
		assert.Equal(t, []string{"hls/b/1.ts", "hls/b/2.ts", "hls/c.ts"}, uploadKeys(r))
	})
	t.Run("upload-id-marker without key-marker is ignored", func(t *testing.T) {
		t.Parallel()
		r := list(t, "&upload-id-marker="+a2)
		assert.Len(t, r.Uploads, 5)
		assert.Equal(t, a2, r.UploadIdMarker, "echoed")
	})
	t.Run("delimiter groups keys into CommonPrefixes", func(t *testing.T) {
		t.Parallel()
		r := list(t, "&prefix=hls/&delimiter=/")
		assert.Equal(t, []string{"hls/a.ts", "hls/a.ts", "hls/c.ts"}, uploadKeys(r))
		assert.Equal(t, []string{"hls/b/"}, r.CommonPrefixes)
		assert.Equal(t, "/", r.Delimiter)
		assert.Equal(t, "hls/", r.Prefix)

		p1 := list(t, "&prefix=hls/&delimiter=/&max-uploads=3")
		assert.True(t, p1.IsTruncated)
		assert.Equal(t, []string{"hls/b/"}, p1.CommonPrefixes, "a common prefix counts as one entry")
		assert.Equal(t, "hls/b/", p1.NextKeyMarker)
		assert.Empty(t, p1.NextUploadIdMarker)
		p2 := list(t, "&prefix=hls/&delimiter=/&key-marker="+p1.NextKeyMarker)
		assert.Equal(t, []string{"hls/c.ts"}, uploadKeys(p2))
		assert.Empty(t, p2.CommonPrefixes)
	})
	t.Run("the Go SDK pages through the same listing", func(t *testing.T) {
		t.Parallel()
		var got []string
		opts := []oss.Option{oss.MaxUploads(2)}
		for range 5 {
			res, err := b.ListMultipartUploads(opts...)
			require.NoError(t, err)
			for _, u := range res.Uploads {
				got = append(got, u.Key+"#"+u.UploadID)
			}
			if !res.IsTruncated {
				break
			}
			opts = []oss.Option{oss.MaxUploads(2), oss.KeyMarker(res.NextKeyMarker), oss.UploadIDMarker(res.NextUploadIDMarker)}
		}
		assert.Len(t, got, 5)
		assert.True(t, strings.HasPrefix(got[0], "hls/a.ts#"+a1))
	})
}

func minMax(ids []string) (string, string) {
	if ids[0] < ids[1] {
		return ids[0], ids[1]
	}
	return ids[1], ids[0]
}

func TestCompleteMultipartUploadAnswer(t *testing.T) {
	t.Parallel()
	const key = "sv/complete/answer.mp4"
	for _, virtual := range []bool{false, true} {
		t.Run(map[bool]string{false: "path style", true: "virtual-hosted"}[virtual], func(t *testing.T) {
			t.Parallel()
			f := newMultipartFixture(t, key, minPartSize, 10)
			c := f.srv.credentialForTest(t, testBucket)
			var resp *http.Response
			var body []byte
			if virtual {
				resp, body = rawVirtualQuery(t, f.srv, c, testBucket+".oss-cn-shanghai.aliyuncs.com", http.MethodPost, key,
					"uploadId="+f.imur.UploadID, []byte(completeXML(f.parts...)))
			} else {
				resp, body = rawOSS(t, f.srv, c, http.MethodPost, key, "uploadId="+f.imur.UploadID, []byte(completeXML(f.parts...)), nil)
			}
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			var res struct{ Location, Bucket, Key, ETag string }
			require.NoError(t, xml.Unmarshal(body, &res))
			assert.Regexp(t, `^"[0-9A-F]{32}-2"$`, res.ETag)
			assert.Equal(t, res.ETag, resp.Header.Get("ETag"), "the header repeats the body's ETag")
			assert.NotEmpty(t, resp.Header.Get(crcHeader))
			h, err := f.bucket.GetObjectDetailedMeta(key)
			require.NoError(t, err)
			assert.Equal(t, h.Get("ETag"), res.ETag)
			if virtual {
				assert.Equal(t, "http://"+testBucket+".oss-cn-shanghai.aliyuncs.com/"+key, res.Location)
			} else {
				assert.Equal(t, f.srv.URL+"/"+testBucket+"/"+key, res.Location)
			}
			assert.Equal(t, []string{"Location", "Bucket", "Key", "ETag"}, childElements(t, body))
		})
	}
}
