package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Raw RPC answers compared with the formats VOD's API reference shows:
// the error body POP writes, the default format, and the JSON types of
// each action's answer fields.

// vodTime is VOD's UTC time format, yyyy-MM-ddTHH:mm:ssZ.
var vodTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

// rawAnswer is an answer's status, content type and body, undecoded.
type rawAnswer struct {
	status      int
	contentType string
	body        string
}

func rawGet(t *testing.T, srv *Server, action string, extra map[string]string) rawAnswer {
	t.Helper()
	resp, err := http.Get(srv.URL + "/?" + signedParams(srv, http.MethodGet, action, extra).Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// jsonFields decodes a JSON answer keeping numbers apart from strings.
func jsonFields(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

// answerCode reads Code from a JSON or an XML error answer.
func answerCode(t *testing.T, a rawAnswer) string {
	t.Helper()
	if strings.HasPrefix(a.body, "<?xml") {
		m := regexp.MustCompile(`<Code>([^<]*)</Code>`).FindStringSubmatch(a.body)
		require.NotNil(t, m, a.body)
		return m[1]
	}
	c, _ := jsonFields(t, a.body)["Code"].(string)
	return c
}

func TestErrorAnswerAsPOPWritesIt(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	id := regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)

	// JSON: RequestId, HostId, Code, Message, Recommend, in that order,
	// nothing escaped that POP leaves alone.
	a := rawGet(t, srv, "CreateUploadImage", map[string]string{"ImageExt": "png"})
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "application/json;charset=utf-8", a.contentType)
	reqID := jsonFields(t, a.body)["RequestId"].(string)
	assert.Regexp(t, id, reqID)
	assert.Equal(t, `{"RequestId":"`+reqID+`","HostId":"vod.cn-shanghai.aliyuncs.com","Code":"MissingImageType",`+
		`"Message":"ImageType is mandatory for this action.",`+
		`"Recommend":"https://api.aliyun.com/troubleshoot?q=MissingImageType&product=vod&requestId=`+reqID+`"}`, a.body)

	// XML: POP's declaration, no whitespace, Recommend as CDATA.
	a = rawGet(t, srv, "CreateUploadImage", map[string]string{"Format": "XML", "ImageExt": "png"})
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "text/xml;charset=utf-8", a.contentType)
	m := regexp.MustCompile(`<RequestId>([^<]+)</RequestId>`).FindStringSubmatch(a.body)
	require.NotNil(t, m, a.body)
	assert.Equal(t, `<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>`+m[1]+`</RequestId>`+
		`<HostId>vod.cn-shanghai.aliyuncs.com</HostId><Code>MissingImageType</Code>`+
		`<Message>ImageType is mandatory for this action.</Message>`+
		`<Recommend><![CDATA[https://api.aliyun.com/troubleshoot?q=MissingImageType&product=vod&requestId=`+m[1]+`]]></Recommend></Error>`, a.body)
}

