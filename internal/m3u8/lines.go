package m3u8

import (
	"iter"
	"strings"
)

// line is one line of the index with surrounding blanks trimmed.
type line struct {
	num   int    // 1-based
	start int    // byte offset of text in the index
	text  string // the line without its ending and without leading or trailing spaces and tabs
}

// lines splits b at LF, CRLF and lone CR. Trimming blanks is lenient (RFC
// 8216 forbids them) because hand-edited indexes often carry them.
func lines(b []byte) iter.Seq[line] {
	return func(yield func(line) bool) {
		num := 0
		for start := 0; start < len(b); {
			num++
			end, next := lineEnd(b, start)
			raw := string(b[start:end])
			text := strings.TrimLeft(raw, " \t")
			off := start + len(raw) - len(text)
			text = strings.TrimRight(text, " \t")
			if !yield(line{num: num, start: off, text: text}) {
				return
			}
			start = next
		}
	}
}

// lineEnd returns where the line starting at start ends and where the next
// one begins.
func lineEnd(b []byte, start int) (end, next int) {
	for i := start; i < len(b); i++ {
		switch b[i] {
		case '\n':
			return i, i + 1
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				return i, i + 2
			}
			return i, i + 1
		}
	}
	return len(b), len(b)
}
