package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// lockHelperEnv makes the test binary act as a separate process holding a
// lock ("dir:key"), the way os/exec tests re-exec themselves.
const lockHelperEnv = "VODUPLOAD_CHECKPOINT_LOCK_HELPER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(lockHelperEnv); spec != "" {
		os.Exit(holdLock(spec))
	}
	goleak.VerifyTestMain(m)
}

// holdLock takes the lock, tells the parent on stdout, then waits to be
// killed; it never unlocks, so only the kernel can release the lock.
func holdLock(spec string) int {
	dir, key, _ := strings.Cut(spec, ":")
	d, err := NewDirStore(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if _, err := d.Lock(key); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	fmt.Println("locked")
	time.Sleep(time.Minute) // the parent kills us long before this
	return 4
}

const testPartSize = 2 << 20

// testRecord returns a valid record with n full parts of a source that is
// exactly n parts long, shaped like what CreateUploadVideo returns.
func testRecord(n int) *Record {
	r := &Record{
		Kind: KindVideo,
		Source: SourceIdentity{
			Path:      filepath.Join(os.TempDir(), "movies", "holiday 2025.mp4"),
			Size:      int64(max(n, 1)) * testPartSize,
			ModTime:   time.Date(2025, 7, 1, 12, 30, 45, 123456789, time.UTC),
			SampleCRC: 0xdeadbeefcafef00d,
		},
		MediaID:         "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		Endpoint:        "https://oss-cn-shanghai.aliyuncs.com",
		Bucket:          "outin-0123456789abcdef0123456789abcdef",
		ObjectKey:       "sv/5c5e1d2a-1726a0ef5f4/5c5e1d2a-1726a0ef5f4.mp4",
		UploadID:        "0004B9894A22E5B1888A1E29F8236E2D",
		PartSize:        testPartSize,
		DestinationHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Created:         time.Date(2025, 7, 1, 12, 31, 0, 0, time.UTC),
		Updated:         time.Date(2025, 7, 1, 13, 0, 0, 0, time.UTC),
	}
	for i := 1; i <= n; i++ {
		r.Parts = append(r.Parts, testPart(i))
	}
	return r
}

func testPart(n int) Part {
	return Part{
		Number: n,
		ETag:   fmt.Sprintf("\"%032X\"", uint64(n)*0x9E3779B97F4A7C15),
		Size:   testPartSize,
		CRC64:  uint64(n) * 0xC2B2AE3D27D4EB4F,
	}
}

func mustEncode(t testing.TB, r *Record) []byte {
	t.Helper()
	b, err := Encode(r)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}
