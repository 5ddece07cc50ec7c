package emulator

import "net/http"

// STUB: replaced by the OSS implementation.
type multipartUpload struct{}

func (s *Server) serveOSS(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}