func TestErrorCodesAndMessages(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	video := videoParams
	tests := []struct {
		name, action string
		params       map[string]string
		status       int
		code, msg    string
	}{
		// CreateUploadVideo "Common errors".
		{"extension", "CreateUploadVideo", video("FileName", "a.exe"), 400, "InvalidFileName.Extension", "The specified FileName's extension is illegal."},
		{"emoticon", "CreateUploadVideo", video("Title", "🎉"), 400, "IllegalCharacters", "The specified Title contains illegal emoticon or special characters."},
		{"length", "CreateUploadVideo", video("Description", strings.Repeat("d", 1025)), 400, "LengthExceededMax", "The specified Description length has exceeded 1024 bytes."},
		{"tags", "CreateUploadVideo", video("Tags", strings.Repeat("t,", 16)+"t"), 400, "TagsExceededMax", "The specified Tags count has exceeded 16."},
		{"template group", "CreateUploadVideo", video("TemplateGroupId", "x"), 404, "InvalidTemplateGroupId.NotFound", "The TemplateGroupId does not exist."},
		{"storage", "CreateUploadVideo", video("StorageLocation", "x"), 404, "InvalidStorage.NotFound", "The StorageLocation does not exist."},
		// Required by the API metadata: POP's own answer.
		{"missing title", "CreateUploadVideo", video("Title", ""), 400, "MissingTitle", "Title is mandatory for this action."},
		// Needed only in some requests: VOD's MissingParameter.
		{"missing ids", "DeleteImage", map[string]string{"DeleteImageType": "ImageId"}, 400, "MissingParameter",
			`The input parameter "ImageIds" that is mandatory for processing this request is not supplied.`},
		{"invalid", "CreateUploadImage", map[string]string{"ImageType": "poster"}, 400, "InvalidParameter", "The specified parameter ImageType is not valid."},
		{"urls", "UploadMediaByURL", map[string]string{"UploadURLs": "ftp%3A%2F%2Fh%2Fa.mp4"}, 400, "InvalidParameter.UploadURLs", "The specified parameter UploadURLs is not valid."},
		// RefreshUploadVideo and GetVideoInfo word the same code differently.
		{"refresh unknown", "RefreshUploadVideo", map[string]string{"VideoId": "feed"}, 404, "InvalidVideo.NotFound", "The video not exist."},
		{"info unknown", "GetVideoInfo", map[string]string{"VideoId": "feed"}, 404, "InvalidVideo.NotFound", "The video does not exist."},
		{"image unknown", "DeleteImage", map[string]string{"DeleteImageType": "ImageId", "ImageIds": "feed"}, 404, "NoSuchResource", "The specified resource does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := rawGet(t, srv, tt.action, tt.params)
			f := jsonFields(t, a.body)
			assert.Equal(t, tt.status, a.status)
			assert.Equal(t, tt.code, f["Code"])
			assert.Equal(t, tt.msg, f["Message"])
		})
	}
}

func TestCommonParameters(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	create, with := videoParams(), videoParams

	// Format defaults to XML ("Common parameters": Default value: XML).
	noFormat := with("Format", "")
	a := rawGet(t, srv, "CreateUploadVideo", noFormat)
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "text/xml;charset=utf-8", a.contentType)
	assert.True(t, strings.HasPrefix(a.body, "<?xml version='1.0' encoding='UTF-8'?><CreateUploadVideoResponse><RequestId>"), a.body)

	// Format and SignatureMethod are read case-insensitively, as the
	// reference's own example (Format=json, SignatureMethod=Hmac-SHA1).
	a = rawGet(t, srv, "CreateUploadVideo", with("Format", "json", "SignatureMethod", "Hmac-SHA1"))
	assert.Equal(t, http.StatusOK, a.status, a.body)
	assert.Equal(t, "application/json;charset=utf-8", a.contentType)

	stamp := time.Now().UTC()
	for _, tt := range []struct {
		name   string
		params map[string]string
		status int
		code   string
	}{
		{"format unknown (answered in XML)", with("Format", "YAML"), 400, "InvalidParameter.Format"},
		{"signature version", with("SignatureVersion", "2.0"), 400, "InvalidSignatureMethod"},
		{"fractional seconds", with("Timestamp", stamp.Format("2006-01-02T15:04:05.000Z")), 400, "InvalidTimeStamp.Format"},
		{"offset instead of Z", with("Timestamp", stamp.Format("2006-01-02T15:04:05+00:00")), 400, "InvalidTimeStamp.Format"},
		{"missing timestamp", with("Timestamp", ""), 400, "MissingTimestamp"},
		{"missing access key", with("AccessKeyId", ""), 400, "MissingAccessKeyId"},
		{"missing signature method", with("SignatureMethod", ""), 400, "MissingSignatureMethod"},
		{"missing signature version", with("SignatureVersion", ""), 400, "MissingSignatureVersion"},
		{"ok", create, 200, ""},
	} {
		a := rawGet(t, srv, "CreateUploadVideo", tt.params)
		assert.Equal(t, tt.status, a.status, tt.name)
		if tt.code != "" {
			assert.Equal(t, tt.code, answerCode(t, a), tt.name)
		}
	}

	// An undecodable query is POP's RequestParameterMalformed, in XML
	// since no Format could be read.
	resp, err := http.Get(srv.URL + "/?Action=GetVideoInfo&VideoId=%zz")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(b), "<Code>RequestParameterMalformed</Code>")
}

