package main

// The results file of a bulk import: JSON Lines, one line appended and
// synced per event (a registration before its bytes, an item finished).
// It is the import's whole state: a rerun reads the latest line of each
// row key and skips what is done, continues what was started, and retries
// what failed only when asked. Files of several shards concatenate into one.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Statuses of a results line.
const (
	// statusStarted: VOD registered the media (media_id) or accepted the
	// pull (job_id); the upload had not finished when the line was
	// written. With an error, the run stopped waiting for a pull whose
	// fetch VOD still runs: the rerun waits for the same job.
	statusStarted = "started"
	statusOK      = "ok"
	statusFailed  = "failed"
)

// record is one line of the results file.
type record struct {
	Key    string `json:"key"`
	Line   int    `json:"line,omitempty"` // in the manifest; absent for -dir
	Source string `json:"source"`         // path as written, or URL without query string
	Kind   string `json:"kind"`
	Status string `json:"status"`
	// MediaID is the VideoId, ImageId or MediaId; on a failed line, set
	// only when the record was kept (a resumable video, a failed pull).
	MediaID  string `json:"media_id,omitempty"`
	MediaURL string `json:"media_url,omitempty"`
	JobID    string `json:"job_id,omitempty"` // a pull's UploadMediaByURL job
	Bytes    int64  `json:"bytes,omitempty"`
	// ResumedParts and ResumedBytes were taken over from a checkpoint.
	ResumedParts int       `json:"resumed_parts,omitempty"`
	ResumedBytes int64     `json:"resumed_bytes,omitempty"`
	Error        string    `json:"error,omitempty"`
	ErrorCode    string    `json:"error_code,omitempty"` // VOD's or OSS's code, when a service refused
	Seconds      float64   `json:"seconds,omitempty"`
	Time         time.Time `json:"time,omitzero"`
}

// readResults returns the latest line of each key, in file order. A line
// that does not parse is skipped and counted: the last line of a run
// killed while writing it, or such a line in the middle once shard files
// are concatenated. Its item was in flight, so its "started" line (or
// none) stands, and the rerun continues it. A missing file is no results.
func readResults(path string) (map[string]record, int, error) {
	latest := map[string]record{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return latest, 0, nil
	}
	if err != nil {
		return nil, 0, usagef("results: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	skipped := 0
	for sc.Scan() {
		var rec record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Key == "" || rec.Status == "" {
			if len(sc.Bytes()) > 0 {
				skipped++
			}
			continue
		}
		latest[rec.Key] = rec
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("results: read %s: %w", path, err)
	}
	return latest, skipped, nil
}

// resultsFile appends records to the results file, each synced to disk
// before append returns, under an exclusive lock so two runs cannot
// share one file (they would upload the same rows).
type resultsFile struct {
	mu     sync.Mutex // guards f's writes, so lines never interleave
	f      *os.File
	unlock func()
}

func openResults(path string) (*resultsFile, error) {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return nil, usagef("results: %v", err)
	}
	unlock, err := lockFile(f)
	if err != nil {
		_ = f.Close()
		// Not the input's fault: the same command succeeds once the other
		// run ends, so this exits 1, not 2.
		return nil, fmt.Errorf("results file %s is in use by another run (%w)", path, err)
	}
	r := &resultsFile{f: f, unlock: unlock}
	if errors.Is(statErr, os.ErrNotExist) {
		syncDir(filepath.Dir(path)) // the new file's name survives a crash too
	}
	// A line cut short by a crash would glue to the next one: end it.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			_, _ = f.Write([]byte("\n"))
		}
	}
	return r, nil
}

func (r *resultsFile) append(rec record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("results: write: %w", err)
	}
	if err := r.f.Sync(); err != nil {
		return fmt.Errorf("results: sync: %w", err)
	}
	return nil
}

func (r *resultsFile) Close() error {
	r.unlock()
	return r.f.Close()
}

// syncDir syncs a directory, so a file created in it is not lost with a
// crash; where directories cannot be synced, there is nothing to do.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
