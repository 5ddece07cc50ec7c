package conformance_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type corsHeaders struct {
	AllowOrigin   string `json:"allowOrigin"`
	AllowMethods  string `json:"allowMethods"`
	AllowHeaders  string `json:"allowHeaders"`
	ExposeHeaders string `json:"exposeHeaders"`
}

type preflightAnswer struct {
	Status  int         `json:"status"`
	Headers corsHeaders `json:"headers"`
}

func browserSteps() []nodeStep {
	return []nodeStep{{name: "browser-cors", input: 5 << 10, check: checkBrowserCORS}}
}

// headerList splits a comma-separated header value into lower-case tokens.
func headerList(v string) []string {
	var out []string
	for f := range strings.SplitSeq(v, ",") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// requireAllows asserts a list header grants every wanted token, "*"
// granting all.
func requireAllows(t *testing.T, header string, wanted []string, what string) {
	t.Helper()
	got := headerList(header)
	if len(got) == 1 && got[0] == "*" {
		return
	}
	for _, w := range wanted {
		assert.Contains(t, got, strings.ToLower(w), "%s %q", what, header)
	}
}

func requireOriginAllowed(t *testing.T, got, origin string) {
	t.Helper()
	if got != "*" {
		assert.Equal(t, origin, got, "Access-Control-Allow-Origin")
	}
}

func checkBrowserCORS(t *testing.T, run stepRun) {
	r := decode[struct {
		MediaID        string          `json:"mediaId"`
		Bucket         string          `json:"bucket"`
		Key            string          `json:"key"`
		Origin         string          `json:"origin"`
		RequestHeaders string          `json:"requestHeaders"`
		PreflightPut   preflightAnswer `json:"preflightPut"`
		PreflightInit  preflightAnswer `json:"preflightInit"`
		Put            struct {
			Status int    `json:"status"`
			ETag   string `json:"etag"`
			corsHeaders
		} `json:"put"`
	}](t, run.result)
	requireStored(t, run.srv, r.Bucket, r.Key, run.input)

	for method, p := range map[string]preflightAnswer{http.MethodPut: r.PreflightPut, http.MethodPost: r.PreflightInit} {
		require.Equal(t, http.StatusOK, p.Status, "preflight for %s", method)
		requireOriginAllowed(t, p.Headers.AllowOrigin, r.Origin)
		requireAllows(t, p.Headers.AllowMethods, []string{method}, "Access-Control-Allow-Methods")
		requireAllows(t, p.Headers.AllowHeaders, headerList(r.RequestHeaders), "Access-Control-Allow-Headers")
	}

	// The signed request's answer lets the page read ETag.
	require.Equal(t, http.StatusOK, r.Put.Status)
	assert.NotEmpty(t, r.Put.ETag)
	requireOriginAllowed(t, r.Put.AllowOrigin, r.Origin)
	assert.Contains(t, headerList(r.Put.ExposeHeaders), "etag", "Access-Control-Expose-Headers %q", r.Put.ExposeHeaders)
}
