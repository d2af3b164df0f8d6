package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/layerlab/layerlab/internal/browser"
)

// Issue 3's targets for the page in headless Chromium on localhost.
const (
	readyColdTarget = 1500 * time.Millisecond
	readyWarmTarget = 500 * time.Millisecond
	loadRatioTarget = 0.5 // browser load throughput over native
)

// The browser's figures: the page in headless Chromium against `layerlab serve` on a free port.
// Page load to `await layerlab.ready` cold (a fresh profile: no service worker, no HTTP cache)
// and warm (the service worker and the caches filled by a first visit); docker load of the
// ~50 MB, 5-layer tar in the page (wasm in a Web Worker, IndexedDB) beside `layerlab load`;
// docker history / docker images through layerlab.exec beside the native CLI.
func init() {
	register(section{name: "browser", order: 40, run: benchBrowser})
}

// readyHook runs before the page's scripts and notes when layerlab.ready resolves, in ms since
// the navigation started (performance.now()), so the figure does not depend on how often the
// bench polls.
const readyHook = `(() => {
	let v;
	Object.defineProperty(globalThis, "layerlab", {configurable: true, enumerable: true,
		get() { return v; },
		set(x) {
			v = x;
			Promise.resolve(x && x.ready).then(() => { globalThis.__benchReadyAt = performance.now(); }, () => {});
		}});
})()`

func benchBrowser(b *bench) ([]row, error) {
	url, stop, err := startServe(b)
	if err != nil {
		return nil, err
	}
	defer stop()
	log.Printf("browser: layerlab serve at %s", url)

	var rows []row
	cold := median(*runs, func() (time.Duration, error) {
		ctx, stop, err := browser.Start()
		if err != nil {
			return 0, err
		}
		defer stop()
		return timeReady(ctx, url)
	})
	rows = append(rows, row{what: "page load to layerlab.ready, cold", ours: "headless Chromium", oursT: cold,
		note: verdict("target at most", cold, readyColdTarget) + " (fresh profile: no service worker, no HTTP cache)"})

	warm, err := func() (time.Duration, error) {
		ctx, stop, err := browser.Start()
		if err != nil {
			return 0, err
		}
		defer stop()
		if _, err := timeReady(ctx, url); err != nil {
			return 0, err
		}
		if _, err := browser.Eval[bool](ctx, `
			await navigator.serviceWorker.ready;
			if (!navigator.serviceWorker.controller) {
				await new Promise(r => navigator.serviceWorker.addEventListener("controllerchange", r, {once: true}));
			}
			return true;`); err != nil {
			return 0, fmt.Errorf("waiting for the service worker: %w", err)
		}
		return median(*runs, func() (time.Duration, error) { return timeReady(ctx, url) }), nil
	}()
	if err != nil {
		return nil, err
	}
	rows = append(rows, row{what: "page load to layerlab.ready, warm", ours: "headless Chromium", oursT: warm,
		note: verdict("target at most", warm, readyWarmTarget) + " (service worker and caches from a first visit)"})

	// docker load of the images section's ~50 MB tar: in a fresh browser each run (so no blob is
	// already stored), timed in the page around layerlab.exec; natively into a fresh store.
	imgTar := filepath.Join(b.work, "image.tar")
	n, err := writeImage(imgTar, *sizeMB<<20)
	if err != nil {
		return nil, fmt.Errorf("making the test image: %w", err)
	}
	tarSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		http.ServeFile(w, r, imgTar)
	}))
	defer tarSrv.Close()

	var lastCtx context.Context
	var lastStop func()
	defer func() {
		if lastStop != nil {
			lastStop()
		}
	}()
	inPage := median(*runs, func() (time.Duration, error) {
		if lastStop != nil {
			lastStop()
			lastStop = nil
		}
		ctx, stop, err := browser.Start()
		if err != nil {
			return 0, err
		}
		lastCtx, lastStop = ctx, stop
		if _, err := timeReady(ctx, url); err != nil {
			return 0, err
		}
		if _, err := browser.Eval[bool](ctx, `
			const r = await fetch("`+tarSrv.URL+`/image.tar");
			if (!r.ok) throw new Error("fetching the tar: " + r.status);
			await layerlab.writeFile("image.tar", new Uint8Array(await r.arrayBuffer()));
			return true;`); err != nil {
			return 0, fmt.Errorf("putting the tar into the page's workspace: %w", err)
		}
		return execInPage(ctx, "docker load -i image.tar")
	})
	i := 0
	native := median(*runs, func() (time.Duration, error) {
		i++
		return timed(exec.Command(b.bin, "--store", filepath.Join(b.work, fmt.Sprintf("s%d", i)), "load", "-i", imgTar))
	})
	ratio := native.Seconds() / inPage.Seconds()
	loadNote := fmt.Sprintf("browser/native throughput %.2f, target at least %.2f: ", ratio, loadRatioTarget)
	if ratio >= loadRatioTarget {
		loadNote += "met"
	} else {
		loadNote += fmt.Sprintf("under by %.2f", loadRatioTarget-ratio)
	}
	rows = append(rows, row{what: fmt.Sprintf("docker load %.0f MB tar", float64(n)/1e6), ours: "in the page (wasm worker, IndexedDB)",
		peer: "layerlab load (native)", oursT: inPage, peerT: native, bytes: n, note: loadNote})

	// history / images latency, in the last load's page (its store holds bench:latest). The
	// first docker images after a load reads every layer once to work out Docker's sizes (then
	// kept as records), and the page's image panel does that as soon as the load ends: let it
	// finish first, in the page and natively, so the medians are the steady state.
	store := filepath.Join(b.work, "s1")
	for _, line := range []string{"docker images", "docker history bench:latest"} {
		if _, err := execInPage(lastCtx, line); err != nil {
			return nil, err
		}
		if _, err := timed(exec.Command(b.bin, append([]string{"--store", store}, splitWords(line)[1:]...)...)); err != nil {
			return nil, err
		}
	}
	settle, err := browser.Eval[bool](lastCtx, `
		for (let i = 0; i < 600 && !document.querySelector("#images .stack li"); i++) await new Promise(r => setTimeout(r, 100));
		return document.querySelector("#images .stack li") !== null;`)
	if err != nil || !settle {
		return nil, fmt.Errorf("the image panel never showed bench:latest's layers (%v)", err)
	}
	for _, c := range []struct{ what, line string }{
		{"docker history", "docker history bench:latest"},
		{"docker images", "docker images"},
	} {
		ours := median(*runs*4, func() (time.Duration, error) { return execInPage(lastCtx, c.line) })
		peer := median(*runs*4, func() (time.Duration, error) {
			return timed(exec.Command(b.bin, append([]string{"--store", store}, splitWords(c.line)[1:]...)...))
		})
		rows = append(rows, row{what: c.what, ours: "layerlab.exec in the page", peer: "layerlab CLI (native)", oursT: ours, peerT: peer,
			note: "page: round trip to the worker; native: a whole process"})
	}
	return rows, nil
}

