package main

// The library's warnings (a checkpoint that cannot be resumed, a record
// that could not be deleted, ...) are what a user must see even without
// -v: printed on stderr as they come, and listed in the -json answer.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// warnings is a slog.Handler that prints records at Warn and above as
// "upload: warning: msg (k=v, ...)" and keeps them; next, when set (-v),
// receives every record and does the printing.
type warnings struct {
	sink  *warnSink
	next  slog.Handler
	attrs []slog.Attr
	group string
}

// warnSink is what the handlers derived with WithAttrs share.
type warnSink struct {
	w     io.Writer // nil: keep only
	mu    sync.Mutex
	lines []string
}

func newWarnings(stderr io.Writer, next slog.Handler) *warnings {
	s := &warnSink{}
	if next == nil {
		s.w = stderr
	}
	return &warnings{sink: s, next: next}
}

// list is the warnings so far.
func (h *warnings) list() []string {
	h.sink.mu.Lock()
	defer h.sink.mu.Unlock()
	return append([]string(nil), h.sink.lines...)
}

func (h *warnings) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.next != nil && h.next.Enabled(ctx, l)
}

func (h *warnings) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.keep(r)
	}
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *warnings) keep(r slog.Record) {
	var kv []string
	add := func(a slog.Attr) bool {
		if a.Key != "" {
			kv = append(kv, h.group+a.Key+"="+a.Value.String())
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	line := r.Message
	if len(kv) > 0 {
		line += " (" + strings.Join(kv, ", ") + ")"
	}
	line = strings.Join(strings.Fields(line), " ")
	h.sink.mu.Lock()
	defer h.sink.mu.Unlock()
	h.sink.lines = append(h.sink.lines, line)
	if h.sink.w != nil {
		fmt.Fprintf(h.sink.w, "upload: warning: %s\n", line)
	}
}

func (h *warnings) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	if h.next != nil {
		c.next = h.next.WithAttrs(attrs)
	}
	return &c
}

func (h *warnings) WithGroup(name string) slog.Handler {
	c := *h
	c.group = h.group + name + "."
	if h.next != nil {
		c.next = h.next.WithGroup(name)
	}
	return &c
}
