package m3u8

import (
	"bytes"
	"testing"
)

// FuzzParse checks that Parse never panics and that what it accepts survives
// a round trip: rewriting with the identity must succeed and parse back to
// the same resources; Localize must reference only the objects it names.
// Seeds live in testdata/fuzz/FuzzParse, built from ../../testdata/m3u8.
func FuzzParse(f *testing.F) {
	f.Add([]byte("#EXTM3U\n#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:1,\na.ts\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		pl, err := Parse(bytes.NewReader(in))
		if err != nil {
			return
		}
		out, err := pl.Rewrite(identity)
		if err != nil {
			t.Fatalf("identity rewrite failed: %v", err)
		}
		if !bytes.Equal(out, bytes.TrimPrefix(in, []byte(utf8BOM))) {
			t.Fatalf("identity rewrite changed bytes:\n%q\n%q", in, out)
		}
		again, err := Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("reparse after identity rewrite: %v", err)
		}
		if !equalResources(pl.Segments, again.Segments) {
			t.Fatalf("resources changed:\n%v\n%v", pl.Segments, again.Segments)
		}
		checkLocalize(t, pl)
	})
}

func checkLocalize(t *testing.T, pl *Playlist) {
	index, objs, err := pl.Localize()
	if err != nil {
		return
	}
	local, err := Parse(bytes.NewReader(index))
	if err != nil {
		t.Fatalf("parse localized index: %v\n%q", err, index)
	}
	want := make(map[string]bool, len(objs))
	for _, o := range objs {
		want[o.Name] = true
	}
	got := make(map[string]bool, len(objs))
	for _, r := range local.Segments {
		name, err := ObjectName(r.URI)
		if err != nil || !want[name] {
			t.Fatalf("localized index references %q (%v), not an uploaded object", r.URI, err)
		}
		got[name] = true
	}
	if len(got) != len(want) {
		t.Fatalf("localized index references %d objects, want %d", len(got), len(want))
	}
}

func equalResources(a, b []Resource) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
