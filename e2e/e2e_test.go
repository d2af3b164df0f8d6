//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/layerlab/layerlab/internal/browser"
)

// serverURL is the URL of the layerlab serve that TestMain started.
var serverURL string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	url, stop, err := startServer()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer stop()
	serverURL = url
	return m.Run()
}

// startServer builds cmd/layerlab (embedding whatever make build put in its site/) and
// starts `layerlab serve` on a port the kernel picks, with extra flags (e.g. --mirror),
// reading the URL it prints.
func startServer(extra ...string) (url string, stop func(), err error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return "", nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "cmd/layerlab/site/index.html")); err != nil {
		return "", nil, fmt.Errorf("the site is not built (cmd/layerlab/site/index.html missing): run make build first (make test does)")
	}
	tmp, err := os.MkdirTemp("", "layerlab-e2e-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(tmp, "layerlab")
	build := exec.Command("go", "build", "-o", bin, "./cmd/layerlab")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("building layerlab: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, extra...)...)
	cmd.Env = append(os.Environ(), "LAYERLAB_HOME="+filepath.Join(tmp, "store"))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(tmp)
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("starting layerlab serve: %w", err)
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(tmp)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		m := regexp.MustCompile(`http://\S+`).FindString(line)
		if m == "" {
			stop()
			return "", nil, fmt.Errorf("layerlab serve printed %q; want a line with its URL", line)
		}
		return m, stop, nil
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, fmt.Errorf("layerlab serve printed no URL within 30s")
	}
}

// newBrowser starts headless Chromium for one test. It fails the test when Chromium is not
// installed: a browser test that cannot find its browser must not pass silently.
func newBrowser(t *testing.T, opts ...browser.Option) context.Context {
	t.Helper()
	ctx, stop, err := browser.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return ctx
}

func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	// The viewport, as the learner sees it at that size: a full-page capture would first
	// resize the viewport to the page's height, and the terminal would be caught re-fitting.
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("taking a screenshot: %v", err)
		return
	}
	if err := os.MkdirAll("artifacts", 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("artifacts", name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: e2e/%s", p)
}

type execResult struct {
	ExitCode int    `json:"exitCode"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
}

// waitCore is the script that waits for the page to install globalThis.layerlab and for its
// store to open.
const waitCore = browser.WaitReady

func TestPageRunsDockerImages(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	exceptions := make(chan string, 16)
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.IsException() {
				exceptions <- m.String()
			}
		}
	}()

	if err := chromedp.Do(ctx, chromedp.Navigate(serverURL)); err != nil {
		t.Fatalf("opening %s: %v", serverURL, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](waitCore, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("await layerlab.ready: %v", err)
	}

	const header = "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"
	tests := []struct {
		name, line string
		want       execResult
	}{
		{"images", "docker images", execResult{0, header, ""}},
		{"unknown", "vim", execResult{127, "", "vim: the playground does not have this command; run help to see the ones it has\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chromedp.Run(ctx, chromedp.Evaluate[execResult](
				fmt.Sprintf("layerlab.exec(%q)", tc.line), chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("layerlab.exec(%q): %v", tc.line, err)
			}
			if got.ExitCode != tc.want.ExitCode {
				t.Errorf("exitCode = %d; want %d", got.ExitCode, tc.want.ExitCode)
			}
			if got.Stdout != tc.want.Stdout {
				t.Errorf("stdout = %q; want %q", got.Stdout, tc.want.Stdout)
			}
			if got.Stderr != tc.want.Stderr {
				t.Errorf("stderr = %q; want %q", got.Stderr, tc.want.Stderr)
			}
		})
	}

	// The page shows the terminal, ready for a command.
	waitTerminal(t, ctx, "the prompt", promptCount(1))
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
	if err != nil || status != "Ready." {
		t.Errorf("status line = %q (%v); want %q", status, err, "Ready.")
	}
	// The browser fetched the wasm compressed: fewer bytes came over the wire than it holds.
	type transfer struct {
		Name             string
		Encoded, Decoded int
	}
	wasm, err := chromedp.Run(ctx, chromedp.Evaluate[[]transfer](`performance.getEntriesByType("resource")
		.filter(e => e.name.endsWith(".wasm"))
		.map(e => ({Name: e.name, Encoded: e.encodedBodySize, Decoded: e.decodedBodySize}))`))
	if err != nil {
		t.Fatalf("reading resource timings: %v", err)
	}
	if len(wasm) != 1 || wasm[0].Encoded <= 0 || wasm[0].Encoded*3 > wasm[0].Decoded {
		t.Errorf("wasm transfers %+v; want one, compressed to under a third of its size", wasm)
	}
	t.Logf("wasm transfer: %+v", wasm)
	saveScreenshot(t, ctx, "playground.png")

	select {
	case e := <-exceptions:
		t.Errorf("the page threw: %s", e)
	default:
	}
}

// TestServedHeaders checks what the browser is sent: the wasm precompressed with the right
// type (instantiateStreaming refuses anything but application/wasm), hashed assets cached
// for good, the page revalidated.
func TestServedHeaders(t *testing.T) {
	plain := fetch(t, serverURL, "")
	if plain.header.Get("Cache-Control") != "no-cache" || plain.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("index: Cache-Control %q Content-Type %q; want no-cache, text/html; charset=utf-8",
			plain.header.Get("Cache-Control"), plain.header.Get("Content-Type"))
	}
	m := regexp.MustCompile(`src="(/main-[0-9A-Z]+\.js)"`).FindStringSubmatch(plain.body)
	if m == nil {
		t.Fatalf("index.html names no hashed bundle: %q", plain.body)
	}
	js := fetch(t, serverURL+strings.TrimPrefix(m[1], "/"), "")
	w := regexp.MustCompile(`/layerlab-[0-9A-F]+\.wasm`).FindString(js.body)
	if w == "" {
		t.Fatalf("the bundle %s names no hashed wasm", m[1])
	}
	tests := []struct {
		name, path, acceptEncoding, wantType, wantEncoding, wantCache string
	}{
		{"wasm br", w, "gzip, deflate, br, zstd", "application/wasm", "br", "public, max-age=31536000, immutable"},
		{"wasm gzip", w, "gzip", "application/wasm", "gzip", "public, max-age=31536000, immutable"},
		{"wasm identity", w, "", "application/wasm", "", "public, max-age=31536000, immutable"},
		{"bundle", m[1], "br", "text/javascript; charset=utf-8", "br", "public, max-age=31536000, immutable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fetch(t, serverURL+strings.TrimPrefix(tc.path, "/"), tc.acceptEncoding)
			for _, c := range []struct{ h, want string }{
				{"Content-Type", tc.wantType}, {"Content-Encoding", tc.wantEncoding},
				{"Cache-Control", tc.wantCache}, {"Vary", "Accept-Encoding"},
			} {
				if got := r.header.Get(c.h); got != c.want {
					t.Errorf("%s = %q; want %q", c.h, got, c.want)
				}
			}
			if got, want := r.header.Get("Content-Length"), strconv.Itoa(len(r.body)); got != want {
				t.Errorf("Content-Length = %q; want %q", got, want)
			}
		})
	}
}

type response struct {
	header http.Header
	body   string
}

func fetch(t *testing.T, url, acceptEncoding string) response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Set explicitly (even empty) so Go's transport neither adds gzip nor decodes for us.
	req.Header.Set("Accept-Encoding", acceptEncoding)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return response{resp.Header, string(b)}
}
