package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/peers"
)

// TestRegistryInteropWithDocker: an image the real engine pushed is pulled by layerlab with
// the same manifest digest, and the image layerlab pushes back is pulled and run by the
// real engine.
func TestRegistryInteropWithDocker(t *testing.T) {
	host := peers.StartDocker(t)
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	rootfs := peers.BusyboxRootfs(t, t.TempDir())
	src := reg.Host + "/library/busybox:latest"
	peers.Docker(t, host, "import", "--change", "CMD [\"echo\", \"hello from layerlab\"]", rootfs, src)
	peers.Docker(t, host, "push", src)
	repoDigest := strings.TrimSpace(peers.Docker(t, host, "image", "inspect", "--format", "{{index .RepoDigests 0}}", src))

	s := store.NewMemory()
	docker := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		env := &cli.Env{Store: s, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Now: time.Now}
		if code := cli.Run(context.Background(), env, args); code != 0 {
			t.Fatalf("layerlab docker %s: exit %d: %s", strings.Join(args, " "), code, out.String())
		}
		return out.String()
	}
	out := docker("pull", src)
	wantDigest := repoDigest[strings.Index(repoDigest, "@")+1:]
	if !strings.Contains(out, "Digest: "+wantDigest+"\n") {
		t.Errorf("layerlab pull of docker's push: got\n%s\nwant digest %s", out, wantDigest)
	}
	dst := reg.Host + "/learner/again:v1"
	docker("tag", src, dst)
	docker("push", dst)
	peers.Docker(t, host, "rmi", src)
	peers.Docker(t, host, "pull", dst)
	if got := strings.TrimSpace(peers.Docker(t, host, "run", "--rm", "--network", "none", dst)); got != "hello from layerlab" {
		t.Errorf("docker run of layerlab's push: got %q; want %q", got, "hello from layerlab")
	}
	got := strings.TrimSpace(peers.Docker(t, host, "image", "inspect", "--format", "{{index .RepoDigests 0}}", dst))
	if want := reg.Host + "/learner/again@" + wantDigest; got != want {
		t.Errorf("docker's repo digest of layerlab's push: got %q; want %q", got, want)
	}
}
