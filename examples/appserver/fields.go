package main

import (
	"errors"
	"reflect"
	"strings"

	"github.com/vodupload/vodupload"
)

// The SDK names a bad field as Go does ("CateIDs[2]",
// "UserData.MessageCallback.CallbackURL"); a client of this API wrote
// "cate_ids" and "user_data.message_callback.callback_url". These
// functions translate through the request type's json tags.

// requestError rewrites a validation error about req's fields to name
// them by their JSON keys; other errors pass unchanged.
func requestError(err error, req any) error {
	var ve *vodupload.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	field := jsonField(reflect.TypeOf(req), ve.Field)
	named := &vodupload.ValidationError{Field: field, Rule: ve.Rule, Value: ve.Value}
	return &httpError{status: 400, detail: errorDetail{Code: "InvalidParameter", Field: field, Message: named.Error()}}
}

// jsonField maps a dotted Go field path with optional [i] indexes to the
// JSON key path of t. Segments t does not know are converted to
// snake_case, which is how this API names its keys.
func jsonField(t reflect.Type, path string) string {
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		name, index, _ := strings.Cut(seg, "[")
		if index != "" {
			index = "[" + index
		}
		key := snakeCase(name)
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
			t = t.Elem()
		}
		if t != nil && t.Kind() == reflect.Struct {
			if f, ok := t.FieldByName(name); ok {
				if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
					key = tag
				}
				t = f.Type
			} else {
				t = nil
			}
		}
		segs[i] = key + index
	}
	return strings.Join(segs, ".")
}

// snakeCase turns a Go identifier into snake_case, keeping acronyms
// whole: CoverURL → cover_url, CateIDs → cate_ids.
func snakeCase(s string) string {
	s = strings.NewReplacer("IDs", "Ids", "ID", "Id", "URL", "Url").Replace(s)
	var b strings.Builder
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}
