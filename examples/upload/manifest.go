package main

// Reading a bulk import's rows: a manifest (CSV with a header row, or JSON
// Lines) or a directory tree. Every row becomes the same column → text
// map, so one set of rules (manifest_rows.go) checks both formats.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// columns are the names a manifest may use, in CSV headers and as JSON
// keys. A name outside this list is refused, so a typo ("titel") cannot
// silently drop a field from thousands of uploads.
var columns = []string{
	"key", "path", "url", "pull", "kind", "title", "description", "tags", "cate_id", "cate_ids",
	"template_group_id", "workflow_id", "user_data", "image_type", "image_ext", "business_type",
	"media_ext", "file_name", "cover_url", "storage_location", "app_id",
}

// rawRow is one row as written: its line in the manifest (0 for a
// directory's files) and its non-empty columns.
type rawRow struct {
	line   int
	fields map[string]string
}

// readManifest reads the rows of a CSV or JSON Lines manifest; the first
// character that is not white space tells which ('{' for JSON Lines). An
// error here is about the file as a whole (unreadable, a bad header);
// a bad row is reported by checkRows with its line.
func readManifest(path string) ([]rawRow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("manifest: %v", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a spreadsheet's byte order mark
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
		return readJSONLines(data)
	}
	return readCSV(data)
}

func readCSV(data []byte) ([]rawRow, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = -1 // checked per row, so the error names the line
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, usagef("manifest: empty")
	}
	if err != nil {
		return nil, usagef("manifest: %v", err)
	}
	for i, h := range header {
		header[i] = strings.ToLower(strings.TrimSpace(h))
		if err := knownColumn(header[i], header[:i]); err != nil {
			line, _ := r.FieldPos(i)
			return nil, usagef("manifest line %d: %v", line, err)
		}
	}
	var rows []rawRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, usagef("manifest: %v", err)
		}
		line, _ := r.FieldPos(0)
		row := rawRow{line: line, fields: map[string]string{}}
		if len(rec) != len(header) {
			row.fields["!"] = fmt.Sprintf("%d fields where the header has %d", len(rec), len(header))
		}
		for i, v := range rec {
			if v = strings.TrimSpace(v); v != "" && i < len(header) {
				row.fields[header[i]] = v
			}
		}
		rows = append(rows, row)
	}
}

// knownColumn checks a column name against the list and the names before it.
func knownColumn(name string, before []string) error {
	switch {
	case !slices.Contains(columns, name):
		return fmt.Errorf("unknown column %q: use %s", name, strings.Join(columns, ", "))
	case slices.Contains(before, name):
		return fmt.Errorf("column %q twice", name)
	}
	return nil
}

// readJSONLines reads one object per line. Values may be JSON strings,
// numbers, booleans, arrays (tags, cate_ids) or, for user_data, an object;
// each becomes the text a CSV cell would hold.
func readJSONLines(data []byte) ([]rawRow, error) {
	var rows []rawRow
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		row := rawRow{line: line, fields: map[string]string{}}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(text), &obj); err != nil {
			row.fields["!"] = "not a JSON object: " + err.Error()
			rows = append(rows, row)
			continue
		}
		for k, raw := range obj {
			if err := knownColumn(k, nil); err != nil {
				row.fields["!"] = err.Error()
				break
			}
			v, err := cellText(k, raw)
			if err != nil {
				row.fields["!"] = err.Error()
				break
			}
			if v != "" {
				row.fields[k] = v
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("manifest: %v", err)
	}
	return rows, nil
}

// cellText turns a JSON value into the text of a CSV cell.
func cellText(name string, raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return strings.TrimSpace(s), err
	case raw[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return "", err
		}
		parts := make([]string, len(list))
		for i, e := range list {
			s, err := cellText(name, e)
			if err != nil || strings.Contains(s, ",") {
				return "", fmt.Errorf("%s: each element a string or number without commas", name)
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	case raw[0] == '{':
		if name != "user_data" {
			return "", fmt.Errorf("%s: an object only for user_data", name)
		}
		var b bytes.Buffer
		err := json.Compact(&b, raw)
		return b.String(), err
	}
	return string(raw), nil // a number or a boolean, as written
}

// readDir lists the files under dir whose extension is in exts (lower
// case, without the dot), in lexical order, as rows of a path and a title
// (the file name without its extension). Hidden files and directories are
// skipped, and so are symbolic links: a tree may link to itself.
func readDir(dir string, exts []string) ([]rawRow, error) {
	var rows []rawRow
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(d.Name()), "."))
		if !d.Type().IsRegular() || !slices.Contains(exts, ext) {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		title := strings.TrimSuffix(d.Name(), filepath.Ext(d.Name()))
		rows = append(rows, rawRow{fields: map[string]string{"path": filepath.ToSlash(rel), "title": title}})
		return nil
	})
	if err != nil {
		return nil, usagef("-dir: %v", err)
	}
	if len(rows) == 0 {
		return nil, usagef("-dir: no file with extension %s under %s", strings.Join(exts, ", "), dir)
	}
	return rows, nil
}

// where names a row for messages: its manifest line, or its path.
func (r rawRow) where() string {
	if r.line > 0 {
		return "line " + strconv.Itoa(r.line)
	}
	return r.fields["path"]
}
