//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// answerDialogs makes the page's prompt() return the answers in order and confirm() say yes,
// as a learner typing into the dialogs would.
func answerDialogs(t *testing.T, ctx context.Context, answers ...string) {
	t.Helper()
	eval[bool](t, ctx, `
		const answers = `+string(must(json.Marshal(answers)))+`;
		window.prompt = () => answers.shift() ?? null;
		window.confirm = () => true;
		return true;`)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// clickFile clicks a button of the file panel (an action, or a file in the tree).
func clickFile(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.Click(`#files `+sel)); err != nil {
		t.Fatalf("clicking %s in the file panel: %v", sel, err)
	}
}

// waitFiles waits until the JavaScript predicate holds; `tree` is the paths the file panel
// shows and `ws` those the workspace holds under /workspace (walked through readDir).
func waitFiles(t *testing.T, ctx context.Context, what, pred string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err := chromedp.Run(wctx, chromedp.Poll[bool](`(async () => {
		const tree = [...document.querySelectorAll("#files .tree button[data-path]")].map(b => b.dataset.path);
		const ws = [];
		const walk = async (d) => { for (const e of await layerlab.readDir(d)) { ws.push(e.path + (e.dir ? "/" : "")); if (e.dir) await walk(e.path); } };
		await walk("/workspace");
		return Boolean(`+pred+`);
	})()`, chromedp.WithPollingInterval(100*time.Millisecond)))
	if err != nil {
		state := eval[string](t, ctx, `
			const tree = [...document.querySelectorAll("#files .tree button[data-path]")].map(b => b.dataset.path);
			const ws = [];
			const walk = async (d) => { for (const e of await layerlab.readDir(d)) { ws.push(e.path + (e.dir ? "/" : "")); if (e.dir) await walk(e.path); } };
			await walk("/workspace");
			return "tree: " + tree.join(" ") + "\nworkspace: " + ws.join(" ") + "\nstatus: " + document.getElementById("status").textContent;`)
		t.Fatalf("waiting for %s: %v\n%s", what, err, state)
	}
}

func readText(t *testing.T, ctx context.Context, path string) string {
	t.Helper()
	return eval[string](t, ctx, `return new TextDecoder().decode(await layerlab.readFile(`+jsString(path)+`))`)
}

