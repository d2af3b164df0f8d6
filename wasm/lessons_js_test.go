//go:build js && wasm

package main

import (
	"strings"
	"syscall/js"
	"testing"
)

// TestBridgeLessons: lessons() lists the course; check() fails before the step and passes
// after it, recording progress; restartLesson() forgets it; a build link made by shareLink()
// opens to the same files.
func TestBridgeLessons(t *testing.T) {
	ll := newGlobal(t, memory)
	if _, err := await(ll.Get("ready")); err != nil {
		t.Fatal(err)
	}
	ls, err := await(ll.Call("lessons", map[string]any{"user": "ada"}))
	if err != nil {
		t.Fatal(err)
	}
	if n := ls.Length(); n != 8 {
		t.Fatalf("lessons(): got %d; want 8", n)
	}
	const id = "05-dockerfile-basics"
	var l js.Value
	for i := 0; i < ls.Length(); i++ {
		if ls.Index(i).Get("id").String() == id {
			l = ls.Index(i)
		}
	}
	if l.IsUndefined() || l.Get("section").String() != "Dockerfile Basics" {
		t.Fatalf("lesson %s not listed", id)
	}
	df := l.Get("steps").Index(0).Get("files").Get("Dockerfile")
	if df.Type() != js.TypeString || !strings.HasPrefix(df.String(), "FROM alpine\n") {
		t.Fatalf("step 1's Dockerfile: got %v", df)
	}
	if cmds := ls.Index(3).Get("steps").Index(0).Get("commands"); cmds.Index(1).String() != "docker tag nginx ada/nginx" {
		t.Errorf("${USER} in commands: got %q; want it expanded", cmds.Index(1).String())
	}

	r, err := await(ll.Call("check", id, 0))
	if err != nil || r.Get("passed").Bool() || !strings.Contains(r.Get("message").String(), "no file Dockerfile") {
		t.Fatalf("check before the step: got %v, %v; want a failure", r, err)
	}
	if _, err := await(ll.Call("writeFile", "Dockerfile", df)); err != nil {
		t.Fatal(err)
	}
	r, err = await(ll.Call("check", id, 0, map[string]any{"shown": true}))
	if err != nil || !r.Get("passed").Bool() || r.Get("finished").Bool() {
		t.Fatalf("check after the step: got %v, %v; want a pass, lesson not finished", r, err)
	}
	p, _ := await(ll.Call("progress", id))
	if p.Get("done").Length() != 1 || p.Get("shown").Index(0).Int() != 0 {
		t.Errorf("progress: got done %v shown %v", p.Get("done").Length(), p.Get("shown").Length())
	}
	if _, err := await(ll.Call("restartLesson", id)); err != nil {
		t.Fatal(err)
	}
	if p, _ := await(ll.Call("progress", id)); p.Get("done").Length() != 0 {
		t.Errorf("after restartLesson: %d steps still done", p.Get("done").Length())
	}
	if _, err := await(ll.Call("check", "nope", 0)); err == nil || !strings.Contains(err.Error(), `there is no lesson "nope"`) {
		t.Errorf("an unknown lesson: got %v", err)
	}

	link, err := await(ll.Call("shareLink", map[string]any{"lesson": id, "step": 1}))
	if err != nil || !strings.Contains(link.String(), "#build=") {
		t.Fatalf("shareLink: got %v, %v", link, err)
	}
	opened, err := await(ll.Call("openShareLink", link.String()))
	if err != nil {
		t.Fatal(err)
	}
	if opened.Get("lesson").String() != id || opened.Get("step").Int() != 1 || opened.Get("files").Get("Dockerfile").String() != df.String() {
		t.Errorf("openShareLink: got lesson %v step %v", opened.Get("lesson"), opened.Get("step"))
	}
	if _, err := await(ll.Call("openShareLink", "#build=AQ")); err == nil || !strings.HasPrefix(err.Error(), "opening the build link: ") {
		t.Errorf("a damaged link: got %v", err)
	}

	bad, err := await(ll.Call("loadLesson", "mine.md", "---\ntitle: x\n"))
	if err == nil || !strings.Contains(err.Error(), "mine.md:2: ") {
		t.Errorf("loadLesson of a malformed file: got %v, %v; want an error naming line 2", bad, err)
	}
}
