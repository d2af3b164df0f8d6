package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuildTarget(t *testing.T) {
	for _, tc := range []struct {
		ours, peer time.Duration
		want       string
	}{
		{20 * time.Millisecond, 200 * time.Millisecond, "target <= half BuildKit's (100ms): met"},
		{100 * time.Millisecond, 200 * time.Millisecond, "target <= half BuildKit's (100ms): met"},
		{339 * time.Millisecond, 384 * time.Millisecond, "target <= half BuildKit's (192ms): over by 147ms"},
	} {
		if got := target(row{oursT: tc.ours, peerT: tc.peer}); got != tc.want {
			t.Errorf("target(%s, %s): got %q; want %q", tc.ours, tc.peer, got, tc.want)
		}
	}
}

func TestMakeBuildInputs(t *testing.T) {
	in, err := makeBuildInputs(t.TempDir(), 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 2 {
		t.Fatalf("%d inputs; want 2", len(in))
	}
	for _, i := range in {
		df, err := os.ReadFile(filepath.Join(i.Dir, "Dockerfile"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(df), "\nFROM node:6-alpine\n") && !strings.HasPrefix(string(df), "FROM node:6-alpine\n") {
			t.Errorf("%s: Dockerfile does not build on the node:6-alpine stand-in:\n%s", i.Name, df)
		}
		if _, err := os.Stat(filepath.Join(i.Dir, i.Change)); err != nil {
			t.Errorf("%s: the file to change: %v", i.Name, err)
		}
	}
	steps := 0
	df, _ := os.ReadFile(filepath.Join(in[1].Dir, "Dockerfile"))
	for _, l := range strings.Split(strings.TrimSpace(string(df)), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			steps++
		}
	}
	if steps != 20 {
		t.Errorf("%d instructions; want 20", steps)
	}
	if got, want := in[1].Bytes>>20, int64(4); got != want {
		t.Errorf("context: %d MB; want %d", got, want)
	}
}
