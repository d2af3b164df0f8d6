//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/layerlab/layerlab/internal/bigimage"
)

// bigTar serves, from a server of its own with CORS headers, a ~100 MB docker save tar of
// incompressible layers (bigimage), made once per test binary; the page fetches it into the
// workspace.
var bigTar struct {
	once sync.Once
	url  string
	size int64
	err  error
}

const bigTarRef = "big:latest"

func bigTarURL(t *testing.T) string {
	t.Helper()
	bigTar.once.Do(func() {
		dir, err := os.MkdirTemp("", "layerlab-e2e-tar-")
		if err != nil {
			bigTar.err = err
			return
		}
		p := filepath.Join(dir, "big.tar")
		if bigTar.size, bigTar.err = bigimage.WriteFile(p, bigTarRef, 100<<20, 5); bigTar.err != nil {
			return
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			http.ServeFile(w, r, p)
		}))
		bigTar.url = srv.URL + "/big.tar"
	})
	if bigTar.err != nil {
		t.Fatalf("making the 100 MB image tar: %v", bigTar.err)
	}
	return bigTar.url
}

// putBigTar fetches the big tar into the page's workspace as name.
func putBigTar(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	url := bigTarURL(t)
	n := eval[int](t, ctx, `
		const r = await fetch(`+jsString(url)+`);
		if (!r.ok) throw new Error("fetching the tar: " + r.status);
		const b = new Uint8Array(await r.arrayBuffer());
		await layerlab.writeFile(`+jsString(name)+`, b);
		return b.length;`)
	if int64(n) != bigTar.size {
		t.Fatalf("the page wrote %d bytes of the tar; want %d", n, bigTar.size)
	}
}

// imageIDs lists docker images -q in the page.
func imageIDs(t *testing.T, ctx context.Context) string {
	t.Helper()
	r := eval[execResult](t, ctx, `return await layerlab.exec("docker images --format '{{.Repository}}:{{.Tag}}'")`)
	if r.ExitCode != 0 {
		t.Fatalf("docker images = %+v", r)
	}
	return r.Stdout
}

// TestCancelLoad: Ctrl-C typed into the real terminal, and an AbortSignal given to
// layerlab.exec, stop a docker load of 100 MB as Ctrl-C stops docker's CLI: the terminal shows
// ^C and the prompt, the Promise resolves with 130, and no image appears, then or later.
func TestCancelLoad(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	openPage(t, ctx)
	putBigTar(t, ctx, "big.tar")
	waitTerminal(t, ctx, "the first prompt", promptCount(1))

	typeInTerminal(t, ctx, "docker load -i big.tar"+kb.Enter)
	time.Sleep(500 * time.Millisecond) // well inside a load of 100 MB
	typeInTerminal(t, ctx, "c", chromedp.KeyModifiers(chromedp.ModifierCtrl))
	shown := waitTerminal(t, ctx, "the prompt after Ctrl-C", promptCount(2))
	if want := "layerlab:/workspace$ docker load -i big.tar\n^C\nlayerlab:/workspace$ "; !strings.HasSuffix(shown, want) {
		t.Errorf("the terminal shows\n%s\nwant it to end with\n%s", shown, want)
	}

	type aborted struct {
		Code   int
		Stdout string
		Stderr string
	}
	ab := eval[aborted](t, ctx, `
		const ac = new AbortController();
		setTimeout(() => ac.abort(), 500);
		const r = await layerlab.exec("docker load -i big.tar", {signal: ac.signal});
		return {Code: r.exitCode, Stdout: r.stdout, Stderr: r.stderr};`)
	if ab != (aborted{Code: 130}) {
		t.Errorf("docker load aborted by its signal = %+v; want exit 130 and no output", ab)
	}

	// The cancelled loads stored no image: not at once, and not once the work they had
	// started has had time to finish (a full load, which then shows the image, takes less).
	if got := imageIDs(t, ctx); got != "" {
		t.Errorf("docker images right after the cancelled loads lists %q; want nothing", got)
	}
	r := eval[execResult](t, ctx, `return await layerlab.exec("docker load -i big.tar")`)
	if want := "Loaded image: " + bigTarRef + "\n"; r.ExitCode != 0 || r.Stdout != want {
		t.Fatalf("a full docker load = %+v; want exit 0 and %q", r, want)
	}
	eval[execResult](t, ctx, `return await layerlab.exec("docker rmi `+bigTarRef+`")`)
	time.Sleep(5 * time.Second)
	if got := imageIDs(t, ctx); got != "" {
		t.Errorf("docker images after the cancelled loads had time to finish lists %q; want nothing", got)
	}
}

