package emulator

import "slices"

// ExpireMultipartUploads drops every unfinished multipart upload and its
// parts, as VOD does seven days after an upload stopped. A client that
// resumes one afterwards gets NoSuchUpload.
func (s *Server) ExpireMultipartUploads() {
	s.mu.Lock()
	var blobs []string
	for id, u := range s.uploads {
		blobs = append(blobs, u.blobs()...)
		delete(s.uploads, id)
	}
	s.mu.Unlock()
	s.store.dropParts(blobs...)
}

// DeleteMedia forgets a video, image or attached media record, as if it
// had been deleted in the VOD console; later calls naming it answer
// InvalidVideo.NotFound (or the kind's equivalent).
func (s *Server) DeleteMedia(id string) {
	s.mu.Lock()
	delete(s.media, id)
	s.mu.Unlock()
}

// HasMedia reports whether a video, image or attached media record exists;
// a deleted one does not.
func (s *Server) HasMedia(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.media[id] != nil
}

// Secrets returns every secret the emulator has handed out or accepts: the
// root AccessKeySecret and, for each issued credential, its
// AccessKeySecret, SecurityToken and the UploadAuth string that carried
// it. Tests grep logs, errors and files for them.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{s.AccessKeySecret}
	for _, c := range s.sts {
		out = append(out, c.AccessKeySecret, c.SecurityToken)
		out = append(out, c.authStrings...)
	}
	return slices.DeleteFunc(out, func(v string) bool { return v == "" })
}
