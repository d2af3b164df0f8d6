package build_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestOnBuildFromImage: an image with ONBUILD triggers, built and pushed by BuildKit, used as
// a base by both builders: the triggers run first, with BuildKit's step names, config and
// layers.
func TestOnBuildFromImage(t *testing.T) {
	p := buildkitpeer.StartT(t)
	write := func(dir, name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	baseDir, appDir := t.TempDir(), t.TempDir()
	write(baseDir, "Dockerfile", "FROM busybox\nONBUILD COPY a.txt /onbuild/\nONBUILD RUN echo triggered > /onbuild/t\nLABEL role=base\n")
	write(appDir, "Dockerfile", "FROM onbuildbase\nCOPY b.txt /b.txt\nRUN cat /onbuild/a.txt /b.txt > /both\n")
	write(appDir, "a.txt", "a\n")
	write(appDir, "b.txt", "b\n")

	base, err := p.Build(context.Background(), baseDir, buildkitpeer.BuildOptions{Push: "library/onbuildbase:latest"})
	if err != nil {
		t.Fatal(err)
	}
	s := store.NewMemory()
	testimage.Put(t, s, buildkitpeer.BaseRef, p.Base)
	testimage.Put(t, s, "docker.io/library/onbuildbase:latest", base.Image)

	ref, err := p.Build(context.Background(), appDir, buildkitpeer.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var events []build.Event
	res, err := buildLayerlab(t, s, appDir, func(e build.Event) { events = append(events, e) })
	if err != nil {
		t.Fatalf("layerlab: %v", err)
	}
	compareImages(t, s, res, ref.Image)
	if got, want := llPattern(events), bkPattern(ref.Log); !reflect.DeepEqual(got, want) {
		t.Errorf("steps\n got: %q\nwant: %q", got, want)
	}
	if g, w := fromName(events), bkFromName(ref.Log); g != w {
		t.Errorf("FROM step: got %q; want %q", g, w)
	}
}
