package vodupload

import (
	"time"

	"github.com/vodupload/vodupload/internal/progress"
)

// Progress reports an upload's bytes. Done counts bytes OSS has
// acknowledged (finished parts), including those a resumed upload took
// over from its checkpoint, so Done/Total is how much of the file OSS
// holds; it never runs ahead of the server and never goes back. Resumed
// is the part of Done an earlier run sent. InFlight counts bytes of
// unfinished requests that the HTTP transport has handed to the network:
// it runs ahead of what OSS has received by up to the socket buffers, and
// drops when an attempt fails.
//
// Rate counts only bytes this run sent, so (Total-Done)/Rate is the time
// left, also after a resume.
type Progress struct {
	Total    int64 // -1 while unknown (streams)
	Done     int64
	Resumed  int64 // taken over from the checkpoint; 0 for a fresh upload
	InFlight int64
	// Rate is bytes per second acknowledged in this run, smoothed; in the
	// final report, this run's bytes over Elapsed.
	Rate    float64
	Elapsed time.Duration
	Final   bool // the last report of the upload
}

// progressFunc adapts the Progress callback to the meter's snapshots.
func (o UploadOptions) progressFunc() func(progress.Snapshot) {
	if o.Progress == nil {
		return nil
	}
	fn := o.Progress
	return func(s progress.Snapshot) {
		fn(Progress{Total: s.Total, Done: s.Done, Resumed: s.Resumed, InFlight: s.InFlight, Rate: s.Rate,
			Elapsed: s.Elapsed, Final: s.Final})
	}
}
