//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestPagePullsThroughProxy: `docker pull` in the page goes through the /proxy/ of the server
// it was loaded from, which `--mirror docker.io=...` sends to a local docker-registry. The
// output is Docker's (the recording of a fresh pull and of a pull sharing layers), the image
// is still there after a reload, and the shared layers are not downloaded again. Then login,
// push and pull against the same server's practice hub.
func TestPagePullsThroughProxy(t *testing.T) {
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	push := func(repo string, img v1.Image) {
		t.Helper()
		r, err := name.ParseReference(reg.Host + "/library/" + repo + ":latest")
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			t.Fatalf("pushing %s: %v", r, err)
		}
	}
	push("pulltest", testimage.PullTest())
	push("pulltestchild", testimage.PullTestChild())

	site, stop, err := startServer("--mirror", "docker.io=http://"+reg.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	open := func() {
		t.Helper()
		openPageAt(t, ctx, site)
	}
	run := func(line string) execResult {
		t.Helper()
		return eval[execResult](t, ctx, `return await layerlab.exec(`+jsString(line)+`)`)
	}
	open()

	got := run("docker pull pulltest")
	checkPull(t, "pull-fresh", "pulltest", got)

	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](waitCore, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("await layerlab.ready after reload: %v", err)
	}
	imgs := run("docker images --format '{{.Repository}}:{{.Tag}}'")
	if imgs.ExitCode != 0 || imgs.Stdout != "pulltest:latest\n" {
		t.Errorf("docker images after reload: got %+v; want exit 0 and %q", imgs, "pulltest:latest\n")
	}

	got = run("docker pull pulltestchild")
	checkPull(t, "pull-shared", "pulltestchild", got)

	got = run("docker pull docker.io/library/pulltest:latest")
	checkPull(t, "pull-hub-uptodate", "pulltest", got)

	// The practice hub of the same server: log in (the account is made on first use), push,
	// and pull the pushed name back from the hub rather than from the mirror.
	steps := []struct {
		line, stdoutHas, stdoutEnds string
	}{
		{"echo s3cret | docker login -u learner --password-stdin", "Login Succeeded\n", ""},
		{"docker tag pulltest learner/app", "", ""},
		{"docker push learner/app", "The push refers to repository [docker.io/learner/app]\n",
			"latest: digest: sha256:d0a908fe76dbc411a1166153914891b49159270f9b9f56b0e4e213b36e3c2a22 size: 1064\n"},
		{"docker rmi learner/app", "Untagged: learner/app:latest\n", ""},
		{"docker pull learner/app", "Status: Downloaded newer image for learner/app:latest\n", "docker.io/learner/app:latest\n"},
	}
	for _, st := range steps {
		r := run(st.line)
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, st.stdoutHas) || !strings.HasSuffix(r.Stdout, st.stdoutEnds) {
			t.Errorf("%s: got exit %d, stdout %q, stderr %q; want exit 0 and stdout with %q ending %q", st.line, r.ExitCode, r.Stdout, r.Stderr, st.stdoutHas, st.stdoutEnds)
		}
	}
}

// checkPull compares a pull of docker.io/library/repo with core/cli's recording golden (made
// by the real docker CLI from REGISTRY/library/repo): the same lines, progress lines in any
// order (downloads finish in whatever order the network gives), the last three exactly.
func checkPull(t *testing.T, golden, repo string, got execResult) {
	t.Helper()
	t.Logf("docker pull %s:\n%s", repo, got.Stdout)
	b, err := os.ReadFile(filepath.Join("..", "core/cli/testdata/registry", golden+".stdout"))
	if err != nil {
		t.Fatalf("reading the recording: %v", err)
	}
	want := strings.NewReplacer(
		"for REGISTRY/library/"+repo+":", "for "+repo+":",
		"REGISTRY/library/"+repo+":", "docker.io/library/"+repo+":",
	).Replace(string(b))
	if got.ExitCode != 0 || got.Stderr != "" {
		t.Fatalf("docker pull %s: exit %d, stderr %q; want 0 and none\nstdout:\n%s", repo, got.ExitCode, got.Stderr, got.Stdout)
	}
	gl, wl := lines(got.Stdout), lines(want)
	if len(gl) < 3 || len(wl) < 3 || !slices.Equal(gl[len(gl)-3:], wl[len(wl)-3:]) {
		t.Errorf("docker pull %s: got\n%s\nwant it to end like\n%s", repo, got.Stdout, want)
	}
	slices.Sort(gl)
	slices.Sort(wl)
	if !slices.Equal(gl, wl) {
		t.Errorf("docker pull %s: got\n%s\nwant these lines in some order\n%s", repo, got.Stdout, want)
	}
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }
