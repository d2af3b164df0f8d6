//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/layerlab/layerlab/internal/browser"
)

// openPage navigates ctx's tab to the playground and waits for layerlab.ready.
func openPage(t *testing.T, ctx context.Context) {
	t.Helper()
	openPageAt(t, ctx, serverURL)
}

// openPageAt opens the page at url and waits for layerlab.ready.
func openPageAt(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](waitCore, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("await layerlab.ready: %v", err)
	}
}

// eval runs an async expression in the page and decodes its result.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := browser.Eval[T](ctx, expr)
	if err != nil {
		t.Fatalf("evaluating %q: %v", expr, err)
	}
	return v
}

// TestReloadKeepsEverything: files written through the API and the image store are still
// there after the page is reloaded.
func TestReloadKeepsEverything(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	openPage(t, ctx)

	eval[bool](t, ctx, `
		await layerlab.writeFile("Dockerfile", "FROM scratch\nCOPY hi.txt /\n");
		await layerlab.writeFile("hi.txt", new Uint8Array([104, 105, 10]));
		await layerlab.writeFile("/root/.docker/config.json", '{"auths":{}}');
		return true;`)
	before := eval[execResult](t, ctx, `return await layerlab.exec("docker images")`)

	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](waitCore, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("await layerlab.ready after reload: %v", err)
	}
	type file struct{ Path, Text string }
	got := eval[[]file](t, ctx, `
		const out = [];
		for (const p of ["Dockerfile", "hi.txt", "/root/.docker/config.json"]) {
			out.push({Path: p, Text: new TextDecoder().decode(await layerlab.readFile(p))});
		}
		return out;`)
	want := []file{{"Dockerfile", "FROM scratch\nCOPY hi.txt /\n"}, {"hi.txt", "hi\n"}, {"/root/.docker/config.json", `{"auths":{}}`}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files after reload = %q; want %q", got, want)
	}
	names := eval[[]string](t, ctx, `return (await layerlab.readDir(".")).map(e => e.name)`)
	if fmt.Sprint(names) != "[Dockerfile hi.txt]" {
		t.Errorf("readDir(.) after reload = %q; want [Dockerfile hi.txt]", names)
	}
	after := eval[execResult](t, ctx, `return await layerlab.exec("docker images")`)
	if after != before || after.ExitCode != 0 {
		t.Errorf("docker images after reload = %+v; want %+v", after, before)
	}
	// The store lives in IndexedDB, in the database the page opened.
	dbs := eval[[]string](t, ctx, `return (await indexedDB.databases()).map(d => d.name)`)
	if fmt.Sprint(dbs) != "[layerlab]" {
		t.Errorf("IndexedDB databases = %q; want [layerlab]", dbs)
	}
	st := eval[map[string]any](t, ctx, `return await layerlab.storage()`)
	if u, _ := st["usage"].(float64); u <= 0 {
		t.Errorf("layerlab.storage() = %v; want a positive usage", st)
	}
}

// TestTwoTabs: two pages of the origin write at once; neither loses the other's files, and
// each hears of the other's changes.
func TestTwoTabs(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tab2, cancel2 := chromedp.NewContext(ctx)
	defer cancel2()
	openPage(t, ctx)
	openPage(t, tab2)

	eval[bool](t, tab2, `
		window.heard = [];
		await layerlab.on("files", e => { if (e.otherTab) heard.push(e.path) });
		return true;`)
	write := func(tab context.Context, prefix string) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := chromedp.Run(tab, chromedp.Evaluate[bool](fmt.Sprintf(`(async () => {
				await Promise.all(Array.from({length: 20}, (_, i) => layerlab.writeFile("%s/" + i + ".txt", "%s " + i)));
				return true;
			})()`, prefix, prefix), chromedp.EvalAwaitPromise))
			done <- err
		}()
		return done
	}
	d1, d2 := write(ctx, "one"), write(tab2, "two")
	for _, d := range []chan error{d1, d2} {
		if err := <-d; err != nil {
			t.Fatalf("writing from a tab: %v", err)
		}
	}
	for i, tab := range []context.Context{ctx, tab2} {
		got := eval[[]string](t, tab, `
			const out = [];
			for (const d of ["one", "two"]) for (const e of await layerlab.readDir(d)) {
				out.push(new TextDecoder().decode(await layerlab.readFile(d + "/" + e.name)));
			}
			return out.sort();`)
		if len(got) != 40 {
			t.Errorf("tab %d reads %d files; want 40: %q", i+1, len(got), got)
		}
	}
	heard, err := chromedp.Run(tab2, chromedp.Poll[[]string](`window.heard.length >= 20 && window.heard`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("tab 2 never heard of tab 1's 20 writes: %v", err)
	}
	for _, p := range heard {
		if !strings.HasPrefix(p, "/workspace/one/") {
			t.Errorf("tab 2 heard of %q from the other tab; want only /workspace/one/...", p)
		}
	}
}

