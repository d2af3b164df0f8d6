package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/layerlab/layerlab/core/store/layout"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestRealDockerRunsLayerlabBuild: an image built by layerlab (COPY and RUN on the busybox
// base) and pushed with the native CLI to the practice hub of a running `layerlab serve` is
// pulled by the real docker engine with the digest layerlab pushed, and `docker run` prints
// what its CMD prints.
func TestRealDockerRunsLayerlabBuild(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := peers.StartDocker(t)
	hub := startServe(t)

	dir := t.TempDir()
	s, err := layout.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	base, err := buildkitpeer.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	testimage.Put(t, s, buildkitpeer.BaseRef, base)

	ctxDir := t.TempDir()
	files := map[string]string{
		"Dockerfile": "FROM busybox\nCOPY hello.txt /hello.txt\nRUN echo built by layerlab > /built.txt && cat /hello.txt >> /built.txt\nCMD [\"cat\", \"/built.txt\"]\n",
		"hello.txt":  "hello from COPY\n",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(ctxDir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img := hub + "/learner/interop:v1"
	cmd := func(stdin string, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"--store", dir, "--hub="}, args...), strings.NewReader(stdin), &out, &errb)
		if code != 0 {
			t.Fatalf("layerlab %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
		return out.String()
	}
	cmd("", "build", "-t", img, ctxDir)
	cmd("s3cret1\n", "login", "-u", "learner", "--password-stdin", hub)
	out := cmd("", "push", img)
	m := regexp.MustCompile(`(?m)^v1: digest: (sha256:[0-9a-f]{64}) size: \d+$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("push printed no digest line:\n%s", out)
	}

	peers.Docker(t, host, "pull", img)
	repoDigest := strings.TrimSpace(peers.Docker(t, host, "image", "inspect", "--format", "{{index .RepoDigests 0}}", img))
	if want := hub + "/learner/interop@" + m[1]; repoDigest != want {
		t.Errorf("docker's repo digest: got %q; want %q", repoDigest, want)
	}
	got := peers.Docker(t, host, "run", "--rm", "--network", "none", img)
	if want := "built by layerlab\nhello from COPY\n"; got != want {
		t.Errorf("docker run: got %q; want %q", got, want)
	}
}
