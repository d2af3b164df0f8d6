//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const termInput = "textarea.xterm-helper-textarea"

// typeInTerminal types keys into the real terminal element, as a learner does.
func typeInTerminal(t *testing.T, ctx context.Context, keys string, opts ...chromedp.KeyOption) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Focus(termInput), keyPresses(keys, opts...)); err != nil {
		t.Fatalf("typing %q into the terminal: %v", keys, err)
	}
}

// keyPresses types keys as Chrome delivers a real key press: a keyDown carrying the text, so
// a page that handles the keydown (xterm does) cancels the keypress. chromedp.KeyEvent sends
// the text as a separate char event as well, which xterm would take as a second key.
func keyPresses(keys string, opts ...chromedp.KeyOption) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range keys {
			evs := kb.Encode(r)
			var down, up *input.DispatchKeyEventParams
			text := ""
			for _, e := range evs {
				switch e.Type {
				case kb.KeyDown:
					down = e
				case kb.KeyUp:
					up = e
				case kb.KeyChar:
					text = e.Text
				}
			}
			for _, o := range opts {
				o(down)
				o(up)
			}
			if down.Modifiers&^int64(chromedp.ModifierShift) == 0 {
				down.Text, down.UnmodifiedText = text, text
			}
			for _, e := range []*input.DispatchKeyEventParams{down, up} {
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *e); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// waitTerminal waits until what the terminal shows (xterm's buffer, read through the page's
// test hook) satisfies the JavaScript predicate on `s`, and returns it.
func waitTerminal(t *testing.T, ctx context.Context, what, pred string) string {
	t.Helper()
	return waitTerminalFor(t, ctx, 20*time.Second, what, pred)
}

// waitTerminalFor is waitTerminal for work that may take longer than 20 s on a busy machine.
func waitTerminalFor(t *testing.T, ctx context.Context, d time.Duration, what, pred string) string {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	got, err := chromedp.Run(wctx, chromedp.Poll[string](fmt.Sprintf(
		`(() => { const s = globalThis.layerlabPage?.terminalText() ?? ""; return (%s) ? s : false; })()`, pred)))
	if err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`globalThis.layerlabPage?.terminalText() ?? ""`))
		t.Fatalf("waiting for the terminal to show %s: %v\nit shows:\n%s", what, err, shown)
	}
	return got
}

// promptCount is a predicate counting the terminal's prompts.
func promptCount(n int) string {
	return fmt.Sprintf(`(s.match(/^layerlab:\S*\$ /gm) || []).length >= %d`, n)
}

