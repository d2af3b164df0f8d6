package build_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/dockerfile"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/testimage"
)

func baseStore(t *testing.T) *store.Memory {
	t.Helper()
	img, err := buildkitpeer.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	s := store.NewMemory()
	testimage.Put(t, s, buildkitpeer.BaseRef, img)
	return s
}

func run(t *testing.T, s store.Store, df string, ctx fstest.MapFS, o build.Options) ([]build.Event, *build.Result, error) {
	t.Helper()
	var evs []build.Event
	o.Dockerfile = []byte(df)
	o.Context = ctx
	o.Events = func(e build.Event) { evs = append(evs, e) }
	if o.BuildArgs == nil {
		o.BuildArgs = map[string]string{"SOURCE_DATE_EPOCH": "0"}
	}
	res, err := build.Build(context.Background(), s, o)
	return evs, res, err
}

func kinds(evs []build.Event) string {
	var out []string
	for _, e := range evs {
		if e.Type == build.StepCached || e.Type == build.StepDone || e.Type == build.StepFailed {
			out = append(out, string(e.Type))
		}
	}
	return strings.Join(out, " ")
}

// TestCacheRecords: the cache lives in the store (kind "buildcache"), so a second builder on
// the same store finds it; --no-cache bypasses it; a changed file invalidates its step and
// every later one.
func TestCacheRecords(t *testing.T) {
	s := baseStore(t)
	df := "FROM busybox\nWORKDIR /app\nCOPY a.txt ./\nCOPY b.txt ./\n"
	files := fstest.MapFS{
		"a.txt": {Data: []byte("a"), Mode: 0o644, ModTime: time.Unix(100, 0)},
		"b.txt": {Data: []byte("b"), Mode: 0o644, ModTime: time.Unix(100, 0)},
	}
	tests := []struct {
		name    string
		change  func()
		noCache bool
		want    string
	}{
		{"cold", func() {}, false, "done done done done"},
		{"warm", func() {}, false, "done cached cached cached"},
		{"mtime only", func() { files["a.txt"].ModTime = time.Unix(200, 0) }, false, "done cached cached cached"},
		{"a changed", func() { files["a.txt"].Data = []byte("A") }, false, "done cached done done"},
		{"no cache", func() {}, true, "done done done done"},
	}
	var first string
	for _, tc := range tests {
		tc.change()
		evs, res, err := run(t, s, df, files, build.Options{NoCache: tc.noCache})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := kinds(evs); got != tc.want {
			t.Errorf("%s: got %q; want %q", tc.name, got, tc.want)
		}
		if first == "" {
			first = res.Config.String()
		} else if tc.name == "warm" && res.Config.String() != first {
			t.Errorf("warm rebuild: got config %s; want %s", res.Config, first)
		}
	}
	keys, err := s.Records(context.Background(), build.CacheKind)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(keys), 5; got != want { // mkdir, a, b, then A and the b after it
		t.Errorf("got %d cache records; want %d", got, want)
	}
}

// TestBadInput: failures name the line and what is wrong, and leave the store as it was.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name, df, want string
	}{
		{"missing file", "FROM busybox\nCOPY nope.txt /\n", `Dockerfile:2: COPY nope.txt /: failed to compute cache key: failed to calculate checksum: "/nope.txt": not found`},
		{"missing base", "FROM nosuch:1.0\nCOPY a.txt /\n", "Dockerfile:1: FROM nosuch:1.0: nosuch:1.0: failed to resolve source metadata for docker.io/library/nosuch:1.0: docker.io/library/nosuch:1.0: not found"},
		{"syntax", "FROM busybox\nCOPPY a b\n", "parsing Dockerfile line 2: unknown instruction: COPPY: \"COPPY a b\" (did you mean COPY?)"},
		{"run not found", "FROM busybox\nRUN nosuchcmd -x\n", "Dockerfile:2: RUN nosuchcmd -x: process \"/bin/sh -c nosuchcmd -x\" did not complete successfully: exit code: 127\n/bin/sh: nosuchcmd: not found"},
		{"run exit", "FROM busybox\nRUN exit 3\n", "exit code: 3"},
		{"bad chown", "FROM busybox\nCOPY --chown=ghost a.txt /\n", "unable to find user ghost: no matching entries in passwd file"},
		{"bad signal", "FROM busybox\nSTOPSIGNAL SIGNOPE\n", "invalid signal: SIGNOPE"},
		{"stage cycle", "FROM busybox AS a\nCOPY --from=a /x /y\n", "Dockerfile:2: COPY --from=a /x /y: circular dependency detected on stage: a"},
		{"add url", "FROM busybox\nADD https://example.com/x.tar /x\n", "ADD https://example.com/x.tar: layerlab cannot fetch URLs"},
		{"checksum local", "FROM busybox\nADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 a.txt /a\n", "checksum requires HTTP(S) or Git sources"},
		{"chmod invalid", "FROM busybox\nCOPY --chmod=x a.txt /a\n", "invalid syntax"},
		{"mount bad key", "FROM busybox\nRUN --mount=type=cache,tagret=/x ls\n", "Dockerfile:2: RUN --mount=type=cache,tagret=/x ls: unexpected key 'tagret' in 'tagret=/x' (did you mean target?)"},
		{"other platform", "FROM --platform=linux/arm64 busybox\n", "Dockerfile:1: FROM --platform=linux/arm64: only linux/amd64 is supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := baseStore(t)
			before, _ := s.Index(context.Background())
			blobs, _ := s.Blobs(context.Background())
			_, _, err := run(t, s, tc.df, fstest.MapFS{"a.txt": {Data: []byte("a")}}, build.Options{Tags: []string{"x"}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error containing %q", err, tc.want)
			}
			after, _ := s.Index(context.Background())
			if len(after) != len(before) {
				t.Errorf("index: got %d entries; want %d", len(after), len(before))
			}
			blobsAfter, _ := s.Blobs(context.Background())
			if len(blobsAfter) < len(blobs) {
				t.Errorf("blobs: got %d; want at least %d", len(blobsAfter), len(blobs))
			}
		})
	}
	var pe *dockerfile.Error
	_, _, err := run(t, baseStore(t), "FROM busybox\nCOPPY a b\n", nil, build.Options{})
	if !errors.As(err, &pe) || pe.Line != 2 {
		t.Errorf("got %v; want a *dockerfile.Error on line 2", err)
	}
}

// TestTags: the image is tagged with normalized names; a rebuild moves the tag.
func TestTags(t *testing.T) {
	s := baseStore(t)
	_, res, err := run(t, s, "FROM busybox\nENV A=1\n", nil, build.Options{Tags: []string{"app", "example.com/team/app:v1"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"docker.io/library/app:latest", "example.com/team/app:v1"}
	if strings.Join(res.Tags, " ") != strings.Join(want, " ") {
		t.Errorf("got %q; want %q", res.Tags, want)
	}
	if _, _, err := run(t, s, "FROM busybox\nENV A=2\n", nil, build.Options{Tags: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	idx, _ := s.Index(context.Background())
	n := 0
	for _, e := range idx {
		if e.Name == "docker.io/library/app:latest" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("got %d entries named app:latest; want 1", n)
	}
}