// TestFilePanel works the file panel as a learner does: New file, New folder, Rename, Delete,
// dropping files and a whole folder from the desktop, downloading a file and the tar that
// docker save -o wrote; each checked in the panel and in the workspace (layerlab.readDir).
func TestFilePanel(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	openPage(t, ctx)
	waitFiles(t, ctx, "the empty workspace", `ws.length === 0 && document.querySelector("#files .tree .empty")`)

	// New file opens it in the editor; New folder; a new file inside the selected folder.
	answerDialogs(t, ctx, "notes.txt", "app", "main.go")
	clickFile(t, ctx, "[data-act=new-file]")
	waitFiles(t, ctx, "notes.txt", `tree.includes("/workspace/notes.txt") && ws.includes("/workspace/notes.txt")`)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("editor-title").textContent.startsWith("notes.txt")`)); err != nil {
		t.Errorf("the new file is not open in the editor: %v", err)
	}
	clickFile(t, ctx, "[data-act=new-folder]")
	waitFiles(t, ctx, "the folder app", `tree.includes("/workspace/app") && ws.includes("/workspace/app/")`)
	clickFile(t, ctx, "[data-act=new-file]")
	waitFiles(t, ctx, "app/main.go", `tree.includes("/workspace/app/main.go") && ws.includes("/workspace/app/main.go")`)
	if got := readText(t, ctx, "app/main.go"); got != "" {
		t.Errorf("a new file holds %q; want it empty", got)
	}

	// Rename and delete the selected file; delete a folder with what is in it.
	eval[bool](t, ctx, `await layerlab.writeFile("notes.txt", "keep me\n"); return true;`)
	answerDialogs(t, ctx, "todo.txt")
	clickFile(t, ctx, `button[data-path="/workspace/notes.txt"]`)
	clickFile(t, ctx, "[data-act=rename]")
	waitFiles(t, ctx, "notes.txt renamed", `tree.includes("/workspace/todo.txt") && !tree.includes("/workspace/notes.txt") && ws.includes("/workspace/todo.txt") && !ws.includes("/workspace/notes.txt")`)
	if got := readText(t, ctx, "todo.txt"); got != "keep me\n" {
		t.Errorf("todo.txt after the rename = %q; want %q", got, "keep me\n")
	}
	// The file was open in the editor: it stays open under its new name, and typing saves there.
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()
	if _, err := chromedp.Run(rctx, chromedp.Poll[bool](`document.getElementById("editor-title").textContent.startsWith("todo.txt") &&
		layerlabPage.editor.view.state.doc.toString() === "keep me\n"`)); err != nil {
		title, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("editor-title").textContent + " | " + layerlabPage.editor.view.state.doc.toString()`))
		t.Errorf("after renaming the open file the editor shows %q; want todo.txt with its text (%v)", title, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#editor .cm-content`), chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl)), keyPresses("more")); err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
	defer scancel()
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](`(async () => new TextDecoder().decode(await layerlab.readFile("todo.txt")) === "keep me\nmore")()`)); err != nil {
		t.Errorf("typing after the rename did not reach todo.txt (it holds %q): %v", readText(t, ctx, "todo.txt"), err)
	}
	if ws := eval[string](t, ctx, `return (await layerlab.readDir("/workspace")).map(e => e.name).join(",");`); strings.Contains(ws, "notes.txt") {
		t.Errorf("typing after the rename made the old file again: the workspace holds %s", ws)
	}
	answerDialogs(t, ctx)
	clickFile(t, ctx, `button[data-path="/workspace/app"]`)
	clickFile(t, ctx, "[data-act=delete]")
	waitFiles(t, ctx, "app deleted", `!tree.some(p => p.startsWith("/workspace/app")) && !ws.some(p => p.startsWith("/workspace/app"))`)

	// Drop two files and a folder (with a subfolder) from the desktop onto the panel: Chromium
	// gets them as a real drag (Input.dispatchDragEvent), so the page walks real entries.
	desk := t.TempDir()
	for name, text := range map[string]string{
		"a.txt": "A\n", "b.txt": "B\n",
		"site/index.html": "<h1>hi</h1>\n", "site/css/main.css": "h1 {}\n",
	} {
		p := filepath.Join(desk, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(desk, "site", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Drop into the workspace root: select nothing (a click on the tree's blank area).
	eval[bool](t, ctx, `layerlabPage.files.select(null); return true;`)
	dropFiles(t, ctx, filepath.Join(desk, "a.txt"), filepath.Join(desk, "b.txt"), filepath.Join(desk, "site"))
	waitFiles(t, ctx, "the dropped files and folder", `["a.txt", "b.txt", "site/", "site/index.html", "site/css/", "site/css/main.css", "site/empty/"].every(p => ws.includes("/workspace/" + p)) && tree.includes("/workspace/site/css/main.css")`)
	for name, want := range map[string]string{"a.txt": "A\n", "site/css/main.css": "h1 {}\n", "site/index.html": "<h1>hi</h1>\n"} {
		if got := readText(t, ctx, name); got != want {
			t.Errorf("%s after the drop = %q; want %q", name, got, want)
		}
	}

	// Download: a file, and the tar docker save -o wrote.
	dl := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dl, EventsEnabled: new(true)}); err != nil {
		t.Fatal(err)
	}
	clickFile(t, ctx, `button[data-path="/workspace/todo.txt"]`)
	if got := download(t, ctx, dl, "todo.txt"); string(got) != "keep me\nmore" {
		t.Errorf("downloaded todo.txt = %q; want %q", got, "keep me\nmore")
	}

	b64 := base64.StdEncoding.EncodeToString(mustRead(t, filepath.Join("..", "testdata", "golden", "images", "base.tar")))
	eval[bool](t, ctx, `
		const bin = atob("`+b64+`");
		const b = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
		await layerlab.writeFile("base.tar", b);
		return true;`)
	for _, line := range []string{"docker load -i base.tar", "docker save -o saved.tar layerlab/base"} {
		if r := eval[execResult](t, ctx, `return await layerlab.exec(`+jsString(line)+`)`); r.ExitCode != 0 {
			t.Fatalf("%s = %+v", line, r)
		}
	}
	waitFiles(t, ctx, "saved.tar in the panel", `tree.includes("/workspace/saved.tar")`)
	clickFile(t, ctx, `button[data-path="/workspace/saved.tar"]`)
	got := download(t, ctx, dl, "saved.tar")
	inPage := eval[string](t, ctx, `
		const d = await crypto.subtle.digest("SHA-256", await layerlab.readFile("saved.tar"));
		return [...new Uint8Array(d)].map(x => x.toString(16).padStart(2, "0")).join("");`)
	sum := sha256.Sum256(got)
	if hex.EncodeToString(sum[:]) != inPage || len(got) < 1024 || !bytes.Contains(got, []byte("manifest.json")) {
		t.Errorf("downloaded saved.tar: %d bytes, sha256 %x; want the workspace's saved.tar (sha256 %s), a docker save tar", len(got), sum, inPage)
	}
}

// dropFiles drags paths (files or folders) from outside the page and drops them on the
// file panel's tree, as Chromium delivers a drop from the desktop.
func dropFiles(t *testing.T, ctx context.Context, paths ...string) {
	t.Helper()
	type point struct{ X, Y float64 }
	p := eval[point](t, ctx, `const r = document.querySelector("#files .tree").getBoundingClientRect(); return {X: r.x + r.width / 2, Y: r.y + r.height / 2};`)
	data := &input.DragData{Items: []*input.DragDataItem{}, Files: paths, DragOperationsMask: 1}
	for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver, input.DispatchDragEventTypeDrop} {
		if _, err := chromedp.Call(ctx, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: p.X, Y: p.Y, Data: data}); err != nil {
			t.Fatalf("dragging %v onto the file panel (%s): %v", paths, typ, err)
		}
	}
}