// TestTerminal types into the real terminal: docker images, a heredoc that makes a file,
// Ctrl-C during sleep, history after a reload; and the editor saves what is typed into it.
func TestTerminal(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	openPage(t, ctx)
	waitTerminal(t, ctx, "the first prompt", promptCount(1))

	typeInTerminal(t, ctx, "docker images"+kb.Enter)
	shown := waitTerminal(t, ctx, "docker images' output", promptCount(2))
	if want := "layerlab:/workspace$ docker images\nREPOSITORY   TAG       IMAGE ID   CREATED   SIZE\nlayerlab:/workspace$"; !strings.Contains(shown, want) {
		t.Errorf("the terminal shows\n%s\nwant it to hold\n%s", shown, want)
	}

	typeInTerminal(t, ctx, "cat > Dockerfile <<EOF"+kb.Enter)
	typeInTerminal(t, ctx, "FROM busybox"+kb.Enter)
	typeInTerminal(t, ctx, "EOF"+kb.Enter)
	// Keys typed while a command runs echo at once (type-ahead): wait for the prompt.
	waitTerminal(t, ctx, "the heredoc run", promptCount(3))
	typeInTerminal(t, ctx, "cat Dockerfile"+kb.Enter)
	shown = waitTerminal(t, ctx, "the heredoc's file", promptCount(4))
	if want := "layerlab:/workspace$ cat > Dockerfile <<EOF\n> FROM busybox\n> EOF\nlayerlab:/workspace$ cat Dockerfile\nFROM busybox\n"; !strings.Contains(shown, want) {
		t.Errorf("the terminal shows\n%s\nwant it to hold\n%s", shown, want)
	}
	if got := eval[string](t, ctx, `return new TextDecoder().decode(await layerlab.readFile("Dockerfile"))`); got != "FROM busybox\n" {
		t.Errorf("Dockerfile = %q; want %q", got, "FROM busybox\n")
	}

	// A command the playground does not have says so in one line.
	typeInTerminal(t, ctx, "vim Dockerfile"+kb.Enter)
	shown = waitTerminal(t, ctx, "the answer to vim", promptCount(5))
	if want := "vim: the playground does not have this command; run help to see the ones it has\n"; !strings.Contains(shown, want) {
		t.Errorf("the terminal shows\n%s\nwant it to hold %q", shown, want)
	}

	// Ctrl-C cancels a running sleep at once and gives the prompt back.
	typeInTerminal(t, ctx, "sleep 60"+kb.Enter)
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	typeInTerminal(t, ctx, "c", chromedp.KeyModifiers(chromedp.ModifierCtrl))
	shown = waitTerminal(t, ctx, "the prompt after Ctrl-C", promptCount(6))
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Ctrl-C took %v to end sleep 60", d)
	}
	if want := "layerlab:/workspace$ sleep 60\n^C\nlayerlab:/workspace$"; !strings.Contains(shown, want) {
		t.Errorf("the terminal shows\n%s\nwant it to hold\n%s", shown, want)
	}

	// The editor: open the Dockerfile from the file panel, type, and the workspace has it.
	// The Learn panel draws its first lesson once the core answers; wait for it, so its
	// drawing does not land in the middle of the typing below (the open bug in the note).
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	_, err := chromedp.Run(wctx, chromedp.Poll[bool](`document.querySelector("#lesson-panel [data-act=check]") !== null`))
	if err == nil {
		err = chromedp.Do(wctx, chromedp.Click(`#files button[data-path="/workspace/Dockerfile"]`))
	}
	if err == nil {
		_, err = chromedp.Run(wctx, chromedp.Poll[bool](`document.getElementById("editor-title").textContent.startsWith("Dockerfile")`))
	}
	if err == nil {
		err = chromedp.Do(wctx, chromedp.Click(`#editor .cm-content`), chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	}
	wcancel()
	if err != nil {
		t.Fatalf("opening the Dockerfile in the editor: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("RUN echo hi")); err != nil {
		t.Fatal(err)
	}
	const want = "FROM busybox\nRUN echo hi"
	wctx, wcancel = context.WithTimeout(ctx, 20*time.Second)
	// The reads race the editor's saves: each must resolve (in 2 s) and never fail (a read
	// racing a save used to fail with "its content was deleted or replaced while being read",
	// which stopped the poll for good). An exception would stop chromedp's poll silently, so
	// the predicate catches it and the test reports it.
	saved, err := chromedp.Run(wctx, chromedp.Poll[string](`(async () => {
		globalThis.__polls = (globalThis.__polls || 0) + 1;
		const hung = new Promise((resolve) => setTimeout(() => resolve(null), 2000));
		let b;
		try { b = await Promise.race([layerlab.readFile("Dockerfile"), hung]); }
		catch (e) { (globalThis.__readErrors = globalThis.__readErrors || []).push(String(e && e.message || e)); return false; }
		if (b === null) { globalThis.__hungReads = (globalThis.__hungReads || 0) + 1; return false; }
		const s = new TextDecoder().decode(b);
		return s.includes("RUN echo hi") ? s : false; })()`, chromedp.WithPollingInterval(100*time.Millisecond)))
	if errs, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`globalThis.__readErrors || []`)); len(errs) > 0 {
		t.Errorf("layerlab.readFile failed while the editor saved: %q", errs)
	}
	if hung, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`globalThis.__hungReads || 0`)); hung > 0 {
		t.Errorf("%d layerlab.readFile calls did not resolve within 2 s while the editor saved", hung)
	}
	wcancel()
	if err != nil || saved != want {
		// Say what the page looked like, so a failure here can be understood from the log.
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
			const a = document.activeElement;
			const read = await Promise.race([layerlab.readFile("Dockerfile").then((b) => JSON.stringify(new TextDecoder().decode(b)), (e) => "error " + e.message),
				new Promise((r) => setTimeout(() => r("no answer in 2 s"), 2000))]);
			return "polls: " + globalThis.__polls + "; hung reads: " + globalThis.__hungReads + "; read errors: " + JSON.stringify(globalThis.__readErrors) + "; visibility: " + document.visibilityState + "; has focus: " + document.hasFocus() +
				"; active element: " + (a ? a.tagName + "#" + a.id + "." + a.className : "none") +
				"; editor title: " + JSON.stringify(document.getElementById("editor-title").textContent) +
				"; editor text: " + JSON.stringify(document.querySelector("#editor .cm-content").innerText) +
				"; readFile now: " + read; })()`, chromedp.EvalAwaitPromise))
		t.Errorf("after typing in the editor, Dockerfile = %q (%v); want %q\n%s", saved, err, want, state)
	}

	// Screenshots at the two sizes the page is made for; the wide one is the README's picture.
	// Load a real docker save tar, then the image panel shows its layers.
	tarB64 := base64.StdEncoding.EncodeToString(mustRead(t, filepath.Join("..", "testdata", "golden", "images", "all.tar")))
	eval[bool](t, ctx, `
		const bin = atob("`+tarB64+`");
		const b = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
		await layerlab.writeFile("all.tar", b);
		return true;`)
	typeInTerminal(t, ctx, "docker load -i all.tar"+kb.Enter)
	waitTerminal(t, ctx, "docker load", promptCount(7))
	typeInTerminal(t, ctx, "docker images"+kb.Enter)
	shown = waitTerminal(t, ctx, "docker images after the load", promptCount(8))
	if !strings.Contains(shown, "layerlab/app") {
		t.Errorf("the terminal shows\n%s\nwant docker images to list layerlab/app", shown)
	}

	// Tab completes commands and image names.
	typeInTerminal(t, ctx, "dock\t")
	waitTerminal(t, ctx, "docker completed", `/\$ docker $/.test(s)`)
	typeInTerminal(t, ctx, "history layerlab/lo\t")
	waitTerminal(t, ctx, "the image name completed", `/\$ docker history layerlab\/longrun:latest $/.test(s)`)
	typeInTerminal(t, ctx, kb.Enter)
	shown = waitTerminal(t, ctx, "docker history's output", promptCount(9))
	if !strings.Contains(shown, "IMAGE          CREATED") {
		t.Errorf("the terminal shows\n%s\nwant docker history's table", shown)
	}

	wctx, wcancel = context.WithTimeout(ctx, 20*time.Second)
	_, err = chromedp.Run(wctx, chromedp.Poll[bool](`document.querySelectorAll("#images .stack li.shared").length > 0`))
	wcancel()
	if err != nil {
		t.Errorf("the image panel shows no stack of layers with shared ones marked: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, "page-1280x800.png")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, "page-390x844.png")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click("#theme"), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, "page-1280x800-other-theme.png")
	if b, err := os.ReadFile(filepath.Join("artifacts", "page-1280x800.png")); err == nil {
		os.WriteFile(filepath.Join("..", "docs", "page.png"), b, 0o644)
	}

	// Upload through the file panel's file input: the file lands in the workspace.
	up := filepath.Join(t.TempDir(), "hello.txt")
	if err := os.WriteFile(up, []byte("uploaded\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(`#files input[name=files]`, []string{up})); err != nil {
		t.Fatalf("uploading: %v", err)
	}
	wctx, wcancel = context.WithTimeout(ctx, 20*time.Second)
	_, err = chromedp.Run(wctx, chromedp.Poll[bool](`(async () => {
		try { return new TextDecoder().decode(await layerlab.readFile("hello.txt")) === "uploaded\n"; } catch { return false; } })()`))
	wcancel()
	if err != nil {
		t.Errorf("hello.txt never arrived in the workspace after the upload: %v", err)
	}

	// History survives a reload: Up brings back the last line.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx)
	waitTerminal(t, ctx, "the prompt after the reload", promptCount(1))
	typeInTerminal(t, ctx, kb.ArrowUp)
	waitTerminal(t, ctx, "docker history from the history", `/layerlab:\/workspace\$ docker history layerlab\/longrun:latest $/.test(s)`)
	typeInTerminal(t, ctx, kb.ArrowUp)
	waitTerminal(t, ctx, "docker images from the history", `/layerlab:\/workspace\$ docker images$/.test(s)`)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