// TestBigLoadKeepsPageResponsive: during a docker load of 100 MB typed into the terminal, the
// page's main thread has no task over 200 ms (a PerformanceObserver for long tasks, buffered
// from the start), and keys typed meanwhile echo at once, as a terminal echoes type-ahead.
func TestBigLoadKeepsPageResponsive(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	openPage(t, ctx)
	putBigTar(t, ctx, "big.tar")
	waitTerminal(t, ctx, "the first prompt", promptCount(1))
	// The observer must see long tasks at all: a 300 ms busy loop is one.
	longTasksSeen(t, ctx, "the load")
	eval[bool](t, ctx, `
		window.longTasks = [];
		window.loadObserver = new PerformanceObserver(l => { for (const e of l.getEntries()) longTasks.push({start: e.startTime, ms: e.duration}); });
		loadObserver.observe({type: "longtask", buffered: true});
		window.loadStart = performance.now();
		layerlabPage.shell.onCommandDone = () => { window.loadEnd ??= performance.now(); };
		return true;`)

	typeInTerminal(t, ctx, "docker load -i big.tar"+kb.Enter)
	time.Sleep(300 * time.Millisecond)
	typeInTerminal(t, ctx, "docker images")
	// The keys echo while the load still runs: the prompt has not come back yet.
	waitTerminal(t, ctx, "the keys typed during the load", `s.endsWith("docker load -i big.tar\ndocker images")`)
	shown := waitTerminalFor(t, ctx, 2*time.Minute, "the end of the load", promptCount(2))
	if want := "layerlab:/workspace$ docker load -i big.tar\ndocker imagesLoaded image: " + bigTarRef + "\nlayerlab:/workspace$ docker images"; !strings.HasSuffix(shown, want) {
		t.Errorf("the terminal shows\n%s\nwant it to end with\n%s", shown, want)
	}
	// The tasks that began while the load ran: from Enter to the command's end.
	type task struct{ Start, Ms float64 }
	tasks := eval[[]task](t, ctx, `
		await new Promise(r => setTimeout(r, 50));
		loadObserver.disconnect();
		return longTasks.filter(x => x.start >= loadStart && x.start < loadEnd).map(x => ({Start: x.start - loadStart, Ms: x.ms}));`)
	loadMs := eval[float64](t, ctx, `return loadEnd - loadStart`)
	longest := 0.0
	for _, x := range tasks {
		longest = max(longest, x.Ms)
	}
	t.Logf("long tasks on the main thread during the 100 MB load (%.1f s): %d, longest %.0f ms", loadMs/1000, len(tasks), longest)
	if longest > 200 {
		t.Errorf("main-thread tasks during the load: %s; want none over 200 ms", fmt.Sprint(tasks))
	}
	typeInTerminal(t, ctx, kb.Enter)
	shown = waitTerminal(t, ctx, "docker images after the load", promptCount(3))
	if !strings.Contains(shown, "\nbig          latest") {
		t.Errorf("the terminal shows\n%s\nwant docker images to list big:latest", shown)
	}
}

// longTasksSeen checks that a PerformanceObserver for long tasks sees them at all in this
// page (a 300 ms busy loop is one), before a test judges what (the load, the worker) by it.
func longTasksSeen(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	busy := eval[float64](t, ctx, `
		let longest = 0;
		const obs = new PerformanceObserver(l => { for (const e of l.getEntries()) longest = Math.max(longest, e.duration); });
		obs.observe({type: "longtask"});
		await new Promise(r => setTimeout(r, 0));
		const t0 = performance.now(); while (performance.now() - t0 < 300) {}
		await new Promise(r => setTimeout(r, 50));
		obs.disconnect();
		return longest;`)
	if busy < 250 {
		t.Fatalf("the long-task observer saw %.0f ms for a 300 ms busy loop: it cannot judge %s", busy, what)
	}
}
