package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestBuildPullsMissingBase: a FROM naming an image the store does not hold pulls it, as
// docker build does, and the built image and the base are both listed afterwards; a base no
// registry has fails the build and leaves the store as it was.
func TestBuildPullsMissingBase(t *testing.T) {
	upstream := peers.StartRegistry(t, peers.RegistryOptions{})
	base, err := buildkitpeer.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	testimage.Push(t, base, upstream.Host+"/library/busybox:1.35")

	dir := t.TempDir()
	s := store.NewMemory()
	run := func(df string, args ...string) (string, string, int) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "ctx"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ctx", "Dockerfile"), []byte(df), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		env := &cli.Env{Store: s, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Files: dirFiles{dir}, Now: time.Now, Getenv: func(string) string { return "" }}
		code := cli.Run(context.Background(), env, args)
		return out.String(), errb.String(), code
	}

	_, stderr, code := run("FROM "+upstream.Host+"/library/busybox:1.35\nRUN echo hi > /hi\n", "build", "-t", "app", "ctx")
	if code != 0 {
		t.Fatalf("build with a base to pull: exit %d; stderr:\n%s", code, stderr)
	}
	stdout, _, _ := run("", "images", "--format", "{{.Repository}}:{{.Tag}}")
	for _, want := range []string{"app:latest", upstream.Host + "/library/busybox:1.35"} {
		if !strings.Contains(stdout, want+"\n") {
			t.Errorf("docker images after the build: got %q; want a line %q", stdout, want)
		}
	}

	before, _, _ := run("", "images", "-a", "--no-trunc")
	_, stderr, code = run("FROM "+upstream.Host+"/library/nosuch:1\nRUN echo hi\n", "build", "-t", "other", "ctx")
	// BuildKit's words for a base its registry does not have
	wantErr := "failed to solve: " + upstream.Host + "/library/nosuch:1: failed to resolve source metadata for " + upstream.Host + "/library/nosuch:1: " + upstream.Host + "/library/nosuch:1: not found\n"
	if code == 0 || !strings.HasSuffix(stderr, wantErr) {
		t.Errorf("build from a base no registry has: exit %d, stderr %q; want a failure ending %q", code, stderr, wantErr)
	}
	if after, _, _ := run("", "images", "-a", "--no-trunc"); after != before {
		t.Errorf("a failed build changed the images:\n%s\nwas:\n%s", after, before)
	}
}