// download clicks the panel's Download (the selected file) and returns the bytes the
// browser saved, checking it offered them under name.
func download(t *testing.T, ctx context.Context, dir, name string) []byte {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	begun := make(chan *browser.EventDownloadWillBegin, 1)
	done := make(chan *browser.EventDownloadProgress, 1)
	go func() {
		for ev, err := range chromedp.BrowserEvents(wctx, browser.DownloadWillBegin) {
			if err != nil {
				return
			}
			begun <- &ev
			return
		}
	}()
	go func() {
		for ev, err := range chromedp.BrowserEvents(wctx, browser.DownloadProgress) {
			if err != nil {
				return
			}
			if ev.State == browser.DownloadProgressStateCompleted || ev.State == browser.DownloadProgressStateCanceled {
				done <- &ev
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond) // let the listeners subscribe
	clickFile(t, ctx, "[data-act=download]")
	var b *browser.EventDownloadWillBegin
	select {
	case b = <-begun:
	case <-wctx.Done():
		t.Fatalf("downloading %s: the browser began no download", name)
	}
	if b.SuggestedFilename != name {
		t.Errorf("the download is offered as %q; want %q", b.SuggestedFilename, name)
	}
	select {
	case p := <-done:
		if p.State != browser.DownloadProgressStateCompleted {
			t.Fatalf("downloading %s: %s", name, p.State)
		}
	case <-wctx.Done():
		t.Fatalf("downloading %s: it never completed", name)
	}
	got, err := os.ReadFile(filepath.Join(dir, b.GUID))
	if err != nil {
		t.Fatalf("reading the downloaded %s: %v", name, err)
	}
	return got
}
