//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// click clicks the first element matching sel.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.Click(sel)); err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
}

// waitJS polls a JavaScript expression until it is truthy and returns it as a string.
func waitJS(t *testing.T, ctx context.Context, what, expr string) string {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	got, err := chromedp.Run(wctx, chromedp.Poll[string](fmt.Sprintf(`(() => { const v = (%s); return v ? String(v) : false; })()`, expr)))
	if err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".lesson-msg")?.textContent + " | " + document.getElementById("learn")?.innerText`))
		t.Fatalf("waiting for %s: %v\nthe panel shows: %s", what, err, msg)
	}
	return got
}

const lessonMsg = `document.querySelector("#lesson-panel .lesson-msg").textContent`

// waitIdle waits until the terminal has no command running.
func waitIdle(t *testing.T, ctx context.Context) {
	t.Helper()
	waitJS(t, ctx, "the terminal to finish its command", `globalThis.layerlabPage && !layerlabPage.shell.running && "idle"`)
}

// TestLessonPanelStepperAndLink: lesson 1 completed through the lessons panel (each check
// fails before the step and passes after it; the last step by "Show me"), the build stepper
// after two builds with one file changed, and a build link opened in a fresh browser
// profile, where it is offered and not applied until the learner says so.
func TestLessonPanelStepperAndLink(t *testing.T) {
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	alpine, err := mutate.Config(testimage.PullTest(), v1.Config{Labels: map[string]string{"org.layerlab.stand-in": "alpine: a small test image standing in for the official one"}})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(reg.Host + "/library/alpine:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, alpine); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	site, stop, err := startServer("--mirror", "docker.io=http://"+reg.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	openPageAt(t, ctx, site)
	waitJS(t, ctx, "lesson 1 in the panel", `document.querySelector("#lesson-panel select")?.value === "01-whats-in-an-image" && document.querySelector("#lesson-panel [data-act=check]")`)

	// step 1: the check fails; Paste puts the command on the terminal's line without running it
	click(t, ctx, "#lesson-panel [data-act=check]")
	if m := waitJS(t, ctx, "a failed check", lessonMsg+`.startsWith("✗") && `+lessonMsg); !strings.Contains(m, "alpine") {
		t.Errorf("step 1's failed check: got %q; want it to name alpine", m)
	}
	click(t, ctx, "#lesson-panel [data-act=paste]")
	if line := eval[string](t, ctx, `return layerlabPage.shell.line;`); line != "docker pull alpine" {
		t.Errorf("pasted line: got %q; want %q", line, "docker pull alpine")
	}
	if n := eval[int](t, ctx, `return (await layerlab.exec("docker images -q")).stdout.trim().split("\n").filter(Boolean).length;`); n != 0 {
		t.Errorf("pasting ran the command: %d images", n)
	}
	typeInTerminal(t, ctx, "\r")
	waitTerminal(t, ctx, "the pull's end", `s.includes("Status: Downloaded newer image for alpine:latest")`)
	waitIdle(t, ctx)
	click(t, ctx, "#lesson-panel [data-act=check]")
	waitJS(t, ctx, "step 1 passing", lessonMsg+`.startsWith("✓")`)
	saveScreenshot(t, ctx, "lessonui-step1-passed.png")

	// step 2: create the offered files with the panel's buttons, run the pasted build
	click(t, ctx, "#lesson-panel [data-act=next]")
	click(t, ctx, "#lesson-panel [data-act=check]")
	waitJS(t, ctx, "step 2 failing first", lessonMsg+`.startsWith("✗")`)
	click(t, ctx, "#lesson-panel .lesson-files li:nth-child(1) [data-act=create]")
	waitJS(t, ctx, "hello.txt created", lessonMsg+`.includes("Created hello.txt")`)
	click(t, ctx, "#lesson-panel .lesson-files li:nth-child(2) [data-act=create]")
	waitJS(t, ctx, "Dockerfile created", lessonMsg+`.includes("Created Dockerfile")`)
	click(t, ctx, "#lesson-panel [data-act=paste]")
	typeInTerminal(t, ctx, "\r")
	waitTerminal(t, ctx, "the build's end", `s.includes("naming to docker.io/library/onefile")`)
	waitIdle(t, ctx)
	click(t, ctx, "#lesson-panel [data-act=check]")
	waitJS(t, ctx, "step 2 passing", lessonMsg+`.startsWith("✓")`)

	// step 3: a Create button does not overwrite the learner's Dockerfile without asking;
	// then Show me does the step and says so
	click(t, ctx, "#lesson-panel [data-act=next]")
	click(t, ctx, "#lesson-panel [data-act=check]")
	waitJS(t, ctx, "step 3 failing first", lessonMsg+`.startsWith("✗")`)
	click(t, ctx, "#lesson-panel .lesson-files [data-act=create]")
	waitJS(t, ctx, "the replace question", `document.querySelector("#lesson-panel .ask [data-act=keep]")`)
	click(t, ctx, "#lesson-panel .ask [data-act=keep]")
	if df := eval[string](t, ctx, `return new TextDecoder().decode(await layerlab.readFile("Dockerfile"));`); strings.Contains(df, "ENV") {
		t.Errorf("Keep mine replaced the Dockerfile: %q", df)
	}
	click(t, ctx, "#lesson-panel [data-act=showme]")
	m := waitJS(t, ctx, "show me's report", lessonMsg+`.startsWith("Show me did this step for you") && `+lessonMsg)
	if !strings.Contains(m, "wrote Dockerfile") || !strings.Contains(m, "ran docker build -t onefile:v2 .") || !strings.Contains(m, "✓") {
		t.Errorf("show me's report: got %q; want it to say what it wrote and ran, and the check passing", m)
	}
	waitTerminal(t, ctx, "show me's command in the terminal", `s.includes("docker build -t onefile:v2 .")`)
	type prog struct{ Done, Shown []int }
	if p := eval[prog](t, ctx, `return await layerlab.progress("01-whats-in-an-image");`); len(p.Done) != 3 || len(p.Shown) != 1 || p.Shown[0] != 2 {
		t.Errorf("progress: got %+v; want 3 steps done, step 3 (index 2) shown", p)
	}
	waitJS(t, ctx, "the lesson complete", `document.querySelector("#lesson-panel .lesson-finished")`)
	saveScreenshot(t, ctx, "lessonui-lesson1-complete.png")

	// the build stepper: two builds, one file changed between them
	eval[bool](t, ctx, `
		await layerlab.mkdir("two");
		await layerlab.writeFile("two/Dockerfile", "FROM scratch\nCOPY a.txt /\nCOPY b.txt /\n");
		await layerlab.writeFile("two/a.txt", "a\n");
		await layerlab.writeFile("two/b.txt", "b, first\n");
		return true;`)
	typeInTerminal(t, ctx, "cd two && docker build -t two .\r")
	waitTerminal(t, ctx, "the first build", `s.includes("naming to docker.io/library/two")`)
	waitIdle(t, ctx)
	eval[bool](t, ctx, `await layerlab.writeFile("two/b.txt", "b, second\n"); return true;`)
	typeInTerminal(t, ctx, "docker build -t two .\r")
	waitTerminal(t, ctx, "the second build", `s.split("naming to docker.io/library/two").length === 3`)
	waitIdle(t, ctx)
	click(t, ctx, "#stepper-tab")
	s1 := waitJS(t, ctx, "the stepper's first step", `document.querySelector("#stepper-panel .step-state")?.textContent === "CACHED" && document.querySelector("#stepper-panel .step-detail").innerText`)
	if !strings.Contains(s1, "COPY a.txt /") {
		t.Errorf("stepper step 1: got %q; want COPY a.txt / CACHED", s1)
	}
	click(t, ctx, "#stepper-panel [data-act=step-next]")
	s2 := waitJS(t, ctx, "the stepper's second step", `document.querySelector("#stepper-panel .step-state")?.textContent === "RAN" && document.querySelector("#stepper-panel .file-changes") && document.querySelector("#stepper-panel .step-detail").innerText`)
	if !strings.Contains(s2, "COPY b.txt /") || !strings.Contains(s2, "a file it copies changed: b.txt") {
		t.Errorf("stepper step 2: got %q; want COPY b.txt / ran because b.txt changed", s2)
	}
	click(t, ctx, "#stepper-panel .file-changes button.file")
	if v := waitJS(t, ctx, "the file's content", `document.querySelector("#stepper-panel .file-view:not([hidden])")?.textContent`); v != "b, second\n" {
		t.Errorf("stepper file view: got %q; want %q", v, "b, second\n")
	}
	if n := eval[int](t, ctx, `return document.querySelectorAll("#stepper-panel .build-stack li").length;`); n != 2 {
		t.Errorf("layer bars at step 2: got %d; want 2", n)
	}
	saveScreenshot(t, ctx, "lessonui-stepper.png")

	// Share: the link, then a fresh profile sees the offer and nothing written
	click(t, ctx, "#share")
	link := waitJS(t, ctx, "the build link", `document.querySelector(".share-link")?.value`)
	if !strings.Contains(link, "#build=") {
		t.Fatalf("share link: got %q", link)
	}
	ctx2 := newBrowser(t)
	ctx2, cancel2 := context.WithTimeout(ctx2, 3*time.Minute)
	defer cancel2()
	if err := chromedp.Do(ctx2, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	offer := waitJS(t, ctx2, "the link's offer", `document.querySelector(".share-offer")?.innerText`)
	for _, want := range []string{"Dockerfile", "two/b.txt", "What's in an image", "Nothing has been written, built or pulled"} {
		if !strings.Contains(offer, want) {
			t.Errorf("the offer: got %q; want it to mention %q", offer, want)
		}
	}
	if ws := eval[string](t, ctx2, `return (await layerlab.readDir("/workspace")).map(e => e.name).join(",");`); strings.Contains(ws, "Dockerfile") || strings.Contains(ws, "shared") {
		t.Errorf("the link was applied before the learner asked: workspace %q", ws)
	}
	if n := eval[int](t, ctx2, `return (await layerlab.exec("docker images -q")).stdout.trim().split("\n").filter(Boolean).length;`); n != 0 {
		t.Errorf("opening the link built or pulled: %d images", n)
	}
	saveScreenshot(t, ctx2, "lessonui-link-offer.png")
	click(t, ctx2, "[data-act=open-link]")
	waitJS(t, ctx2, "the link opened", `document.querySelector("#share-box .good")`)
	if b := eval[string](t, ctx2, `return new TextDecoder().decode(await layerlab.readFile("shared/two/b.txt"));`); b != "b, second\n" {
		t.Errorf("shared/two/b.txt: got %q", b)
	}

	// over the link's limit: the error says so and offers the workspace as a download
	eval[bool](t, ctx, `
		const big = new Uint8Array(1100000); for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
		await layerlab.writeFile("big.bin", big); return true;`)
	click(t, ctx, "#share")
	errText := waitJS(t, ctx, "the share error", `document.querySelector("#share-box .bad")?.textContent`)
	if !strings.Contains(errText, "download") || eval[bool](t, ctx, `return !document.querySelector("#share-box [data-act=download-workspace]");`) {
		t.Errorf("over the limit: got %q and no Download workspace button", errText)
	}

	// a teacher's lesson from a URL: a malformed one is refused naming its line; a good one
	// renders its text as text (no element or script from the file)
	bad := eval[string](t, ctx, `
		const u = URL.createObjectURL(new Blob(["---\ntitle: T\nsection: S\norder: 99\n---\n\n## A step\n\nNo check here.\n"], {type: "text/markdown"}));
		const f = document.querySelector("#lesson-panel .lesson-url");
		f.querySelector("input").value = u;
		f.requestSubmit();
		return u;`)
	if m := waitJS(t, ctx, "the bad lesson's error", lessonMsg+`.startsWith("Opening the lesson") && `+lessonMsg); !regexp.MustCompile(`:\d+: `).MatchString(m) {
		t.Errorf("bad lesson from %s: got %q; want its file:line", bad, m)
	}
	eval[bool](t, ctx, `
		const md = "---\ntitle: Safe <img src=x onerror=\"window.pwned=1\">\nsection: S\norder: 99\n---\n\n## Step <script>window.pwned=2</script>\n\nText <img src=x onerror=\"window.pwned=3\"> and [a link](javascript:window.pwned=4).\n\n`+"```"+`check\nfile x.txt contains hi\n`+"```"+`\n";
		const u = URL.createObjectURL(new Blob([md], {type: "text/markdown"}));
		const f = document.querySelector("#lesson-panel .lesson-url");
		f.querySelector("input").value = u;
		f.requestSubmit();
		return true;`)
	waitJS(t, ctx, "the teacher's lesson", lessonMsg+`.startsWith("Opened Safe")`)
	if n := eval[string](t, ctx, `return [document.querySelectorAll("#lesson-panel img, #lesson-panel script, #lesson-panel a[href^=javascript]").length, String(window.pwned)].join(",");`); n != "0,undefined" {
		t.Errorf("a lesson's markup became elements or ran: got %q; want 0,undefined", n)
	}

	// the dark theme, then 390px wide
	click(t, ctx, "#theme")
	click(t, ctx, "#stepper-tab")
	saveScreenshot(t, ctx, "lessonui-dark.png")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	click(t, ctx, "#lesson-tab")
	saveScreenshot(t, ctx, "lessonui-390.png")
}
