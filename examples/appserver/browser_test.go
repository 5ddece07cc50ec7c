package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload"
	"github.com/vodupload/vodupload/internal/emulator"
)

// The upload page in a real browser: headless Chromium loads it from the
// AppServer, talks to the AppServer's API on another origin and uploads
// to the emulator's OSS on a third, so CORS is exercised for real on both.

var updateScreenshot = flag.Bool("update-screenshot", false, "rewrite upload-page.png from the browser test")

// aliOSSEnv names a local ali-oss browser build (dist/aliyun-oss-sdk.min.js
// of the npm package ali-oss@6.23.0) for the page.
const aliOSSEnv = "VODUPLOAD_ALI_OSS_JS"

// aliOSSCandidates are where the repository's npm install puts ali-oss,
// relative to this directory: .ci/run runs npm ci for the Node.js
// conformance suite, whose package-lock.json pins ali-oss 6.23.0.
var aliOSSCandidates = []string{
	"../../internal/emulator/conformance/testdata/node/node_modules/ali-oss/dist/aliyun-oss-sdk.min.js",
}

// requiredEnv makes a missing Chromium or ali-oss a failure instead of a
// skip; .ci/run sets it after installing both.
const requiredEnv = "VODUPLOAD_CONFORMANCE"

// browserDeps finds Chromium and ali-oss, or skips the test when run
// outside CI without them; CI (requiredEnv set) installs both, so there a
// missing one fails.
func browserDeps(t *testing.T) (chromium, aliOSS string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv(requiredEnv) != "" {
			t.Fatalf("%s not found; .ci/run installs it", what)
		}
		t.Skipf("%s not found: skipping the browser test (apt-get install chromium; npm ci --prefix internal/emulator/conformance/testdata/node; or set $%s)", what, aliOSSEnv)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		missing("Chromium")
	}
	candidates := aliOSSCandidates
	if p := os.Getenv(aliOSSEnv); p != "" {
		candidates = []string{p}
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return chromium, p
		}
	}
	missing("ali-oss's browser build (npm ali-oss@6.23.0)")
	return "", ""
}

// newBrowser starts headless Chromium for one test. The flags keep it off
// the network it has no business with.
func newBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(760, 640),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	require.NoError(t, chromedp.Do(bctx), "start Chromium")
	return bctx
}

// pageRig is an emulator with virtual-hosted OSS on localhost and an
// AppServer serving the page on 127.0.0.1, whose API the page reaches at
// localhost: three origins.
type pageRig struct {
	emu     *emulator.Server
	server  *Server
	app     *httptest.Server
	pageURL string // the page, told to use the API on the other origin
	logs    *syncBuffer
}

// wrap, when set, stands in front of the AppServer.
func newPageRig(t *testing.T, aliOSS string, emuOpts emulator.Options, wrap func(http.Handler) http.Handler) *pageRig {
	t.Helper()
	emuOpts.Hostname = "localhost"
	emu, err := emulator.New(emuOpts)
	require.NoError(t, err)
	t.Cleanup(emu.Close)
	up, err := vodupload.New(vodupload.WithEndpoint(emu.URL),
		vodupload.WithCredentials(vodupload.StaticCredentials(emu.AccessKeyID, emu.AccessKeySecret)))
	require.NoError(t, err)

	app := httptest.NewUnstartedServer(nil)
	_, port, _ := strings.Cut(app.Listener.Addr().String(), ":")
	pageOrigin := "http://127.0.0.1:" + port
	logs := &syncBuffer{}
	srv, err := NewServer(up, Options{
		Clients: clients(testToken), RefreshKeys: [][]byte{[]byte(testRefreshKey)},
		Web: true, AliOSSJS: aliOSS, CORSOrigins: []string{pageOrigin},
		Rate: 1000, Burst: 1000, Logger: slogJSON(logs),
	})
	require.NoError(t, err)
	app.Config.Handler = srv
	if wrap != nil {
		app.Config.Handler = wrap(srv)
	}
	app.Start()
	t.Cleanup(app.Close)
	return &pageRig{emu: emu, server: srv, app: app, logs: logs,
		pageURL: pageOrigin + "/?api=http://localhost:" + port}
}

// writeMedia writes n random bytes to a file named name.
func writeMedia(t *testing.T, name string, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(data)
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path, data
}

// pageState is what the page shows.
type pageState struct {
	State     string  `json:"state"`
	Refreshes string  `json:"refreshes"`
	Progress  float64 `json:"progress"`
	Result    string  `json:"result"`
	ID        string  `json:"id"`
	Bucket    string  `json:"bucket"`
	Key       string  `json:"key"`
	Stats     string  `json:"stats"`
}