func TestAnswerFieldTypes(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})

	// CreateUploadVideo: four strings.
	created := jsonFields(t, rawGet(t, srv, "CreateUploadVideo", map[string]string{
		"Title": "t", "FileName": "a.mp4", "CateId": "42", "Tags": "a,b", "Description": "d"}).body)
	for _, k := range []string{"RequestId", "VideoId", "UploadAddress", "UploadAuth"} {
		assert.IsType(t, "", created[k], k)
	}
	assert.Len(t, created, 4)

	// GetVideoInfo: Size and CateId are numbers, times yyyy-MM-ddTHH:mm:ssZ,
	// no field the reference does not list.
	info := jsonFields(t, rawGet(t, srv, "GetVideoInfo", map[string]string{"VideoId": created["VideoId"].(string)}).body)
	v := info["Video"].(map[string]any)
	assert.Equal(t, float64(0), v["Size"])
	assert.Equal(t, float64(42), v["CateId"])
	assert.Equal(t, "Uploading", v["Status"])
	assert.Regexp(t, vodTime, v["CreationTime"])
	assert.Regexp(t, vodTime, v["ModificationTime"])
	assert.Equal(t, "app-1000000", v["AppId"])
	assert.Equal(t, "cn-shanghai", v["RegionId"])
	assert.Equal(t, srv.storageLocation(), v["StorageLocation"])
	assert.NotContains(t, v, "CreateTime")

	// CreateUploadImage: ImageURL and FileURL are the object's URL.
	img := jsonFields(t, rawGet(t, srv, "CreateUploadImage", map[string]string{"ImageType": "default"}).body)
	addr := decodeB64JSON(t, img["UploadAddress"].(string))
	assert.Equal(t, srv.URL+"/"+addr["Bucket"]+"/"+addr["FileName"], img["ImageURL"])
	assert.Equal(t, img["ImageURL"], img["FileURL"])

	// DeleteImage answers RequestId alone.
	del := jsonFields(t, rawGet(t, srv, "DeleteImage", map[string]string{"DeleteImageType": "ImageId", "ImageIds": img["ImageId"].(string)}).body)
	assert.Len(t, del, 1)
	assert.Contains(t, del, "RequestId")

	// DeleteAttachedMedia: NonExistMediaIds is a list of strings.
	gone := jsonFields(t, rawGet(t, srv, "DeleteAttachedMedia", map[string]string{"MediaIds": "feed"}).body)
	assert.Equal(t, []any{"feed"}, gone["NonExistMediaIds"])
}

func TestURLUploadAnswers(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Options{})
	src := sourceServer(t, "twelve bytes")
	good := src.URL + "/video.mp4"

	// UploadJobs is a list of {SourceURL, JobId} in JSON and repeated
	// <UploadJobs> elements in XML.
	jobs := jsonFields(t, rawGet(t, srv, "UploadMediaByURL", map[string]string{"UploadURLs": encodeURLs(good)}).body)
	list := jobs["UploadJobs"].([]any)
	require.Len(t, list, 1)
	job := list[0].(map[string]any)
	assert.Equal(t, good, job["SourceURL"])
	jobID := job["JobId"].(string)
	x := rawGet(t, srv, "UploadMediaByURL", map[string]string{"Format": "XML", "UploadURLs": encodeURLs(good)})
	assert.Regexp(t, `<UploadMediaByURLResponse><RequestId>[^<]+</RequestId><UploadJobs><SourceURL>[^<]+</SourceURL><JobId>[0-9a-f]+</JobId></UploadJobs></UploadMediaByURLResponse>$`, x.body)

	var item map[string]any
	require.Eventually(t, func() bool {
		infos := jsonFields(t, rawGet(t, srv, "GetURLUploadInfos", map[string]string{"JobIds": jobID + ",feed"}).body)
		assert.Equal(t, []any{"feed"}, infos["NonExists"])
		item = infos["URLUploadInfoList"].([]any)[0].(map[string]any)
		return item["Status"] == jobSuccess
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, "12", item["FileSize"], "FileSize is a string")
	assert.Regexp(t, vodTime, item["CreationTime"])
	assert.Regexp(t, vodTime, item["CompleteTime"])
	assert.Equal(t, good, item["UploadURL"])
	assert.IsType(t, "", item["MediaId"])
	assert.NotContains(t, item, "ErrorCode", "only failed jobs carry an error")
	assert.NotContains(t, item, "ErrorMessage")
}
