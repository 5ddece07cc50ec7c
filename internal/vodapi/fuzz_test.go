package vodapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// secretsIn returns the credential values an input carries, as far as it
// decodes at all, skipping values too short to be told from ordinary text.
func secretsIn(b64 string) []string {
	raw, err := decodeBase64(strings.TrimSpace(b64))
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	for k, v := range m {
		s, ok := v.(string)
		if !ok || len(s) < 6 || strings.Contains(redacted, s) {
			continue
		}
		switch strings.ToLower(k) {
		case "accesskeysecret", "securitytoken":
			out = append(out, s)
		}
	}
	return out
}

func FuzzDecodeAuth(f *testing.F) {
	f.Add(b64(`{"AccessKeyId":"STS.a","AccessKeySecret":"` + testSecret + `","SecurityToken":"` + testToken + `","Expiration":"3000"}`))
	f.Add(b64(`{"AccessKeyId":"STS.a","AccessKeySecret":"` + testSecret + `","SecurityToken":"` + testToken + `","ExpireUTCTime":"2024-01-01T00:00:00Z"}`))
	f.Add(b64(`{"AccessKeySecret":"` + testSecret + `","Expiration":"` + testSecret + `"}`))
	f.Add(b64(`{"AccessKeySecret":"` + testSecret + `"`))
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		received := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		auth, err := DecodeAuth(in, received)
		secrets := secretsIn(in)
		if err != nil {
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q quotes a secret", err)
				}
			}
			return
		}
		if auth.AccessKeyID == "" || auth.AccessKeySecret == "" || auth.SecurityToken == "" || auth.Expires.IsZero() {
			t.Fatalf("accepted an incomplete auth: %+v", auth)
		}
		printed := fmt.Sprintf("%v %+v %#v", auth, auth, auth)
		for _, s := range secrets {
			if strings.Contains(printed, s) {
				t.Fatalf("printing leaks a secret: %s", printed)
			}
		}
	})
}

func FuzzDecodeAddress(f *testing.F) {
	f.Add(b64(`{"Endpoint":"https://oss-cn-shanghai.aliyuncs.com","Bucket":"outin-1","FileName":"sv/a/a.mp4"}`))
	f.Add(b64(`{"Endpoint":"e","Bucket":"b","FileName":"sv/a/i.m3u8","ObjectPrefix":"sv/a/"}`))
	f.Add(b64(`{"Endpoint":1}`))
	f.Add("not base64")
	f.Fuzz(func(t *testing.T, in string) {
		addr, err := DecodeAddress(in)
		if err != nil {
			return
		}
		if addr.Endpoint == "" || addr.Bucket == "" || addr.FileName == "" {
			t.Fatalf("accepted an incomplete address: %+v", addr)
		}
		if d := addr.Dir(); d != "" && !strings.HasSuffix(d, "/") && addr.ObjectPrefix == "" {
			t.Fatalf("Dir %q of %q lacks its slash", d, addr.FileName)
		}
	})
}
