//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
)

// TestTerminalMultiLineHistory: a heredoc typed over several lines comes back from history as
// one entry, shown as it was typed, and runs again as one command; moving on through history
// leaves none of its lines behind; a line longer than the terminal is wide edits in place.
func TestTerminalMultiLineHistory(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	openPage(t, ctx)
	waitTerminal(t, ctx, "the first prompt", promptCount(1))

	typeInTerminal(t, ctx, "echo first"+kb.Enter)
	waitTerminal(t, ctx, "echo's output", promptCount(2))
	for _, l := range []string{"cat > note.txt <<EOF", "one", "two", "EOF"} {
		typeInTerminal(t, ctx, l+kb.Enter)
	}
	waitTerminal(t, ctx, "the heredoc run", promptCount(3))
	eval[bool](t, ctx, `await layerlab.writeFile("note.txt", "changed\n"); return true;`)

	const entry = "layerlab:/workspace$ cat > note.txt <<EOF\n> one\n> two\n> EOF"
	typeInTerminal(t, ctx, kb.ArrowUp)
	shown := waitTerminal(t, ctx, "the heredoc recalled", `s.endsWith(`+jsString(entry)+`)`)
	if want := "$ echo first\nfirst\n" + entry + "\n" + entry; !strings.HasSuffix(shown, want) {
		t.Errorf("the terminal shows\n%s\nwant it to end with\n%s", shown, want)
	}
	// Up again: the heredoc's lines give way to the line before it.
	typeInTerminal(t, ctx, kb.ArrowUp)
	shown = waitTerminal(t, ctx, "echo first recalled", `s.endsWith("$ echo first")`)
	if want := "first\n" + entry + "\nlayerlab:/workspace$ echo first"; !strings.HasSuffix(shown, want) {
		t.Errorf("the terminal shows\n%s\nwant it to end with\n%s", shown, want)
	}
	typeInTerminal(t, ctx, kb.ArrowDown)
	waitTerminal(t, ctx, "the heredoc recalled again", `s.endsWith(`+jsString(entry)+`)`)
	typeInTerminal(t, ctx, kb.Enter)
	waitTerminal(t, ctx, "the recalled heredoc run", promptCount(4))
	if got := readText(t, ctx, "note.txt"); got != "one\ntwo\n" {
		t.Errorf("note.txt after running the recalled heredoc = %q; want %q", got, "one\ntwo\n")
	}
	if got := eval[string](t, ctx, `return JSON.parse(localStorage.getItem("layerlab.history")).join("|")`); got != "echo first|cat > note.txt <<EOF\none\ntwo\nEOF" {
		t.Errorf("the history keeps %q; want the heredoc as one entry", got)
	}

	// A table row padded past the terminal's width (as Docker pads its last column) does not
	// wrap into a row of blanks: the next line follows on the next row.
	cols := eval[int](t, ctx, `return layerlabPage.shell.term.cols`)
	row := strings.Repeat("r", cols-2)
	typeInTerminal(t, ctx, "printf '%s          \\n%s\\n' "+row+" next"+kb.Enter)
	waitTerminal(t, ctx, "printf's rows", promptCount(5))
	next := eval[string](t, ctx, `
		const b = layerlabPage.shell.term.buffer.active;
		for (let i = 0; i < b.length - 1; i++) {
			if (b.getLine(i).translateToString(true).startsWith(`+jsString(row)+`)) return b.getLine(i + 1).translateToString(true);
		}
		return "(no row)";`)
	if next != "next" {
		t.Errorf("the row after the padded one shows %q; want %q", next, "next")
	}
	if r := eval[execResult](t, ctx, `return await layerlab.exec("printf 'a  \\n'")`); r.Stdout != "a  \n" {
		t.Errorf("layerlab.exec keeps %q; want the blanks kept: %q", r.Stdout, "a  \n")
	}

	// A line wider than the terminal: Home, then typing at its start, redraws it whole.
	long := "echo " + strings.Repeat("x", cols+10)
	typeInTerminal(t, ctx, long)
	typeInTerminal(t, ctx, kb.Home+"# ")
	// (the terminal wraps it: compare without its row breaks)
	shown = waitTerminal(t, ctx, "the long line edited", `s.replace(/\n/g, "").endsWith(`+jsString("$ # "+long)+`)`)
	if strings.Count(shown, "xxxxxxxxxx") < 1 || strings.Count(shown, "$ # echo") != 1 || strings.Contains(shown, "$ echo xxx") {
		t.Errorf("the terminal shows\n%s\nwant the long line once, edited", shown)
	}
}
