package emulator

import (
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Malformation is a way an OSS answer can arrive broken: garbled by a
// proxy, cut short, or carrying a checksum that does not match. Clients
// must turn each into an error, or into a success only when the object
// really is intact; never into a panic or a false success.
type Malformation int

const (
	// MalformedTruncatedError answers 500 with an XML error document cut
	// off mid-element, instead of running the operation.
	MalformedTruncatedError Malformation = iota + 1
	// MalformedWrongCRC runs the operation but answers with its
	// x-oss-hash-crc64ecma off by one bit, as if the bytes had been
	// corrupted on the way.
	MalformedWrongCRC
	// MalformedErrorBody200 answers 200 OK with an <Error> document and
	// neither ETag nor CRC, instead of running the operation: what a broken
	// gateway sends.
	MalformedErrorBody200
	// MalformedHugeHeader runs the operation and pads the answer with
	// HugeHeaderBytes of header fields, beyond net/http's default 10 MiB
	// limit for response headers.
	MalformedHugeHeader
)

// HugeHeaderBytes is how much header MalformedHugeHeader adds.
const HugeHeaderBytes = 11 << 20

// faultMalformed is the kind counted in Counters.Faults.
const faultMalformed = "malformed"

func (m Malformation) String() string {
	switch m {
	case MalformedTruncatedError:
		return "truncated error body"
	case MalformedWrongCRC:
		return "wrong crc64 header"
	case MalformedErrorBody200:
		return "200 with an error body"
	case MalformedHugeHeader:
		return "huge response header"
	}
	return "malformation(" + strconv.Itoa(int(m)) + ")"
}

// malformation draws whether the answer to an authorized request for op is
// malformed (Faults.Malformed, Faults.MalformedKind, Faults.MalformedOp).
// It draws nothing when Malformed is zero, so enabling it does not shift
// the sequence of the other faults of a seed.
func (f *faultInjector) malformation(op string) Malformation {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cfg
	if c.MalformedKind == 0 || (c.MalformedOp != "" && c.MalformedOp != op) || !f.hit(c.Malformed) {
		return 0
	}
	return c.MalformedKind
}

// serveMalformed answers q the broken way m says, running the operation
// first for the kinds that garble a real answer.
func (s *Server) serveMalformed(w http.ResponseWriter, q *ossRequest, op ossOp, m Malformation) error {
	s.countFault(faultMalformed)
	switch m {
	case MalformedTruncatedError:
		drainBody(q.r)
		body := errorDocument(errInternal(), q.requestID, q.r.Host)
		writeRaw(w, http.StatusInternalServerError, body[:len(body)/2])
		return nil
	case MalformedErrorBody200:
		drainBody(q.r)
		writeRaw(w, http.StatusOK, errorDocument(errInternal(), q.requestID, q.r.Host))
		return nil
	case MalformedWrongCRC:
		return op.handle(s, &headerMutator{ResponseWriter: w, mutate: flipCRC}, q)
	case MalformedHugeHeader:
		return op.handle(s, &headerMutator{ResponseWriter: w, mutate: padHeader}, q)
	}
	return op.handle(s, w, q)
}

// drainBody reads what is left of a request body, so the client finishes
// sending and reads the answer instead of seeing a reset.
func drainBody(r *http.Request) {
	if r.Body != nil {
		_, _ = io.CopyN(io.Discard, r.Body, maxErrorDrain)
	}
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// headerMutator changes the header of a successful answer just before it
// is sent.
type headerMutator struct {
	http.ResponseWriter
	mutate func(http.Header)
	done   bool
}

func (m *headerMutator) WriteHeader(status int) {
	if !m.done && status < 300 {
		m.mutate(m.Header())
	}
	m.done = true
	m.ResponseWriter.WriteHeader(status)
}

func (m *headerMutator) Write(p []byte) (int, error) {
	if !m.done {
		m.WriteHeader(http.StatusOK)
	}
	return m.ResponseWriter.Write(p)
}

func flipCRC(h http.Header) {
	if v := h.Get(crcHeader); v != "" {
		crc, _ := strconv.ParseUint(v, 10, 64)
		h.Set(crcHeader, formatCRC(crc^1))
	}
}

func padHeader(h http.Header) {
	const line = 1 << 20
	value := strings.Repeat("x", line)
	for i := range HugeHeaderBytes / line {
		h.Set("x-oss-meta-padding-"+strconv.Itoa(i), value)
	}
}
