//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/standin"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestCourseInThePage is a newcomer's whole course in one browser profile: every lesson, in
// order, chosen in the Learn panel; every step done as a learner does it, then Check, which
// must pass, and Next. Before a step is done its check is pressed once and must fail, except
// where an earlier lesson already did what the step asks (passedEarly). A step's files are
// made with its Create buttons, or typed into the editor where the step adds lines to a file
// the learner has; its first command is pasted with its Paste button and the others typed
// into the terminal, each run with Enter. After a step whose checks read the last build,
// the Build steps tab must show the same steps CACHED and run. Docker Hub is a local
// registry holding stand-ins for alpine, nginx and node:6-alpine behind `layerlab serve
// --mirror`; pushes go to the server's practice hub.
func TestCourseInThePage(t *testing.T) {
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	imgs, err := standin.Images()
	if err != nil {
		t.Fatal(err)
	}
	for ref, img := range imgs {
		testimage.Push(t, img, reg.Host+"/"+ref)
	}
	site, stop, err := startServer("--mirror", "docker.io=http://"+reg.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	openPageAt(t, ctx, site)
	waitJS(t, ctx, "the Learn panel", `document.querySelector("#lesson-panel [data-act=check]")`)

	// Steps whose check passes before they are done, because an earlier lesson left what
	// they ask for; every other step's check must fail first.
	passedEarly := map[string]string{
		"03-layers-and-cache step 1": "lesson 2 pulled nginx, which this step pulls to read its history",
	}

	type stepInfo struct {
		Checks []string
	}
	type lessonInfo struct {
		ID, Title string
		Steps     []stepInfo
	}
	lessons := eval[[]lessonInfo](t, ctx, `return (await layerlab.lessons()).map(l => ({ID: l.id, Title: l.title, Steps: l.steps.map(s => ({Checks: s.checks}))}));`)
	if len(lessons) != 8 {
		t.Fatalf("the page has %d lessons; want the course's 8", len(lessons))
	}
	edited, stepped := 0, 0
	for _, l := range lessons {
		// the learner picks the lesson in the panel's list
		eval[bool](t, ctx, fmt.Sprintf(`const s = document.querySelector("#lesson-panel select");
			s.value = %q; s.dispatchEvent(new Event("change")); return true;`, l.ID))
		waitJS(t, ctx, l.ID+" in the panel", fmt.Sprintf(`document.querySelector("#lesson-panel .lesson-title")?.textContent === %q`, l.Title))
		for i, step := range l.Steps {
			where := fmt.Sprintf("%s step %d", l.ID, i+1)
			waitJS(t, ctx, where+" shown", fmt.Sprintf(`document.querySelector("#lesson-panel h4")?.textContent.startsWith("Step %d of %d")`, i+1, len(l.Steps)))
			clearLessonMsg(t, ctx)
			click(t, ctx, "#lesson-panel [data-act=check]")
			first := waitJS(t, ctx, where+"'s check before it is done", lessonMsg+`.match(/^[✓✗]/) && `+lessonMsg)
			if why, early := passedEarly[where]; strings.HasPrefix(first, "✓") != early {
				if early {
					t.Errorf("%s: the check fails before the step (%q); the test says an earlier lesson did it: %s", where, first, why)
				} else {
					t.Errorf("%s: the check passes before the step is done: %q", where, first)
				}
			}
			files := eval[[]string](t, ctx, `return [...document.querySelectorAll("#lesson-panel .lesson-files li summary code")].map(c => c.textContent);`)
			for k, p := range files {
				if typeIntoEditor(t, ctx, where, k, p) {
					edited++
				} else {
					createFile(t, ctx, where, k, p)
				}
			}
			cmds := eval[[]string](t, ctx, `return [...document.querySelectorAll("#lesson-panel .lesson-cmds li code")].map(c => c.textContent);`)
			for k, c := range cmds {
				runCommand(t, ctx, where, k, c)
			}
			clearLessonMsg(t, ctx)
			click(t, ctx, "#lesson-panel [data-act=check]")
			msg := waitJS(t, ctx, where+"'s check", lessonMsg+`.match(/^[✓✗]/) && `+lessonMsg)
			if !strings.HasPrefix(msg, "✓") {
				shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`globalThis.layerlabPage?.terminalText() ?? ""`))
				t.Fatalf("%s (files %q, commands %q): the check says %q\nthe terminal shows:\n%s", where, files, cmds, msg, lastLines(shown, 40))
			}
			if stepperAgrees(t, ctx, where, step.Checks) {
				stepped++
			}
			if i+1 < len(l.Steps) {
				click(t, ctx, "#lesson-panel [data-act=next]")
			}
		}
		waitJS(t, ctx, l.ID+" complete", `document.querySelector("#lesson-panel .lesson-finished")`)
		type prog struct{ Done, Shown []int }
		if p := eval[prog](t, ctx, fmt.Sprintf(`return await layerlab.progress(%q);`, l.ID)); len(p.Done) != len(l.Steps) || len(p.Shown) != 0 {
			t.Errorf("%s: progress %+v; want all %d steps done, none by show me", l.ID, p, len(l.Steps))
		}
	}
	if edited == 0 || stepped == 0 {
		t.Errorf("%d files were typed into the editor and %d steps compared with the stepper; want some of each", edited, stepped)
	}
	saveScreenshot(t, ctx, "course-complete.png")

	// The pulls and pushes redrew their layer lines in place: each ended as the line Docker
	// leaves, with nothing of a progress bar left over (a bar wider than the terminal wraps and
	// breaks the redraw).
	shown := eval[string](t, ctx, `return layerlabPage.terminalText();`)
	layerLine := regexp.MustCompile(`^[0-9a-f]{12}: (Already exists|Pull complete|Pushed|Layer already exists)$`)
	n := 0
	for _, line := range strings.Split(shown, "\n") {
		line = strings.TrimRight(line, " ") // Docker ends a layer's line with a blank (an empty progress)
		if !strings.HasSuffix(line, "Already exists") && !strings.HasSuffix(line, "Pull complete") && !strings.HasSuffix(line, "Pushed") {
			continue
		}
		n++
		if !layerLine.MatchString(line) {
			t.Errorf("a layer line in the terminal reads %q; want %s", line, layerLine)
		}
	}
	if n == 0 {
		t.Errorf("the terminal shows no layer lines of a pull or push:\n%s", lastLines(shown, 60))
	}
}