const readState = `({state: document.body.dataset.state, refreshes: document.body.dataset.refreshes,
	progress: document.getElementById('bar').value, result: document.getElementById('result').textContent,
	id: document.getElementById('result').dataset.id || '', bucket: document.getElementById('result').dataset.bucket || '',
	key: document.getElementById('result').dataset.key || '', stats: document.getElementById('stats').textContent})`

// startUpload opens the page in a new tab, enters the token, picks the
// file and presses Upload.
func startUpload(t *testing.T, browser context.Context, rig *pageRig, file string) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tab, cancelTimeout := context.WithTimeout(tab, 90*time.Second)
	t.Cleanup(cancelTimeout)
	require.NoError(t, chromedp.Do(tab,
		chromedp.Navigate(rig.pageURL),
		chromedp.WaitReady(chromedp.ID("start")),
		chromedp.SendKeys(chromedp.ID("token"), testToken),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		chromedp.Click(chromedp.ID("start")),
	))
	return tab
}

// uploading holds once a part is done and the upload goes on.
func uploading(s pageState) bool { return s.State == "uploading" && s.Progress > 0 }

// waitFor polls the page until cond holds for its state.
func waitFor(t *testing.T, tab context.Context, what string, cond func(pageState) bool) pageState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := chromedp.Run(tab, chromedp.Evaluate[pageState](readState))
		require.NoError(t, err)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) || (st.State == "error" && what != "error") || (st.State == "done" && what != "done") {
			t.Fatalf("waiting for %s: page shows %+v", what, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserUpload(t *testing.T) {
	chromium, aliOSS := browserDeps(t)
	browser := newBrowser(t, chromium)
	const size = 12 << 20

	t.Run("12 MiB with credentials renewed mid-upload", func(t *testing.T) {
		start := time.Now()
		// Credentials live 10 s and the page renews them after 8 s; at
		// most 256 KiB/s per connection, 4 connections, the upload takes
		// at least 12 s, so the page renews at least once. (A part takes
		// 4 s or more, well within a credential's life.)
		rig := newPageRig(t, aliOSS, emulator.Options{STSTTL: 10 * time.Second,
			Faults: emulator.Faults{BandwidthBPS: 256 << 10}}, nil)
		path, data := writeMedia(t, "holiday.mp4", size)
		tab := startUpload(t, browser, rig, path)

		mid := waitFor(t, tab, "progress", func(s pageState) bool { return uploading(s) && s.Progress > 0.15 })
		png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		saveScreenshot(t, png)
		assert.Contains(t, mid.Stats, "MB/s")

		done := waitFor(t, tab, "done", func(s pageState) bool { return s.State == "done" })
		got, err := rig.emu.Object(done.Bucket, done.Key)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got), "the stored object differs from the file")
		assert.Contains(t, done.Result, "VideoId: "+done.ID)
		assert.True(t, rig.emu.HasMedia(done.ID))
		refreshes := rig.emu.Counters().Refreshes
		assert.GreaterOrEqual(t, refreshes, int64(1), "the page renewed the credential through the AppServer")
		assert.Equal(t, fmt.Sprint(refreshes), done.Refreshes, "every renewal the page counts reached VOD")
		assert.Empty(t, rig.emu.MultipartUploads(), "no multipart upload left open")
		assert.Positive(t, rig.emu.Counters().Requests["Options"], "OSS preflights: the page's origin is not the emulator's")
		rig.app.Close()
		assert.Contains(t, rig.logs.String(), `"method":"OPTIONS","pattern":"OPTIONS /v1/videos"`,
			"AppServer preflights: the API is on another origin than the page")
		t.Logf("browser upload: %d MiB byte-equal, %d refreshes, %s", size>>20, refreshes, time.Since(start).Round(time.Millisecond))
	})

	t.Run("expired credential and a failing refresh show the error", func(t *testing.T) {
		rig := newPageRig(t, aliOSS, emulator.Options{Faults: emulator.Faults{BandwidthBPS: 256 << 10}}, nil)
		path, _ := writeMedia(t, "late.mp4", 8<<20)
		tab := startUpload(t, browser, rig, path)
		// As soon as the ticket is out, the AppServer forgets the key its
		// refresh tokens were signed with, and OSS stops taking the
		// credential. (The AppServer's log, not the page, says when: the
		// page's script may run well behind the network.)
		require.Eventually(t, func() bool {
			return strings.Contains(rig.logs.String(), `"pattern":"POST /v1/videos","status":201`)
		}, 60*time.Second, 5*time.Millisecond, "waiting for the ticket")
		require.NoError(t, rig.server.SetRefreshKeys([][]byte{[]byte(strings.Repeat("x", MinRefreshKeyBytes))}))
		rig.emu.ExpireCredentials()

		failed := waitFor(t, tab, "error", func(s pageState) bool { return s.State == "error" })
		assert.Contains(t, failed.Result, "Upload failed: AppServer: 404 InvalidVideo.NotFound: The video does not exist.")
		assert.Empty(t, failed.ID)
		assert.Zero(t, rig.emu.Counters().Requests["CompleteMultipartUpload"])
		assert.Equal(t, "0", failed.Refreshes)
	})

	t.Run("cancel aborts the multipart upload", func(t *testing.T) {
		rig := newPageRig(t, aliOSS, emulator.Options{Faults: emulator.Faults{BandwidthBPS: 256 << 10}}, nil)
		// 16 MiB at 1 MiB/s: the page's script can run seconds behind the
		// network on a loaded machine, and the click must land before the
		// last part does.
		path, _ := writeMedia(t, "cancelled.mp4", 16<<20)
		tab := startUpload(t, browser, rig, path)
		waitForEmulator(t, rig.emu, "a part", func(c emulator.Counters) bool { return c.Requests["UploadPart"] > 0 })
		require.Len(t, rig.emu.MultipartUploads(), 1, "an upload is open before the cancel")
		// A click from script: when Evaluate returns, the page's handler
		// has run (a synthesized mouse event may wait behind its script).
		handled, err := chromedp.Run(tab, chromedp.Evaluate[bool](
			`document.getElementById('cancel').click(), document.getElementById('cancel').disabled`))
		require.NoError(t, err)
		require.True(t, handled, "the Cancel handler ran")

		st := waitFor(t, tab, "cancelled", func(s pageState) bool { return s.State == "cancelled" })
		assert.Equal(t, "Cancelled. The multipart upload was aborted.", st.Result)
		assert.Empty(t, rig.emu.MultipartUploads(), "the emulator holds no open multipart upload")
		c := rig.emu.Counters()
		assert.Equal(t, int64(1), c.Requests["AbortMultipartUpload"])
		assert.Zero(t, c.Requests["CompleteMultipartUpload"])
	})

	t.Run("cancel while a renewal is out still cancels", func(t *testing.T) {
		// The AppServer holds the page's refresh until the test has
		// clicked Cancel.
		arrived, release := make(chan struct{}), make(chan struct{})
		var arrivedOnce, releaseOnce sync.Once
		holdRefresh := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/refresh") {
					arrivedOnce.Do(func() { close(arrived) })
					<-release
				}
				next.ServeHTTP(w, r)
			})
		}
		rig := newPageRig(t, aliOSS, emulator.Options{Faults: emulator.Faults{BandwidthBPS: 256 << 10}}, holdRefresh)
		t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) }) // before the AppServer closes
		path, _ := writeMedia(t, "renewing.mp4", 16<<20)
		tab := startUpload(t, browser, rig, path)
		waitForEmulator(t, rig.emu, "a part", func(c emulator.Counters) bool { return c.Requests["UploadPart"] > 0 })
		rig.emu.ExpireCredentials() // OSS refuses the next part: the page renews
		select {
		case <-arrived:
		case <-time.After(60 * time.Second):
			t.Fatal("the page did not ask for a renewal")
		}
		handled, err := chromedp.Run(tab, chromedp.Evaluate[bool](
			`document.getElementById('cancel').click(), document.getElementById('cancel').disabled`))
		require.NoError(t, err)
		require.True(t, handled, "the Cancel handler ran")
		releaseOnce.Do(func() { close(release) })

		st := waitFor(t, tab, "cancelled", func(s pageState) bool { return s.State == "cancelled" })
		assert.Equal(t, "Cancelled. The multipart upload was aborted.", st.Result)
		assert.Empty(t, rig.emu.MultipartUploads(), "the emulator holds no open multipart upload")
		assert.Zero(t, rig.emu.Counters().Requests["CompleteMultipartUpload"])
	})
}

// waitForEmulator polls the emulator's counters until cond holds.
func waitForEmulator(t *testing.T, emu *emulator.Server, what string, cond func(emulator.Counters) bool) {
	t.Helper()
	require.Eventually(t, func() bool { return cond(emu.Counters()) }, 60*time.Second, 5*time.Millisecond, "waiting for %s", what)
}

// saveScreenshot keeps the mid-upload screenshot in the test's temp dir,
// or, with -update-screenshot, as the README's upload-page.png.
func saveScreenshot(t *testing.T, png []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "upload-page.png")
	if *updateScreenshot {
		path = "upload-page.png"
	}
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s (%d KiB)", path, len(png)>>10)
}