// TestQuotaExceeded: with the origin's quota shrunk below what a write needs, the write is
// refused with a message saying how much space is used and how to free some, and what was
// stored before is still there.
func TestQuotaExceeded(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	origin := u.Scheme + "://" + u.Host
	// Before the page opens its database: the browser keeps the database's backing store
	// (and the quota it was opened with) while the origin uses it.
	quota := float64(12 << 20) // room for the service worker's copy of the site (about 4 MB)
	if _, err := chromedp.Call(ctx, storage.OverrideQuotaForOrigin, storage.OverrideQuotaForOriginParams{Origin: origin, QuotaSize: &quota}); err != nil {
		t.Fatalf("Storage.overrideQuotaForOrigin: %v", err)
	}
	openPage(t, ctx)
	eval[bool](t, ctx, `await layerlab.writeFile("kept.txt", "kept"); return true;`)
	msg := eval[string](t, ctx, `
		try {
			// Random bytes: Chromium compresses what it stores, so a pattern would fit.
			const big = new Uint8Array(16 << 20);
			for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
			await layerlab.writeFile("big.bin", big);
			return "no error";
		} catch (e) { return e.message; }`)
	t.Logf("the refused write: %s", msg)
	for _, want := range []string{"writing big.bin: the browser's storage for this site is full (", "B used", "docker image prune -a", "docker rmi"} {
		if !strings.Contains(msg, want) {
			t.Errorf("quota error %q does not contain %q", msg, want)
		}
	}
	kept := eval[string](t, ctx, `return new TextDecoder().decode(await layerlab.readFile("kept.txt"))`)
	if kept != "kept" {
		t.Errorf("kept.txt after the refused write = %q; want %q", kept, "kept")
	}
	names := eval[[]string](t, ctx, `return (await layerlab.readDir(".")).map(e => e.name)`)
	if fmt.Sprint(names) != "[kept.txt]" {
		t.Errorf("files after the refused write = %q; want [kept.txt]", names)
	}
}

// TestTabClosedMidWrite: a tab closed while it writes a large file leaves the file as it was
// (no half file); another tab reads the old content and can write it again.
func TestTabClosedMidWrite(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	writer, closeWriter := chromedp.NewContext(ctx)
	defer closeWriter()
	openPage(t, writer)
	eval[bool](t, writer, `
		await layerlab.writeFile("x.bin", "old");
		const big = new Uint8Array(96 << 20);
		for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
		window.pending = layerlab.writeFile("x.bin", big);
		await new Promise(r => setTimeout(r, 150));
		return true;`)
	closeWriter() // closes the tab, and its worker, mid-write

	openPage(t, ctx)
	got := eval[string](t, ctx, `return new TextDecoder().decode(await layerlab.readFile("x.bin"))`)
	if got != "old" {
		t.Errorf("x.bin after its writer's tab closed mid-write = %d bytes; want %q", len(got), "old")
	}
	got = eval[string](t, ctx, `
		await layerlab.writeFile("x.bin", "new");
		return new TextDecoder().decode(await layerlab.readFile("x.bin"));`)
	if got != "new" {
		t.Errorf("x.bin rewritten = %q; want %q", got, "new")
	}
}
