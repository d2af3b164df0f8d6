//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// emulateColorScheme makes the page's prefers-color-scheme the given one ("light", "dark").
func emulateColorScheme(t *testing.T, ctx context.Context, scheme string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		t.Fatalf("emulating prefers-color-scheme: %s: %v", scheme, err)
	}
}

type themeSeen struct {
	Theme, Page, Terminal string
}

// pageColors is the colours the page is painted in and the terminal's (xterm's) background.
var pageColors = map[string]themeSeen{
	"dark":  {"dark", "rgb(17, 19, 23)", "#1b1d23"},
	"light": {"light", "rgb(246, 247, 249)", "#fbfbfb"},
}

func checkTheme(t *testing.T, ctx context.Context, when, want string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var got themeSeen
	_, err := chromedp.Run(wctx, chromedp.Poll[bool](fmt.Sprintf(`(() => {
		const seen = {Theme: document.documentElement.dataset.theme,
			Page: getComputedStyle(document.body).backgroundColor,
			Terminal: layerlabPage.shell.term.options.theme.background};
		window.themeSeen = seen;
		return seen.Theme === %q && seen.Page === %q && seen.Terminal === %q;
	})()`, pageColors[want].Theme, pageColors[want].Page, pageColors[want].Terminal)))
	if err != nil {
		got, _ = chromedp.Run(ctx, chromedp.Evaluate[themeSeen](`window.themeSeen`))
		t.Errorf("%s: theme %+v; want %+v", when, got, pageColors[want])
	}
}

// screenshots keeps the page at 1280x800 and 390x844 (a phone, at 2x) as artifacts, and
// checks that nothing is wider than the phone's screen.
func screenshots(t *testing.T, ctx context.Context, theme string) {
	t.Helper()
	for _, s := range []struct{ w, h int }{{1280, 800}, {390, 844}} {
		scale := chromedp.EmulateScale(1)
		if s.w < 800 {
			scale = chromedp.EmulateScale(2)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(s.w), int64(s.h), scale), chromedp.Sleep(400*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if w := eval[int](t, ctx, `return document.documentElement.scrollWidth`); w > s.w {
			t.Errorf("at %dx%d the page is %d px wide; want no horizontal scrolling", s.w, s.h, w)
		}
		saveScreenshot(t, ctx, fmt.Sprintf("page-%dx%d-%s.png", s.w, s.h, theme))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
}

// pressKey presses a key that types no text (Tab, Escape), as Chromium delivers it.
func pressKey(t *testing.T, ctx context.Context, key string, code int64) {
	t.Helper()
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: key, Code: key, WindowsVirtualKeyCode: code, NativeVirtualKeyCode: code}); err != nil {
			t.Fatalf("pressing %s: %v", key, err)
		}
	}
}

// focused names the part of the page that has the keyboard focus.
const focused = `(() => {
	const a = document.activeElement;
	if (!a || a === document.body) return "body";
	if (a.id === "theme") return "theme";
	if (a.id === "share") return "share";
	if (a.matches("#files .tree button")) return "file tree";
	if (a.closest("#files .toolbar")) return "file actions";
	if (a.closest("#editor")) return "editor";
	if (a.matches("textarea.xterm-helper-textarea")) return "terminal";
	if (a.closest("#images")) return "image panel";
	return a.tagName + "#" + a.id;
})()`

