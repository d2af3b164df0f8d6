package build_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/testimage"
)

var (
	bkStep   = regexp.MustCompile(`^#(\d+) (\[(?:[^\]]* )?\s*\d+/\d+\] .*)$`)
	bkCached = regexp.MustCompile(`^#(\d+) CACHED$`)
)

// bkPattern reads BuildKit's plain progress: for each numbered step after FROM, its name
// and whether it was CACHED.
func bkPattern(log string) []string {
	names := map[string]string{}
	cached := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		if m := bkStep.FindStringSubmatch(line); m != nil {
			names[m[1]] = m[2]
		}
		if m := bkCached.FindStringSubmatch(line); m != nil {
			cached[m[1]] = true
		}
	}
	var out []string
	for id, n := range names {
		if strings.Contains(n, "] FROM ") {
			continue
		}
		state := "run"
		if cached[id] {
			state = "CACHED"
		}
		out = append(out, n+" => "+state)
	}
	sort.Strings(out)
	return out
}

func llPattern(events []build.Event) []string {
	var out []string
	for _, e := range events {
		if strings.Contains(e.Name, "] FROM ") {
			continue
		}
		switch e.Type {
		case build.StepCached:
			out = append(out, e.Name+" => CACHED")
		case build.StepDone:
			out = append(out, e.Name+" => run")
		}
	}
	sort.Strings(out)
	return out
}

// contextWriter writes files, and the folders above them, into the build context dir.
func contextWriter(t *testing.T, dir string) func(name, content string) {
	return func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// buildBoth builds the context dir with real BuildKit (given args) and with layerlab
// (SOURCE_DATE_EPOCH=0 and args), failing the test, named by what, on an error; it returns
// BuildKit's result, layerlab's, and layerlab's events.
func buildBoth(t *testing.T, p *buildkitpeer.Peer, s store.Store, dir, what string, args map[string]string) (*buildkitpeer.Result, *build.Result, []build.Event) {
	t.Helper()
	ref, err := p.Build(context.Background(), dir, buildkitpeer.BuildOptions{BuildArgs: args})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var events []build.Event
	llArgs := map[string]string{"SOURCE_DATE_EPOCH": "0"}
	for k, v := range args {
		llArgs[k] = v
	}
	res, err := buildLayerlabArgs(t, s, dir, llArgs, func(e build.Event) { events = append(events, e) })
	if err != nil {
		t.Fatalf("%s: layerlab: %v", what, err)
	}
	return ref, res, events
}

// TestCachedPattern builds, changes one context file, and builds again, with layerlab and
// real BuildKit: the steps each reports as CACHED must be the same.
func TestCachedPattern(t *testing.T) {
	p := buildkitpeer.StartT(t)
	dir := t.TempDir()
	write := contextWriter(t, dir)
	dockerfile := func(env string) string {
		return "FROM busybox\nWORKDIR /usr/src/app\nCOPY package.json ./\nENV NODE_ENV=" + env +
			"\nCOPY index.js ./\nRUN mkdir -p build && cat index.js > build/out.js\nCOPY lib/ ./lib/\n" +
			"ARG VERSION=1\nRUN echo $VERSION > version.txt\nEXPOSE 3000\nCMD [\"node\", \"index.js\"]\n"
	}
	write("Dockerfile", dockerfile("production"))
	write("package.json", "{\"name\":\"app\"}\n")
	write("index.js", "console.log('v1')\n")
	write("lib/util.js", "module.exports = 1\n")

	s := store.NewMemory()
	testimage.Put(t, s, buildkitpeer.BaseRef, p.Base)
	steps := []struct {
		name   string
		change func()
		args   map[string]string
	}{
		{"first build", func() {}, nil},
		{"rebuild unchanged", func() {}, nil},
		{"index.js changed", func() { write("index.js", "console.log('v2')\n") }, nil},
		{"package.json touched, content same", func() {
			future := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(dir, "package.json"), future, future); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"lib/util.js changed", func() { write("lib/util.js", "module.exports = 2\n") }, nil},
		{"ENV changed: file steps keep their cache, RUN steps after it run", func() { write("Dockerfile", dockerfile("development")) }, nil},
		{"build arg given: only the RUN that sees it runs", func() {}, map[string]string{"VERSION": "2"}},
		{"same build arg again", func() {}, map[string]string{"VERSION": "2"}},
	}
	for _, st := range steps {
		st.change()
		ref, res, events := buildBoth(t, p, s, dir, st.name, st.args)
		got, want := llPattern(events), bkPattern(ref.Log)
		if g, w := fromName(events), bkFromName(ref.Log); g != w {
			t.Errorf("%s: FROM step: got %q; want %q", st.name, g, w)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CACHED pattern\n got: %q\nwant: %q", st.name, got, want)
		}
		compareImages(t, s, res, ref.Image)
	}
}

func fromName(events []build.Event) string {
	for _, e := range events {
		if strings.Contains(e.Name, "] FROM ") {
			return e.Name
		}
	}
	return ""
}

func bkFromName(log string) string {
	for _, line := range strings.Split(log, "\n") {
		if m := bkStep.FindStringSubmatch(line); m != nil && strings.Contains(m[2], "] FROM ") {
			return m[2]
		}
	}
	return ""
}
