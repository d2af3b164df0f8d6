//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestLessonCheckAndBuildLink: through the page's layerlab, a lesson step's check fails
// before the step and passes after it; a build link made in one browser profile, opened in a
// fresh one, restores the same files, which build an image with the same layers.
func TestLessonCheckAndBuildLink(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	openPage(t, ctx)

	type checked struct {
		Before, After   bool
		Message, Lesson string
		Done            int
	}
	c := eval[checked](t, ctx, `
		const ls = await layerlab.lessons();
		const l = ls.find(l => l.id === "05-dockerfile-basics");
		const before = await layerlab.check(l.id, 0);
		await layerlab.writeFile("Dockerfile", l.steps[0].files["Dockerfile"]);
		const after = await layerlab.check(l.id, 0, {shown: true});
		const p = await layerlab.progress(l.id);
		await layerlab.restartLesson(l.id);
		return {Before: before.passed, After: after.passed, Message: after.message, Lesson: l.title, Done: p.done.length};`)
	if c.Before || !c.After || c.Done != 1 || c.Lesson != "Dockerfile basics" {
		t.Errorf("lesson check through the page: got %+v; want a failure before, a pass after, one step done", c)
	}

	type built struct {
		Link   string
		Layers string
		Code   int
		Err    string
	}
	a := eval[built](t, ctx, `
		await layerlab.writeFile("Dockerfile", "FROM scratch\nCOPY hello.txt /\nCOPY src/ /src/\n");
		await layerlab.writeFile("hello.txt", "hello from profile A\n");
		await layerlab.writeFile("src/app.txt", "app\n");
		const b = await layerlab.exec("docker build --build-arg SOURCE_DATE_EPOCH=0 -t shared .");
		const i = await layerlab.exec("docker image inspect --format '{{json .RootFS.Layers}}' shared");
		return {Link: await layerlab.shareLink({lesson: "05-dockerfile-basics", step: 1}), Layers: i.stdout, Code: b.exitCode, Err: b.stderr};`)
	if a.Code != 0 || !strings.HasPrefix(a.Link, strings.TrimSuffix(serverURL, "/")+"/#build=") || !strings.HasPrefix(a.Layers, "[\"sha256:") {
		t.Fatalf("profile A: build exit %d, link %q, layers %q\n%s", a.Code, a.Link, a.Layers, a.Err)
	}

	// a fresh profile opens the link: the page itself writes nothing; the test restores the
	// files as the page does after asking. Both build with SOURCE_DATE_EPOCH=0: the files'
	// times differ between the profiles, and a layer records them unless they are clamped.
	ctx2 := newBrowser(t)
	ctx2, cancel2 := context.WithTimeout(ctx2, 3*time.Minute)
	defer cancel2()
	if err := chromedp.Do(ctx2, chromedp.Navigate(a.Link)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx2, chromedp.Evaluate[bool](waitCore, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	type opened struct {
		Files  []string
		Before string
		Lesson string
		Step   int
		Layers string
		Code   int
	}
	b := eval[opened](t, ctx2, `
		const before = (await layerlab.readDir(".")).map(f => f.name).join(",");
		const o = await layerlab.openShareLink(location.href);
		const names = Object.keys(o.files).sort();
		for (const n of names) await layerlab.writeFile(n, o.files[n]);
		const r = await layerlab.exec("docker build --build-arg SOURCE_DATE_EPOCH=0 -t shared .");
		const i = await layerlab.exec("docker image inspect --format '{{json .RootFS.Layers}}' shared");
		return {Files: names, Before: before, Lesson: o.lesson, Step: o.step, Layers: i.stdout, Code: r.exitCode};`)
	if strings.Join(b.Files, ",") != "Dockerfile,hello.txt,src/app.txt" || b.Lesson != "05-dockerfile-basics" || b.Step != 1 {
		t.Errorf("opened link: got files %q, lesson %q step %d", b.Files, b.Lesson, b.Step)
	}
	if strings.Contains(b.Before, "Dockerfile") {
		t.Errorf("opening the page with a link wrote files by itself: %q", b.Before)
	}
	if b.Code != 0 || b.Layers != a.Layers {
		t.Errorf("profile B's build: exit %d, layers %q; want profile A's %q", b.Code, b.Layers, a.Layers)
	}
}