// TestThemesKeyboardErrors: the page follows the system's colour scheme until the learner
// picks one with the theme button (kept across reloads); both themes at the two sizes are kept
// as screenshots; Tab reaches the file tree, the editor and the terminal, and Escape leaves the
// terminal for the image panel; a failing command shows its error in the terminal, and a
// crashed core puts up a banner that a reload clears.
func TestThemesKeyboardErrors(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	// Keep the page's Web Workers reachable, so the test can crash the core's.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `(() => {
		const W = globalThis.Worker;
		globalThis.testWorkers = [];
		globalThis.Worker = class extends W { constructor(...a) { super(...a); testWorkers.push(this); } };
	})()`}); err != nil {
		t.Fatal(err)
	}
	emulateColorScheme(t, ctx, "dark")
	openPage(t, ctx)
	// Something in every panel: a Dockerfile (opened in the editor on load) and an image.
	b64 := base64.StdEncoding.EncodeToString(mustRead(t, filepath.Join("..", "testdata", "golden", "images", "all.tar")))
	eval[bool](t, ctx, `
		await layerlab.writeFile("Dockerfile", "FROM layerlab/base\nCOPY app.txt /\n");
		const bin = atob("`+b64+`");
		const b = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
		await layerlab.writeFile("all.tar", b);
		const r = await layerlab.exec("docker load -i all.tar");
		if (r.exitCode !== 0) throw new Error(r.stderr);
		return true;`)
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx)
	waitTerminal(t, ctx, "the prompt", promptCount(1))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("#images .stack li").length > 0 && document.getElementById("editor-title").textContent.startsWith("Dockerfile")`)); err != nil {
		t.Fatalf("the image panel or the editor never filled: %v", err)
	}

	checkTheme(t, ctx, "prefers-color-scheme: dark", "dark")
	screenshots(t, ctx, "dark")
	emulateColorScheme(t, ctx, "light")
	checkTheme(t, ctx, "prefers-color-scheme changed to light", "light")
	screenshots(t, ctx, "light")

	// The theme button's choice wins over the system's, and is kept.
	if err := chromedp.Do(ctx, chromedp.Click("#theme")); err != nil {
		t.Fatal(err)
	}
	checkTheme(t, ctx, "after the theme button", "dark")
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx)
	checkTheme(t, ctx, "after a reload, the system light, the learner's choice dark", "dark")
	waitTerminal(t, ctx, "the prompt after the reload", promptCount(1))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("editor-title").textContent.startsWith("Dockerfile") && document.querySelector("#images button") !== null`)); err != nil {
		t.Fatalf("the editor or the image panel never filled after the reload: %v", err)
	}

	// Keyboard: from the top of the page, Tab walks through every panel to the terminal.
	// A click on the heading (not focusable) moves the start of Tab's walk to the top.
	if err := chromedp.Do(ctx, chromedp.Click("header h1")); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for i := 0; i < 60; i++ {
		pressKey(t, ctx, "Tab", 9)
		f, err := chromedp.Run(ctx, chromedp.Evaluate[string](focused))
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) == 0 || seen[len(seen)-1] != f {
			seen = append(seen, f)
		}
		if f == "terminal" {
			break
		}
	}
	if want := "share theme file actions file tree editor terminal"; strings.Join(seen, " ") != want {
		t.Errorf("Tab went through %q; want %q", strings.Join(seen, " "), want)
	}
	pressKey(t, ctx, "Escape", 27)
	if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](focused)); f != "image panel" {
		t.Errorf("Escape in the terminal moved the focus to %q; want the image panel", f)
	}

	// A failing command's error shows in the terminal, not only in the Promise.
	want := eval[execResult](t, ctx, `return await layerlab.exec("docker load -i missing.tar")`)
	if want.ExitCode == 0 || want.Stderr == "" {
		t.Fatalf("docker load -i missing.tar = %+v; want a failure with a message", want)
	}
	typeInTerminal(t, ctx, "docker load -i missing.tar\r")
	shown := waitTerminal(t, ctx, "the error", promptCount(2))
	if !strings.Contains(shown, "$ docker load -i missing.tar\n"+want.Stderr) {
		t.Errorf("the terminal shows\n%s\nwant the error\n%s", shown, want.Stderr)
	}

	// The core's worker crashes: a banner says so and how to recover; the terminal says so too.
	eval[bool](t, ctx, `
		const w = testWorkers[0];
		w.terminate();
		w.dispatchEvent(new ErrorEvent("error", {message: "Uncaught RuntimeError: unreachable"}));
		return true;`)
	const crashed = "the core's worker failed: Uncaught RuntimeError: unreachable"
	banner, err := chromedp.Run(ctx, chromedp.Poll[string](`document.querySelector("#fatal[role=alert]")?.textContent || false`))
	if err != nil || !strings.Contains(banner, "The core stopped: "+crashed+". Reload the page") {
		t.Errorf("after the worker crashed the page shows banner %q (%v); want it to say %q and to reload", banner, err, crashed)
	}
	typeInTerminal(t, ctx, "docker images\r")
	shown = waitTerminal(t, ctx, "the crash in the terminal", promptCount(3))
	// (the message may wrap at the terminal's width)
	if !strings.Contains(strings.ReplaceAll(shown, "\n", ""), "$ docker imageslayerlab: the core failed: "+crashed+"layerlab:") {
		t.Errorf("the terminal shows\n%s\nwant it to say the core failed", shown)
	}
	if err := chromedp.Do(ctx, chromedp.Click("#fatal button")); err != nil {
		t.Fatalf("clicking the banner's Reload: %v", err)
	}
	time.Sleep(time.Second)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](waitCore, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("await layerlab.ready after the banner's Reload: %v", err)
	}
	if n := eval[int](t, ctx, `return document.querySelectorAll("#fatal").length`); n != 0 {
		t.Errorf("after the reload the banner is still there")
	}
	if r := eval[execResult](t, ctx, `return await layerlab.exec("docker images -q")`); r.ExitCode != 0 || r.Stdout == "" {
		t.Errorf("docker images after the reload = %+v; want the images kept", r)
	}
}
