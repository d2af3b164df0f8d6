//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOfflineReload: after a first visit, the service worker has the site; with the server
// gone, a reload still reaches layerlab.ready, and the workspace is still there.
func TestOfflineReload(t *testing.T) {
	url, stop, err := startServer() // its own server, to stop it
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	openPageAt(t, ctx, url)
	eval[bool](t, ctx, `
		await navigator.serviceWorker.ready;
		if (!navigator.serviceWorker.controller) {
			await new Promise(r => navigator.serviceWorker.addEventListener("controllerchange", r, {once: true}));
		}
		await layerlab.writeFile("offline.txt", "still here");
		return true;`)

	stop()
	if _, err := http.Get(url); err == nil {
		t.Fatalf("the server still answers after stop")
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reloading offline: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](waitCore, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("await layerlab.ready offline: %v", err)
	}
	if got := eval[string](t, ctx, `return new TextDecoder().decode(await layerlab.readFile("offline.txt"))`); got != "still here" {
		t.Errorf("offline.txt offline = %q; want %q", got, "still here")
	}
	if r := eval[execResult](t, ctx, `return await layerlab.exec("docker images")`); r.ExitCode != 0 {
		t.Errorf("docker images offline = %+v; want exit 0", r)
	}
	waitTerminal(t, ctx, "the terminal's prompt offline", promptCount(1))
}
