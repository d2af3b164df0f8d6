//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestWorkerAPI drives the page's layerlab, the main-thread proxy of the core running in a
// Web Worker: the documented API (docs/api.md) behaves as the wasm's own does.
func TestWorkerAPI(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	openPage(t, ctx)

	if onPage := eval[bool](t, ctx, `return typeof Go !== "undefined"`); onPage {
		t.Errorf("Go's loader is on the page; want the core only in the worker")
	}

	type streamed struct {
		Chunks []string
		Result execResult
	}
	got := eval[streamed](t, ctx, `
		const chunks = [];
		const result = await layerlab.exec("docker images", {onOutput: (c, s) => chunks.push(s + ":" + c)});
		return {Chunks: chunks, Result: result};`)
	if want := "stdout:" + got.Result.Stdout; len(got.Chunks) == 0 || fmt.Sprint(got.Chunks) != fmt.Sprint([]string{want}) {
		t.Errorf("onOutput chunks = %q; want [%q]", got.Chunks, want)
	}

	type aborted struct {
		Code int
		Ms   float64
	}
	ab := eval[aborted](t, ctx, `
		const ac = new AbortController();
		const t0 = performance.now();
		setTimeout(() => ac.abort(), 100);
		const r = await layerlab.exec("sleep 30", {signal: ac.signal});
		return {Code: r.exitCode, Ms: performance.now() - t0};`)
	if ab.Code != 130 || ab.Ms > 5000 {
		t.Errorf("aborted sleep 30: exit %d after %.0f ms; want 130 within 5 s", ab.Code, ab.Ms)
	}

	rejections := []struct{ expr, want string }{
		{`layerlab.exec(42)`, "layerlab.exec: the command line must be a string"},
		{`layerlab.exec("docker images", {onOutput: "x"})`, "layerlab.exec: opts.onOutput must be a function"},
		{`layerlab.exec("docker images", {signal: true})`, "layerlab.exec: opts.signal must be an AbortSignal"},
		{`layerlab.exec("docker images", "tty")`, "layerlab.exec: the options must be an object"},
		{`layerlab.readFile("nope")`, "open nope: file does not exist"},
		{`layerlab.writeFile("x", () => 1)`, "layerlab.writeFile: "},
		{`layerlab.on("bogus", () => {})`, `layerlab.on: unknown event "bogus" (known: images, files)`},
		{`layerlab.on("files")`, "layerlab.on: want an event name and a handler function"},
	}
	for _, r := range rejections {
		msg := eval[string](t, ctx, `try { await `+r.expr+`; return "resolved"; } catch (e) { return e.message; }`)
		if len(msg) < len(r.want) || msg[:len(r.want)] != r.want {
			t.Errorf("%s rejected with %q; want %q", r.expr, msg, r.want)
		}
	}

	// Events reach page handlers; off stops them.
	n := eval[int](t, ctx, `
		let n = 0;
		const off = await layerlab.on("files", () => n++);
		await layerlab.writeFile("e1.txt", "1");
		await new Promise(r => setTimeout(r, 200));
		await off();
		await layerlab.writeFile("e2.txt", "2");
		await new Promise(r => setTimeout(r, 200));
		return n;`)
	if n != 1 {
		t.Errorf("files events seen = %d; want 1 (one before off, none after)", n)
	}

	// Large work happens in the worker: writing 32 MB leaves the page's main thread free.
	longest := eval[float64](t, ctx, `
		const big = new Uint8Array(32 << 20);
		for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
		let longest = 0;
		const obs = new PerformanceObserver(l => { for (const e of l.getEntries()) longest = Math.max(longest, e.duration); });
		obs.observe({type: "longtask"});
		await layerlab.writeFile("big.bin", big);
		const back = await layerlab.readFile("big.bin");
		if (back.length !== big.length) throw new Error("read back " + back.length + " bytes");
		await new Promise(r => setTimeout(r, 50));
		obs.disconnect();
		return longest;`)
	// The observer does see long tasks here: a 300 ms busy loop on the page is one.
	longTasksSeen(t, ctx, "the worker")
	t.Logf("longest main-thread task while writing and reading 32 MB: %.0f ms", longest)
	if longest > 200 {
		t.Errorf("a main-thread task took %.0f ms while the worker wrote 32 MB; want none over 200 ms", longest)
	}
}
