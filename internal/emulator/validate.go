package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rule engine and the checks it applies; which parameter gets which
// check is in vod_params.go. Error codes and messages are VOD's documented
// ones (CreateUploadVideo "Common errors", VOD common error codes); where
// VOD documents none the choice is noted next to the check.

// check validates one non-empty parameter value; p gives access to the
// others for rules that depend on them.
type check func(p rpcParams, name, value string) *rpcError

// paramRule is what VOD requires of one parameter.
type paramRule struct {
	name     string
	required bool // marked required in the API's metadata: POP answers MissingXxx
	checks   []check
}

// validateParams applies rules in order and returns the first violation.
func validateParams(p rpcParams, rules []paramRule) *rpcError {
	for _, r := range rules {
		v := p.get(r.name)
		if v == "" {
			if r.required {
				return missingParam(r.name)
			}
			continue
		}
		for _, c := range r.checks {
			if err := c(p, r.name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func lengthExceeded(name string, max int) *rpcError {
	return newRPCError(http.StatusBadRequest, "LengthExceededMax",
		fmt.Sprintf("The specified %s length has exceeded %d bytes.", name, max))
}

func maxBytes(n int) check {
	return func(_ rpcParams, name, v string) *rpcError {
		if len(v) > n {
			return lengthExceeded(name, n)
		}
		return nil
	}
}

// legalText rejects what VOD answers IllegalCharacters for ("illegal
// emoticon or special characters"): invalid UTF-8, characters outside the
// Basic Multilingual Plane, where emoji live, and control characters other
// than tab and line breaks. VOD documents the code, not the set; this is
// the emulator's reading, shared with internal/meta.
func legalText(_ rpcParams, name, v string) *rpcError {
	if !utf8.ValidString(v) {
		return illegalChars(name)
	}
	for _, r := range v {
		if r > 0xFFFF || (unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r') {
			return illegalChars(name)
		}
	}
	return nil
}

func illegalChars(name string) *rpcError {
	return newRPCError(http.StatusBadRequest, "IllegalCharacters",
		"The specified "+name+" contains illegal emoticon or special characters.")
}

// integer checks a Long parameter.
func integer(_ rpcParams, name, v string) *rpcError {
	if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
		return invalidParam(name)
	}
	return nil
}

// oneOf checks an enumeration, case-insensitively as VOD reads them.
func oneOf(allowed ...string) check {
	return func(_ rpcParams, name, v string) *rpcError {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				return nil
			}
		}
		return invalidParam(name)
	}
}

// fileExtension returns the lower-cased extension of a file name, a path
// or a URL (query and fragment ignored), without the dot.
func fileExtension(name string) string {
	if i := strings.IndexAny(name, "?#"); i >= 0 && strings.Contains(name, "://") {
		name = name[:i]
	}
	name = strings.ReplaceAll(name, `\`, "/")
	ext := path.Ext(path.Base(name))
	return strings.ToLower(strings.TrimPrefix(ext, "."))
}

func badExtension() *rpcError {
	return newRPCError(http.StatusBadRequest, "InvalidFileName.Extension", "The specified FileName's extension is illegal.")
}

// mediaFileName checks CreateUploadVideo's FileName: it must carry a video
// or audio extension.
func mediaFileName(_ rpcParams, _, v string) *rpcError {
	if !inList(videoExts+" "+audioExts, fileExtension(v)) {
		return badExtension()
	}
	return nil
}

func inList(list, word string) bool {
	if word == "" {
		return false
	}
	for _, w := range strings.Fields(list) {
		if w == word {
			return true
		}
	}
	return false
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// tagList checks Tags: at most 16, each at most 32 characters ("32
// characters or Chinese characters") with no illegal ones.
func tagList(p rpcParams, name, v string) *rpcError {
	tags := splitList(v)
	if len(tags) > maxTags {
		return newRPCError(http.StatusBadRequest, "TagsExceededMax",
			fmt.Sprintf("The specified Tags count has exceeded %d.", maxTags))
	}
	for _, t := range tags {
		if err := legalText(p, name, t); err != nil {
			return err
		}
		if utf8.RuneCountInString(t) > maxTagChars {
			return lengthExceeded(name, maxTagChars)
		}
	}
	return nil
}

func cateIDList(p rpcParams, name, v string) *rpcError {
	ids := splitList(v)
	if len(ids) > maxCateIDs {
		return invalidParam(name)
	}
	for _, id := range ids {
		if err := integer(p, name, id); err != nil {
			return err
		}
	}
	return nil
}

// idList checks a comma-separated ID list of at most n items.
func idList(n int) check {
	return func(_ rpcParams, name, v string) *rpcError {
		if len(splitList(v)) > n {
			return invalidParam(name)
		}
		return nil
	}
}

// appID accepts VOD's app-xxxxxxx form; the default app is app-1000000.
func appID(_ rpcParams, name, v string) *rpcError {
	digits, ok := strings.CutPrefix(v, "app-")
	if !ok || digits == "" || strings.TrimFunc(digits, unicode.IsDigit) != "" {
		return invalidParam(name)
	}
	return nil
}

// userData checks UserData: a JSON object whose Extend, passed back in
// callbacks, is at most 512 bytes (VOD's "Request parameters", UserData).
// VOD documents no code for a long Extend; InvalidParameter is the
// emulator's choice.
func userData(_ rpcParams, name, v string) *rpcError {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &m); err != nil || m == nil {
		return invalidParam(name)
	}
	if ext, ok := m["Extend"]; ok && len(ext) > maxExtendBytes {
		return invalidParam(name)
	}
	return nil
}

// knownTemplateGroup accepts only the built-in group, and anything when a
// WorkflowId is given, because the workflow wins and VOD ignores the group.
func knownTemplateGroup(p rpcParams, _, v string) *rpcError {
	if p.get("WorkflowId") != "" || v == builtinTemplateGroup {
		return nil
	}
	return newRPCError(http.StatusNotFound, "InvalidTemplateGroupId.NotFound", "The TemplateGroupId does not exist.")
}

// knownStorage accepts the emulator's own storage location, by its host
// name or its bucket name.
func (s *Server) knownStorage(_ rpcParams, _, v string) *rpcError {
	if v == s.storageLocation() || v == s.bucket() {
		return nil
	}
	return newRPCError(http.StatusNotFound, "InvalidStorage.NotFound", "The StorageLocation does not exist.")
}

// referenceID checks a ReferenceId: 6 to 64 letters, digits, '-' or '_'.
func referenceID(_ rpcParams, name, v string) *rpcError {
	if len(v) < 6 || len(v) > 64 || strings.IndexFunc(v, func(r rune) bool {
		return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_'))
	}) >= 0 {
		return invalidParam(name)
	}
	return nil
}
