package build_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestMountCachedPattern builds a Dockerfile with RUN mounts a few times, changing one thing
// each time, with layerlab and real BuildKit: the CACHED pattern must be the same (a bind
// mount's source and the --network mode are in the step's key, files outside the mount's
// source are not), and so must the images, whose /snapshot shows what the cache mount held
// when the step ran (so a cache mount's contents persist across builds as BuildKit's do).
func TestMountCachedPattern(t *testing.T) {
	p := buildkitpeer.StartT(t)
	dir := t.TempDir()
	write := contextWriter(t, dir)
	dockerfile := func(network string) string {
		return "FROM busybox\n" +
			"RUN --mount=type=bind,source=data,target=/d cat /d/x > /out\n" +
			"RUN --mount=type=cache,target=/c,id=log echo run >> /c/log && cp -r /c /snapshot\n" +
			"RUN --network=" + network + " echo n > /n\n"
	}
	write("Dockerfile", dockerfile("none"))
	write("data/x", "one\n")
	write("other.txt", "unrelated\n")

	s := store.NewMemory()
	testimage.Put(t, s, buildkitpeer.BaseRef, p.Base)
	steps := []struct {
		name   string
		change func()
	}{
		{"first build", func() {}},
		{"rebuild unchanged", func() {}},
		{"file outside the bind source changed", func() { write("other.txt", "changed\n") }},
		{"bind source changed: the cache mount sees its earlier contents", func() { write("data/x", "two\n") }},
		{"network mode changed", func() { write("Dockerfile", dockerfile("default")) }},
	}
	for _, st := range steps {
		st.change()
		ref, res, events := buildBoth(t, p, s, dir, st.name, nil)
		if got, want := llPattern(events), bkPattern(ref.Log); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CACHED pattern\n got: %q\nwant: %q", st.name, got, want)
		}
		compareImages(t, s, res, ref.Image)
	}
	keys, err := s.Records(context.Background(), build.MountKind)
	if err != nil || len(keys) != 1 || keys[0] != "/log" {
		t.Errorf("cache mount records: got %q, %v; want [\"/log\"]", keys, err)
	}
}

// TestMountErrors requires the errors real BuildKit gives for RUN flags it refuses.
func TestMountErrors(t *testing.T) {
	p := buildkitpeer.StartT(t)
	for _, tc := range []struct{ name, dockerfile string }{
		{"network host", "FROM busybox\nRUN --network=host echo hi\n"},
		{"required secret", "FROM busybox\nRUN --mount=type=secret,id=tok,required cat /run/secrets/tok\n"},
		{"required ssh", "FROM busybox\nRUN --mount=type=ssh,required ls /run\n"},
		{"mount target /", "FROM busybox\nRUN --mount=type=cache,target=/ ls\n"},
		{"unknown mount type", "FROM busybox\nRUN --mount=type=volume,target=/x ls\n"},
		{"bind source missing", "FROM busybox\nRUN --mount=type=bind,source=nope,target=/x ls\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(tc.dockerfile), 0o644); err != nil {
				t.Fatal(err)
			}
			ref, berr := p.Build(context.Background(), dir, buildkitpeer.BuildOptions{})
			if berr == nil {
				t.Fatalf("BuildKit built it; want an error")
			}
			// BuildKit names snapshots by random ids layerlab has no equivalent of.
			want := bkRefID.ReplaceAllString(bkError(ref.Log), ":")
			s := store.NewMemory()
			testimage.Put(t, s, buildkitpeer.BaseRef, p.Base)
			_, err := buildLayerlab(t, s, dir, nil)
			if err == nil {
				t.Fatalf("layerlab built it; want %q", want)
			}
			var se *build.StepError
			msg := err.Error()
			if errors.As(err, &se) {
				msg = se.Err.Error()
			}
			if msg != want {
				t.Errorf("got %q; want %q", msg, want)
			}
		})
	}
}

var bkRefID = regexp.MustCompile(` of ref [a-z0-9]+::[a-z0-9]+:`)

// bkError is the cause buildctl prints after "error: failed to solve: ".
func bkError(log string) string {
	for _, line := range strings.Split(log, "\n") {
		if rest, ok := strings.CutPrefix(line, "error: failed to solve: "); ok {
			return rest
		}
	}
	return ""
}