// typeIntoEditor makes the k-th file a lesson step offers (path p) by typing into the editor,
// as a learner would, when the step only adds lines to the file the workspace has: it opens
// the file from the file panel, puts the cursor on the line and types. It reports whether it
// did; other files are left to the Create button.
func typeIntoEditor(t *testing.T, ctx context.Context, where string, k int, p string) bool {
	t.Helper()
	type texts struct {
		Old, New string
		Has      bool
	}
	x := eval[texts](t, ctx, fmt.Sprintf(`const want = document.querySelectorAll("#lesson-panel .lesson-files li pre code")[%d].textContent;
		try { return {Old: new TextDecoder().decode(await layerlab.readFile(%q)), New: want, Has: true}; }
		catch { return {Old: "", New: want, Has: false}; }`, k, p))
	line, added, ok := insertion(x.Old, x.New)
	if !x.Has || !ok {
		return false
	}
	click(t, ctx, fmt.Sprintf(`#files button[data-path=%q]`, "/workspace/"+p))
	eval[bool](t, ctx, `await layerlabPage.editor.opening; return true;`)
	waitJS(t, ctx, where+": "+p+" open in the editor", fmt.Sprintf(`document.getElementById("editor-title").textContent.startsWith(%q) && layerlabPage.editor.view.state.doc.toString() === %q`, p, x.Old))
	keys := []chromedp.Action[chromedp.Void]{chromedp.Click(`#editor .cm-content`), chromedp.KeyEvent(kb.Home, chromedp.KeyModifiers(chromedp.ModifierCtrl))}
	for n := 0; n < line; n++ {
		keys = append(keys, chromedp.KeyEvent(kb.ArrowDown))
	}
	// keyPresses, not chromedp.KeyEvent: its extra char event for Enter is a second newline
	keys = append(keys, chromedp.KeyEvent(kb.Home), keyPresses(strings.ReplaceAll(added, "\n", kb.Enter)))
	if err := chromedp.Do(ctx, keys...); err != nil {
		t.Fatalf("%s: typing into %s: %v", where, p, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[bool](fmt.Sprintf(`(async () => {
		try { return new TextDecoder().decode(await layerlab.readFile(%q)) === %q; } catch { return false; } })()`, p, x.New))); err != nil {
		got := eval[string](t, ctx, fmt.Sprintf(`return new TextDecoder().decode(await layerlab.readFile(%q));`, p))
		t.Fatalf("%s: after typing %q into %s in the editor, it holds %q; want %q", where, added, p, got, x.New)
	}
	return true
}

// insertion reports whether new is old with whole lines added at one place: the line
// (counted from 0) they go before and the text added.
func insertion(old, new string) (line int, added string, ok bool) {
	if len(new) <= len(old) || !strings.HasSuffix(old, "\n") || !strings.HasSuffix(new, "\n") {
		return 0, "", false
	}
	p := 0
	for p < len(old) && old[p] == new[p] {
		p++
	}
	p = strings.LastIndex(old[:p], "\n") + 1 // back to the start of a line
	rest := old[p:]
	if !strings.HasSuffix(new, rest) {
		return 0, "", false
	}
	return strings.Count(old[:p], "\n"), new[p : len(new)-len(rest)], true
}

// stepperAgrees compares the Build steps tab with a lesson step's "build step K cached|ran"
// checks, which just passed: the stepper must show step K of the last build the same way.
// It reports whether the step had such checks.
func stepperAgrees(t *testing.T, ctx context.Context, where string, checks []string) bool {
	t.Helper()
	want := map[int]string{}
	re := regexp.MustCompile(`^build steps? (\d+)(?:\.\.(\d+))? (cached|ran)$`)
	for _, c := range checks {
		m := re.FindStringSubmatch(c)
		if m == nil {
			continue
		}
		k, _ := strconv.Atoi(m[1])
		last := k
		if m[2] != "" {
			last, _ = strconv.Atoi(m[2])
		}
		for ; k <= last; k++ {
			want[k] = map[string]string{"cached": "CACHED", "ran": "RAN"}[m[3]]
		}
	}
	if len(want) == 0 {
		return false
	}
	click(t, ctx, "#stepper-tab")
	total := waitJS(t, ctx, where+": the stepper", `document.querySelector("#stepper-panel .where")?.textContent.match(/^Step 1 of (\d+)$/)?.[1]`)
	n, _ := strconv.Atoi(total)
	got := map[int]string{}
	for i := 0; i < n; i++ {
		if i > 0 {
			click(t, ctx, "#stepper-panel [data-act=step-next]")
		}
		type shown struct{ Where, Name, State string }
		s := eval[shown](t, ctx, `const q = (c) => document.querySelector("#stepper-panel " + c)?.textContent;
			return {Where: q(".where"), Name: q(".step-name"), State: q(".step-state")};`)
		if s.Where != fmt.Sprintf("Step %d of %d", i+1, n) {
			t.Fatalf("%s: the stepper shows %q after %d presses of Next", where, s.Where, i)
		}
		if m := regexp.MustCompile(`^\[(\d+)/\d+\]`).FindStringSubmatch(s.Name); m != nil {
			k, _ := strconv.Atoi(m[1])
			got[k] = s.State
		}
	}
	for k, state := range want {
		if got[k] != state {
			t.Errorf("%s: the lesson's check says build step %d %s; the stepper shows it %q (all: %v)", where, k, state, got[k], got)
		}
	}
	click(t, ctx, "#lesson-tab")
	return true
}

// createFile presses the Create button of the k-th file a lesson step offers (path p),
// saying "Replace it" when the workspace already has the file with other content.
func createFile(t *testing.T, ctx context.Context, where string, k int, p string) {
	t.Helper()
	clearLessonMsg(t, ctx)
	click(t, ctx, fmt.Sprintf("#lesson-panel .lesson-files li:nth-child(%d) [data-act=create]", k+1))
	created := fmt.Sprintf("Created %s.", p)
	got := waitJS(t, ctx, where+": creating "+p, fmt.Sprintf(`(%s === %q && "created") || (document.querySelector("#lesson-panel .ask [data-act=replace]") && "ask")`, lessonMsg, created))
	if got == "ask" {
		click(t, ctx, "#lesson-panel .ask [data-act=replace]")
		waitJS(t, ctx, where+": replacing "+p, fmt.Sprintf(`%s === %q`, lessonMsg, created))
	}
}

// runCommand runs the k-th command of a lesson step (c): the first pasted with its Paste
// button, the others typed into the terminal; then Enter, and it waits for the command to
// end, which must exit 0.
func runCommand(t *testing.T, ctx context.Context, where string, k int, c string) {
	t.Helper()
	waitIdle(t, ctx)
	if k == 0 {
		click(t, ctx, fmt.Sprintf("#lesson-panel .lesson-cmds li:nth-child(%d) [data-act=paste]", k+1))
	} else {
		typeInTerminal(t, ctx, c)
	}
	if line := eval[string](t, ctx, `return layerlabPage.shell.line;`); line != c {
		t.Fatalf("%s: the terminal's line is %q; want %q", where, line, c)
	}
	eval[bool](t, ctx, `layerlabPage.shell.lastExit = null; return true;`)
	typeInTerminal(t, ctx, "\r")
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	code, err := chromedp.Run(wctx, chromedp.Poll[string](`(() => { const s = layerlabPage.shell; return s.lastExit !== null && !s.running ? String(s.lastExit) : false; })()`))
	if err != nil || code != "0" {
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`globalThis.layerlabPage?.terminalText() ?? ""`))
		t.Fatalf("%s: %s: exit %q (%v)\nthe terminal shows:\n%s", where, c, code, err, lastLines(shown, 40))
	}
}

// clearLessonMsg empties the lesson panel's message line, so the next one can be waited for.
func clearLessonMsg(t *testing.T, ctx context.Context) {
	t.Helper()
	eval[bool](t, ctx, `document.querySelector("#lesson-panel .lesson-msg").textContent = ""; return true;`)
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
