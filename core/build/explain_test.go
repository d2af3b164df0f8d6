package build_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/layerlab/layerlab/core/build"
)

// TestExplain builds a Dockerfile, changes one input at a time, builds again, and checks
// what the stepper says about each step: CACHED, or ran and which input changed.
func TestExplain(t *testing.T) {
	s := baseStore(t)
	ctx := context.Background()
	file := func(s string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(s), Mode: 0o644, ModTime: time.Unix(100, 0)}
	}
	files := fstest.MapFS{"a.txt": file("a"), "b.txt": file("b"), "lib/c.txt": file("c")}
	df := func(echo string) string {
		return "FROM busybox\nWORKDIR /app\nCOPY a.txt ./\nCOPY b.txt lib ./\nARG V=1\nRUN echo " + echo + " $V > out.txt\n"
	}
	// want: per numbered step after FROM, "CACHED" or the Changed list joined by ","
	cases := []struct {
		name   string
		change func()
		df     string
		args   map[string]string
		want   []string
		reason string // a phrase the explanation of the last step holds
	}{
		{"first build", func() {}, df("hi"), nil, []string{"", "", "", ""}, "no earlier build"},
		{"unchanged", func() {}, df("hi"), nil, []string{"CACHED", "CACHED", "CACHED", "CACHED"}, "CACHED"},
		{"b.txt changed", func() { files["b.txt"] = file("B") }, df("hi"), nil, []string{"CACHED", "CACHED", "file:b.txt", "parent"}, "a step above it ran"},
		{"a file in a copied folder changed", func() { files["lib/c.txt"] = file("C") }, df("hi"), nil, []string{"CACHED", "CACHED", "file:lib/c.txt", "parent"}, "every step after a cache miss"},
		{"a file added to a copied folder", func() { files["lib/d.txt"] = file("d") }, df("hi"), nil, []string{"CACHED", "CACHED", "file:lib/d.txt", "parent"}, "a step above it ran"},
		{"instruction changed", func() {}, df("ho"), nil, []string{"CACHED", "CACHED", "CACHED", "instruction"}, `it was "RUN echo hi $V > out.txt"`},
		{"build arg changed", func() {}, df("ho"), map[string]string{"V": "2", "SOURCE_DATE_EPOCH": "0"}, []string{"CACHED", "CACHED", "CACHED", "env:V"}, "an ARG or ENV it sees changed: V"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.change()
			if _, _, err := run(t, s, tc.df, files, build.Options{BuildArgs: tc.args}); err != nil {
				t.Fatal(err)
			}
			prev, err := build.ReadLastBuild(ctx, s, build.LastBuildPrevious)
			if err != nil {
				t.Fatal(err)
			}
			cur, err := build.ReadLastBuild(ctx, s, build.LastBuildKey)
			if err != nil || cur == nil {
				t.Fatalf("reading the last build: %v, %v", cur, err)
			}
			whys := build.Explain(prev, cur)
			if len(whys) != 5 {
				t.Fatalf("got %d explanations; want 5 (FROM and four steps): %+v", len(whys), whys)
			}
			for i, w := range whys[1:] {
				got := strings.Join(w.Changed, ",")
				if w.Cached {
					got = "CACHED"
				}
				if got != tc.want[i] {
					t.Errorf("step %d: got %q; want %q (%s)", w.Step, got, tc.want[i], w.Reason)
				}
			}
			if last := whys[4].Reason; !strings.Contains(last, tc.reason) {
				t.Errorf("last step's reason: got %q; want it to say %q", last, tc.reason)
			}
		})
	}
}

// TestStepChanges reads a step's layer back: added files with their text, a directory, and
// a file an earlier step made counting as modified.
func TestStepChanges(t *testing.T) {
	s := baseStore(t)
	ctx := context.Background()
	files := fstest.MapFS{"a.txt": {Data: []byte("hello\n"), Mode: 0o644}, "bin.dat": {Data: []byte{0, 1, 2}, Mode: 0o644}}
	df := "FROM busybox\nWORKDIR /app\nCOPY a.txt bin.dat ./\nRUN echo more >> a.txt && rm bin.dat\n"
	if _, _, err := run(t, s, df, files, build.Options{}); err != nil {
		t.Fatal(err)
	}
	lb, err := build.ReadLastBuild(ctx, s, build.LastBuildKey)
	if err != nil {
		t.Fatal(err)
	}
	got3, err := build.StepChanges(ctx, s, lb, 3)
	if err != nil {
		t.Fatal(err)
	}
	want3 := map[string]string{"app": "modified dir", "app/a.txt": "added file hello\n", "app/bin.dat": "added file "}
	check := func(step int, got []build.FileChange, want map[string]string) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("step %d: got %d entries %+v; want %d", step, len(got), got, len(want))
		}
		for _, c := range got {
			g := c.Kind + " " + c.Type
			if c.Type == "file" {
				g += " " + c.Content
			}
			if g != want[c.Path] {
				t.Errorf("step %d: %s: got %q; want %q", step, c.Path, g, want[c.Path])
			}
		}
	}
	check(3, got3, want3)
	got4, err := build.StepChanges(ctx, s, lb, 4)
	if err != nil {
		t.Fatal(err)
	}
	check(4, got4, map[string]string{"app": "modified dir", "app/a.txt": "modified file hello\nmore\n", "app/bin.dat": "deleted other"})
}
