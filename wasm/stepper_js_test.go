//go:build js && wasm

package main

import (
	"strings"
	"testing"
)

// TestBridgeStepper: buildSteps() is null before any build; after two builds with one file
// changed it names that file for the step that ran, and stepFiles() reads the step's layer.
func TestBridgeStepper(t *testing.T) {
	ll := newGlobal(t, memory)
	if _, err := await(ll.Get("ready")); err != nil {
		t.Fatal(err)
	}
	if v, err := await(ll.Call("buildSteps")); err != nil || !v.IsNull() {
		t.Fatalf("buildSteps() before a build: got %v, %v; want null", v, err)
	}
	write := func(p, s string) {
		t.Helper()
		if _, err := await(ll.Call("writeFile", p, s)); err != nil {
			t.Fatal(err)
		}
	}
	build := func() {
		t.Helper()
		r, err := await(ll.Call("exec", "docker build -t two ."))
		if err != nil || r.Get("exitCode").Int() != 0 {
			t.Fatalf("docker build: %v %v", err, r.Get("stderr"))
		}
	}
	write("Dockerfile", "FROM scratch\nCOPY a.txt /\nCOPY b.txt /\n")
	write("a.txt", "a\n")
	write("b.txt", "b1\n")
	build()
	write("b.txt", "b2\n")
	build()
	b, err := await(ll.Call("buildSteps"))
	if err != nil {
		t.Fatal(err)
	}
	steps := b.Get("steps")
	if steps.Length() != 2 {
		t.Fatalf("buildSteps().steps: got %d; want 2", steps.Length())
	}
	if s := steps.Index(0); !s.Get("cached").Bool() || s.Get("instruction").String() != "COPY a.txt /" {
		t.Errorf("step 1: got cached %v, instruction %q; want CACHED COPY a.txt /", s.Get("cached"), s.Get("instruction").String())
	}
	s := steps.Index(1)
	if s.Get("cached").Bool() || s.Get("changed").Index(0).String() != "file:b.txt" || !strings.Contains(s.Get("reason").String(), "b.txt") {
		t.Errorf("step 2: got cached %v, reason %q; want it ran because b.txt changed", s.Get("cached"), s.Get("reason").String())
	}
	fc, err := await(ll.Call("stepFiles", 2))
	if err != nil {
		t.Fatal(err)
	}
	if fc.Length() != 1 || fc.Index(0).Get("path").String() != "b.txt" || fc.Index(0).Get("content").String() != "b2\n" || fc.Index(0).Get("kind").String() != "added" {
		t.Errorf("stepFiles(2): got %d entries, first %q %q", fc.Length(), fc.Index(0).Get("path").String(), fc.Index(0).Get("content").String())
	}
}
