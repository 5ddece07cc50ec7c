package vodupload

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vodupload/vodupload/internal/emulator"
)

// chaosSummary is what the suite reports.
type chaosSummary struct {
	uploads, failed     int
	bytes, bytesLost    int64
	retries, refreshes  int
	serverRefreshes     int64
	credentials         int64
	expiries            int64
	faults              map[string]int64
	requests, ossErrors int64
	expiredAnswers      int64 // SecurityTokenExpired: refreshes OSS forced
	wall                time.Duration
}

func summarize(records []chaosRecord, c emulator.Counters, expiries int64, wall time.Duration) chaosSummary {
	s := chaosSummary{uploads: len(records), faults: c.Faults, serverRefreshes: c.Refreshes,
		credentials: c.Credentials, expiries: expiries, wall: wall, expiredAnswers: c.Errors["SecurityTokenExpired"]}
	for _, r := range records {
		s.bytes += r.job.size
		s.bytesLost += r.bytesLost
		s.retries += r.out.res.Retries
		s.refreshes += r.out.res.Refreshes
		if r.err != nil {
			s.failed++
		}
	}
	for _, n := range c.Requests {
		s.requests += n
	}
	for _, n := range c.Errors {
		s.ossErrors += n
	}
	return s
}

func (s chaosSummary) table(records []chaosRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-28s %12s %6s %8s %10s %9s  %s\n", "upload", "bytes", "parts", "retries", "refreshes", "took", "result")
	for _, r := range records {
		result := "ok, byte-equal"
		if r.err != nil || r.bytesLost > 0 {
			result = fmt.Sprintf("FAILED (%d bytes lost): %v", r.bytesLost, r.err)
		}
		fmt.Fprintf(&b, "%-28s %12d %6d %8d %10d %9s  %s\n", r.job.kind.name, r.job.size, r.out.res.Parts,
			r.out.res.Retries, r.out.res.Refreshes, r.took.Round(time.Millisecond), result)
	}
	fmt.Fprintf(&b, "uploads %d (failed %d), %d bytes, wall %s; faults injected %s; error answers %d of %d requests; "+
		"retries %d; credential refreshes %d (VOD issued %d by RefreshUploadVideo, %d credentials in all; %d forced expiries, "+
		"%d SecurityTokenExpired answers); bytes lost %d",
		s.uploads, s.failed, s.bytes, s.wall.Round(time.Millisecond), formatFaults(s.faults), s.ossErrors, s.requests,
		s.retries, s.refreshes, s.serverRefreshes, s.credentials, s.expiries, s.expiredAnswers, s.bytesLost)
	return b.String()
}

func (s chaosSummary) markdown() string {
	return fmt.Sprintf("### Chaos suite (`go test -run Chaos -chaos.long`)\n\n"+
		"| uploads | bytes | faults injected | retries | refreshes | forced expiries | SecurityTokenExpired answers | failed | bytes lost | wall |\n"+
		"|---|---|---|---|---|---|---|---|---|---|\n"+
		"| %d | %d | %s | %d | %d | %d | %d | %d | %d | %s |\n",
		s.uploads, s.bytes, formatFaults(s.faults), s.retries, s.refreshes, s.expiries, s.expiredAnswers, s.failed, s.bytesLost,
		s.wall.Round(time.Second))
}

func formatFaults(f map[string]int64) string {
	var total int64
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(f)) {
		total += f[k]
		parts = append(parts, fmt.Sprintf("%s %d", k, f[k]))
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}
