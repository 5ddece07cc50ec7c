package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/vodupload/vodupload"
)

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) createVideo(w http.ResponseWriter, r *http.Request) {
	var req videoRequest
	if err := s.decode(w, r, &req); err != nil {
		fail(w, r, err)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	t, err := s.vod.CreateVideoUpload(ctx, req.meta(), req.FileSize)
	s.answer(w, r, "video_id", t, requestError(err, req), http.StatusCreated)
}

// refreshRequest is the body of POST /v1/videos/{id}/refresh.
type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// refreshVideo renews a video's credential for the client that created
// it, while its upload is not complete. The refresh token from the ticket
// proves who created it; every refusal short of a complete upload answers
// alike (errRefreshRefused).
func (s *Server) refreshVideo(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validVideoID(id) {
		fail(w, r, &httpError{status: http.StatusBadRequest, detail: errorDetail{Code: "InvalidParameter", Field: "id",
			Message: "invalid id in the path: 1 to 64 letters, digits, '-' or '_'"}})
		return
	}
	var req refreshRequest
	if err := s.decode(w, r, &req); err != nil {
		fail(w, r, err)
		return
	}
	if req.RefreshToken == "" {
		fail(w, r, &httpError{status: http.StatusBadRequest, detail: errorDetail{Code: "InvalidParameter",
			Field: "refresh_token", Message: "invalid refresh_token: required (it comes with the video's ticket)"}})
		return
	}
	ri := infoFrom(r.Context())
	ri.mediaAttr, ri.mediaID = "video_id", id
	if !s.refreshKeys.Load().valid(req.RefreshToken, ri.owner, id, s.opts.Now()) {
		fail(w, r, errRefreshRefused)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	t, err := s.vod.RefreshVideoUpload(ctx, id)
	switch {
	case errors.Is(err, vodupload.ErrUploadComplete):
		err = fmt.Errorf("%w: %w", errUploadComplete, err)
	case apiCode(err) == "InvalidVideo.NotFound":
		err = fmt.Errorf("%w: %w", errRefreshRefused, err)
	}
	s.answer(w, r, "video_id", t, err, http.StatusOK)
}

func apiCode(err error) string {
	var ae *vodupload.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func (s *Server) createImage(w http.ResponseWriter, r *http.Request) {
	var req imageRequest
	if err := s.decode(w, r, &req); err != nil {
		fail(w, r, err)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	t, err := s.vod.CreateImageUpload(ctx, req.meta())
	s.answer(w, r, "image_id", t, requestError(err, req), http.StatusCreated)
}

func (s *Server) createAttachedMedia(w http.ResponseWriter, r *http.Request) {
	var req attachedMediaRequest
	if err := s.decode(w, r, &req); err != nil {
		fail(w, r, err)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	t, err := s.vod.CreateAttachedMediaUpload(ctx, req.meta(), req.FileSize)
	s.answer(w, r, "media_id", t, requestError(err, req), http.StatusCreated)
}

// validVideoID accepts what a VideoId may look like (VOD issues 32 hex
// digits); anything else is refused before it reaches VOD or the log.
func validVideoID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// answer writes the ticket (or the error) and notes its IDs for the log.
// A video's ticket gets a refresh token bound to the requesting client.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, idAttr string, t *vodupload.UploadTicket, err error, status int) {
	if err != nil {
		fail(w, r, err)
		return
	}
	ri := infoFrom(r.Context())
	ri.mediaAttr, ri.mediaID, ri.vodReqID = idAttr, t.MediaID, t.RequestID
	a := ticketAnswer{ticket: t}
	if t.Kind == vodupload.KindVideo {
		a.refreshToken = credential(s.refreshKeys.Load().issue(ri.owner, t.MediaID, s.opts.Now().Add(s.opts.RefreshTTL)))
	}
	writeJSON(w, status, a)
}

// decode reads exactly one JSON object into v, strictly: a typo in a
// field name is an error rather than a silently dropped parameter.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return decodeError(err)
		}
		return badRequest("body must contain a single JSON object")
	}
	return nil
}

func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return &httpError{status: http.StatusUnsupportedMediaType,
			detail: errorDetail{Code: "UnsupportedMediaType", Message: "Content-Type must be application/json"}}
	}
	return nil
}

// decodeError explains a JSON failure in terms of the request, not of
// the decoder's internals.
func decodeError(err error) error {
	var (
		tooBig    *http.MaxBytesError
		syntax    *json.SyntaxError
		wrongType *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return &httpError{status: http.StatusRequestEntityTooLarge, detail: errorDetail{Code: "RequestEntityTooLarge",
			Message: fmt.Sprintf("request body exceeds %d bytes", tooBig.Limit)}}
	case errors.Is(err, io.EOF):
		return badRequest("request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: body ends early")
	case errors.As(err, &syntax):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &wrongType) && wrongType.Field == "":
		return badRequest("body must be a JSON object")
	case errors.As(err, &wrongType):
		want := jsonKind(wrongType.Type.Kind().String())
		if want == "a number" && strings.HasPrefix(wrongType.Value, "number") {
			want = "a whole number in range"
		}
		return badRequest(fmt.Sprintf("field %q must be %s", wrongType.Field, want))
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("unknown field " + field)
	}
	return badRequest("malformed JSON")
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "slice":
		return "an array"
	case kind == "map", kind == "struct", kind == "ptr":
		return "an object"
	case kind == "bool":
		return "a boolean"
	}
	return "of another type"
}

func badRequest(msg string) error {
	return &httpError{status: http.StatusBadRequest, detail: errorDetail{Code: "MalformedRequest", Message: msg}}
}
