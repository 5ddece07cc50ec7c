package emulator

import (
	"context"
	"net/http"
)

// STUB: replaced by the VOD implementation.
type mediaRecord struct{}

// urlJob is an UploadMediaByURL job; cancel stops its fetch on Close.
type urlJob struct{ cancel context.CancelFunc }

func (s *Server) serveVOD(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}