// timeReady opens url in ctx's tab and returns the time from the navigation's start to
// layerlab.ready resolving, as the page measured it.
func timeReady(ctx context.Context, url string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: readyHook}); err != nil {
		return 0, fmt.Errorf("installing the ready hook: %w", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return 0, fmt.Errorf("opening %s: %w", url, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](browser.WaitReady, chromedp.EvalAwaitPromise)); err != nil {
		return 0, fmt.Errorf("await layerlab.ready: %w", err)
	}
	ms, err := chromedp.Run(ctx, chromedp.Poll[float64](`globalThis.__benchReadyAt || false`))
	if err != nil {
		return 0, fmt.Errorf("reading when layerlab.ready resolved: %w", err)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// execInPage runs line through layerlab.exec and returns how long the Promise took, as the
// page measured it; a non-zero exit is an error.
func execInPage(ctx context.Context, line string) (time.Duration, error) {
	type result struct {
		Ms     float64
		Code   int
		Stderr string
	}
	r, err := browser.Eval[result](ctx, fmt.Sprintf(`
		const t0 = performance.now();
		const r = await layerlab.exec(%q);
		return {Ms: performance.now() - t0, Code: r.exitCode, Stderr: r.stderr};`, line))
	if err != nil {
		return 0, fmt.Errorf("layerlab.exec(%q): %w", line, err)
	}
	if r.Code != 0 {
		return 0, fmt.Errorf("layerlab.exec(%q) exited %d: %s", line, r.Code, r.Stderr)
	}
	return time.Duration(r.Ms * float64(time.Millisecond)), nil
}

// verdict says how d compares with a target it should not exceed.
func verdict(prefix string, d, target time.Duration) string {
	s := fmt.Sprintf("%s %v: ", prefix, target)
	if d <= target {
		return s + "met"
	}
	return s + "over by " + round(d-target)
}

func splitWords(s string) []string {
	return regexp.MustCompile(`\S+`).FindAllString(s, -1)
}

// startServe starts `layerlab serve` on a port the kernel picks, with a private store, and
// returns the URL it prints.
func startServe(b *bench, args ...string) (string, func(), error) {
	cmd := exec.Command(b.bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "LAYERLAB_HOME="+filepath.Join(b.work, "serve-store"))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting layerlab serve: %w", err)
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
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
		if u := regexp.MustCompile(`http://\S+`).FindString(line); u != "" {
			return u, stop, nil
		}
		stop()
		return "", nil, fmt.Errorf("layerlab serve printed %q; want a line with its URL", line)
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, fmt.Errorf("layerlab serve printed no URL within 30s")
	}
}
