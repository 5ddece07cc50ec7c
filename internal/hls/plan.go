// Package hls plans the upload of an HLS media playlist: it reads the
// index (a local file or a URL), works out every file the index needs and
// the object name each gets next to the uploaded index, checks that all of
// them exist, and rewrites the index so its references resolve there. All
// of it happens before VOD is asked for anything, so a playlist with a
// missing segment creates no media record.
package hls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vodupload/vodupload/internal/m3u8"
	"github.com/vodupload/vodupload/internal/source"
)

// Plan is what to upload.
type Plan struct {
	Index     []byte // the index as it will be stored
	IndexName string // the index's base name, e.g. "index.m3u8"
	Segments  []Segment
	Size      int64 // of the index and every segment whose size is known
}

// Segment is one file the index references.
type Segment struct {
	Name   string // object name relative to the index's directory
	Source source.Source
	Size   int64 // -1 when unknown (a URL without Content-Length)
}

// ErrMissingSegment: a file the index names does not exist or is empty.
var ErrMissingSegment = errors.New("segment missing")

// maxHeadsInFlight bounds the existence checks of URL segments.
const maxHeadsInFlight = 8

// Build plans the upload of the index at location, a local path or an
// http(s) URL. explicit, when not empty, replaces the segments the index
// names (paths or URLs, uploaded under their base names) and the index is
// stored unchanged, as the official SDKs allow.
func Build(ctx context.Context, client *http.Client, location string, explicit []string) (*Plan, error) {
	base, remote := asURL(location)
	raw, err := readIndex(ctx, client, location, base)
	if err != nil {
		return nil, err
	}
	p := &Plan{IndexName: indexName(location, base)}
	if len(explicit) > 0 {
		p.Index = raw
		for _, e := range explicit {
			u, isURL := asURL(e)
			name := path.Base(filepath.ToSlash(e))
			if isURL {
				name = path.Base(u.Path)
			}
			p.Segments = append(p.Segments, Segment{Name: name, Source: segmentSource(client, e, u, isURL)})
		}
	} else {
		pl, err := m3u8.Parse(strings.NewReader(string(raw)))
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", redact(location), err)
		}
		index, objs, err := pl.Localize()
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", redact(location), err)
		}
		p.Index = index
		for _, o := range objs {
			seg, err := resolve(client, location, base, remote, o)
			if err != nil {
				return nil, err
			}
			p.Segments = append(p.Segments, seg)
		}
	}
	if err := p.checkNames(); err != nil {
		return nil, err
	}
	if err := p.stat(ctx, client); err != nil {
		return nil, err
	}
	return p, nil
}

// resolve finds where the bytes of o come from: next to a local index, or
// relative to the index URL; absolute URLs as they are.
func resolve(client *http.Client, location string, base *url.URL, remote bool, o m3u8.Object) (Segment, error) {
	uri := o.Resource.URI
	switch {
	case o.Remote || remote:
		ref, err := url.Parse(uri)
		if err != nil {
			return Segment{}, fmt.Errorf("segment %q: %w", redact(uri), err)
		}
		abs := ref
		if base != nil {
			abs = base.ResolveReference(ref)
		}
		if abs.Scheme != "http" && abs.Scheme != "https" {
			return Segment{}, fmt.Errorf("segment %q of a local index: %w", redact(uri), m3u8.ErrUnsupportedURI)
		}
		return Segment{Name: o.Name, Source: segmentSource(client, abs.String(), abs, true)}, nil
	default:
		file := filepath.Join(filepath.Dir(location), filepath.FromSlash(o.Name))
		return Segment{Name: o.Name, Source: source.File{Path: file}}, nil
	}
}

func segmentSource(client *http.Client, location string, u *url.URL, isURL bool) source.Source {
	if isURL {
		return source.URL{URL: u.String(), Client: client}
	}
	return source.File{Path: location}
}

// checkNames refuses two segments with one object name, and a segment
// that would overwrite the index.
func (p *Plan) checkNames() error {
	seen := map[string]bool{p.IndexName: true}
	for _, s := range p.Segments {
		if s.Name == "" || seen[s.Name] {
			return fmt.Errorf("segment object name %q is used twice (or is the index's own name)", s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

// stat checks every segment exists and is not empty, and records sizes:
// local files by stat, URLs by HEAD, concurrently.
func (p *Plan) stat(ctx context.Context, client *http.Client) error {
	p.Size = int64(len(p.Index))
	errs := make([]error, len(p.Segments))
	sem := make(chan struct{}, maxHeadsInFlight)
	var wg sync.WaitGroup
	for i := range p.Segments {
		s := &p.Segments[i]
		switch src := s.Source.(type) {
		case source.File:
			st, err := os.Stat(src.Path)
			switch {
			case err != nil:
				errs[i] = fmt.Errorf("%w: %s: %w", ErrMissingSegment, s.Name, err)
			case !st.Mode().IsRegular() || st.Size() == 0:
				errs[i] = fmt.Errorf("%w: %s is empty or not a regular file", ErrMissingSegment, s.Name)
			default:
				s.Size = st.Size()
			}
		case source.URL:
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				s.Size, errs[i] = head(ctx, client, src.URL)
				if errs[i] != nil {
					errs[i] = fmt.Errorf("%w: %s: %w", ErrMissingSegment, s.Name, errs[i])
				}
			})
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, s := range p.Segments {
		if s.Size > 0 {
			p.Size += s.Size
		}
	}
	return nil
}

// maxIndexSize bounds the index read into memory.
const maxIndexSize = m3u8.MaxIndexSize

func readIndex(ctx context.Context, client *http.Client, location string, u *url.URL) ([]byte, error) {
	var r io.ReadCloser
	if u != nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", redact(location), err)
		}
		resp, err := httpClient(client).Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetch index %s: %w", redact(location), redactErr(err))
		}
		if resp.StatusCode/100 != 2 {
			resp.Body.Close()
			return nil, fmt.Errorf("fetch index %s: %w", redact(location), &source.HTTPStatusError{URL: redact(location), StatusCode: resp.StatusCode})
		}
		r = resp.Body
	} else {
		f, err := os.Open(location)
		if err != nil {
			return nil, fmt.Errorf("open index: %w", err)
		}
		r = f
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxIndexSize+1))
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", redact(location), err)
	}
	if len(b) > maxIndexSize {
		return nil, fmt.Errorf("index %s: %w", redact(location), m3u8.ErrTooLarge)
	}
	return b, nil
}

func head(ctx context.Context, client *http.Client, u string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := httpClient(client).Do(req)
	if err != nil {
		return 0, redactErr(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return 0, &source.HTTPStatusError{URL: redact(u), StatusCode: resp.StatusCode}
	}
	return resp.ContentLength, nil
}

func httpClient(c *http.Client) *http.Client {
	if c == nil {
		return http.DefaultClient
	}
	return c
}

// asURL reports whether location is an http(s) URL.
func asURL(location string) (*url.URL, bool) {
	u, err := url.Parse(location)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}

func indexName(location string, u *url.URL) string {
	if u != nil {
		return path.Base(u.Path)
	}
	return filepath.Base(location)
}

// redact drops credentials and signatures from URLs (anything with a host)
// before they reach an error or a log; local paths are kept as they are.
func redact(s string) string {
	if u, err := url.Parse(s); err != nil || u.Host == "" {
		return s
	}
	return source.RedactURL(s)
}

func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redact(ue.URL), ue.Err)
	}
	return err
}
