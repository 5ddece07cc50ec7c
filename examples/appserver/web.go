package main

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"os"
)

// The upload page (-web): plain HTML and one script of ours, embedded;
// the OSS part is Alibaba's browser SDK, ali-oss, which VOD's Web upload
// SDK is built on too.

//go:embed web/index.html web/upload.js
var webFiles embed.FS

// AliOSSCDN is Alibaba's public CDN copy of the ali-oss browser build, the
// version the page is tested with (npm ali-oss@6.23.0,
// dist/aliyun-oss-sdk.min.js). Its URL scheme is the one of OSS's
// Browser.js documentation ("Installation", "Initialization").
const AliOSSCDN = "https://gosspublic.alicdn.com/aliyun-oss-sdk-6.23.0.min.js"

// aliOSSPath is where the page loads ali-oss from when the AppServer serves
// a local copy.
const aliOSSPath = "/ali-oss.js"

// page is the rendered upload page and what it loads.
type page struct {
	index, script, aliOSS []byte // aliOSS nil: from the CDN
	aliOSSOrigin          string // for the Content-Security-Policy
}

// newPage renders the page; aliOSSFile, when set, is a local ali-oss build
// to serve instead of the CDN's.
func newPage(aliOSSFile string) (*page, error) {
	p := &page{}
	src := AliOSSCDN
	p.aliOSSOrigin = "https://gosspublic.alicdn.com"
	if aliOSSFile != "" {
		b, err := os.ReadFile(aliOSSFile)
		if err != nil {
			return nil, fmt.Errorf("upload page: ali-oss: %w", err)
		}
		p.aliOSS, src, p.aliOSSOrigin = b, aliOSSPath[1:], ""
	}
	tmpl, err := template.ParseFS(webFiles, "web/index.html")
	if err != nil {
		return nil, fmt.Errorf("upload page: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, struct{ AliOSSURL string }{src}); err != nil {
		return nil, fmt.Errorf("upload page: %w", err)
	}
	p.index = buf.Bytes()
	if p.script, err = webFiles.ReadFile("web/upload.js"); err != nil {
		return nil, fmt.Errorf("upload page: %w", err)
	}
	return p, nil
}

// routes are the page's endpoints; none needs a token (the page asks for
// one and sends it to the API).
func (p *page) routes() []route {
	rs := []route{
		{http.MethodGet, "/{$}", p.serve(p.index, "text/html; charset=utf-8")},
		{http.MethodGet, "/upload.js", p.serve(p.script, "text/javascript; charset=utf-8")},
	}
	if p.aliOSS != nil {
		rs = append(rs, route{http.MethodGet, aliOSSPath, p.serve(p.aliOSS, "text/javascript; charset=utf-8")})
	}
	return rs
}

func (p *page) serve(body []byte, contentType string) http.Handler {
	// The page talks to the AppServer (maybe another origin) and to OSS
	// endpoints it learns from tickets, so connect-src cannot be narrower.
	csp := "default-src 'none'; script-src 'self' " + p.aliOSSOrigin + "; style-src 'unsafe-inline'; " +
		"connect-src *; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		_, _ = w.Write(body)
	})
}
