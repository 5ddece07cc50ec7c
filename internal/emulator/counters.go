package emulator

import "maps"

// counters is guarded by Server.mu.
type counters struct {
	requests      map[string]int64         // by action name
	bytesReceived int64                    // request body bytes stored (PutObject, UploadPart)
	refreshes     int64                    // RefreshUploadVideo calls that issued a credential
	credentials   int64                    // credentials issued by any action
	parts         map[string]map[int]int64 // UploadId → part number → successful UploadPart calls
	faults        map[string]int64         // injected faults by kind
	rejected      map[string]int64         // error responses by Code
}

func newCounters() counters {
	return counters{
		requests: make(map[string]int64),
		parts:    make(map[string]map[int]int64),
		faults:   make(map[string]int64),
		rejected: make(map[string]int64),
	}
}

// Counters is a snapshot of what the emulator has seen, for assertions.
type Counters struct {
	// Requests counts requests per action: VOD actions by their Action name,
	// OSS ones as PutObject, GetObject, HeadObject, DeleteObject,
	// InitiateMultipartUpload, UploadPart, ListParts,
	// CompleteMultipartUpload, AbortMultipartUpload, ListMultipartUploads,
	// Options (CORS preflight).
	Requests map[string]int64
	// BytesReceived is the number of object body bytes accepted.
	BytesReceived int64
	// Refreshes counts credentials issued by RefreshUploadVideo.
	Refreshes int64
	// Credentials counts every credential issued.
	Credentials int64
	// Parts counts accepted UploadPart calls per UploadId and part number; a
	// value above 1 means the part was sent again.
	Parts map[string]map[int]int64
	// Faults counts injected faults by kind (error, reset, throttle,
	// vod_error, malformed).
	Faults map[string]int64
	// Errors counts error responses by their Code.
	Errors map[string]int64
}

// PartsUploaded is the number of accepted UploadPart calls for uploadID,
// re-sends included.
func (c Counters) PartsUploaded(uploadID string) int64 {
	var n int64
	for _, v := range c.Parts[uploadID] {
		n += v
	}
	return n
}

// Counters returns a snapshot of the counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := make(map[string]map[int]int64, len(s.counters.parts))
	for id, m := range s.counters.parts {
		parts[id] = maps.Clone(m)
	}
	return Counters{
		Requests:      maps.Clone(s.counters.requests),
		BytesReceived: s.counters.bytesReceived,
		Refreshes:     s.counters.refreshes,
		Credentials:   s.counters.credentials,
		Parts:         parts,
		Faults:        maps.Clone(s.counters.faults),
		Errors:        maps.Clone(s.counters.rejected),
	}
}

// count records one request for action.
func (s *Server) count(action string) {
	s.mu.Lock()
	s.counters.requests[action]++
	s.mu.Unlock()
}

// countError records an error response with code.
func (s *Server) countError(code string) {
	s.mu.Lock()
	s.counters.rejected[code]++
	s.mu.Unlock()
}
