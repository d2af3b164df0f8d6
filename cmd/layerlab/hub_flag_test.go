package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestHubFlag: the native CLI with --hub reaches a running `layerlab serve`: a docker.io
// pull comes from Docker Hub through the server's proxy (here a local registry as its
// mirror), a push of a docker.io name goes to the practice hub with layerlab's line first,
// and pulls back from there; a loopback registry is reached directly even when no server
// answers at --hub.
func TestHubFlag(t *testing.T) {
	upstream := peers.StartRegistry(t, peers.RegistryOptions{})
	testimage.Push(t, testimage.PullTest(), upstream.Host+"/library/pulltest:latest")
	hub := "http://" + startServe(t, "--mirror", "docker.io=http://"+upstream.Host)
	want, _ := testimage.PullTest().Digest()

	ctx := context.Background()
	dir := t.TempDir()
	cmd := func(hub, stdin string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"--store", dir, "--hub", hub}, args...), strings.NewReader(stdin), &out, &errb)
		return out.String(), errb.String(), code
	}
	out, errs, code := cmd(hub, "", "pull", "pulltest")
	if code != 0 || !strings.Contains(out, "Digest: "+want.String()) || !strings.HasSuffix(out, "docker.io/library/pulltest:latest\n") {
		t.Fatalf("pull through the proxy: exit %d\n%s%s", code, out, errs)
	}
	if _, errs, code := cmd(hub, "s3cret1\n", "login", "-u", "learner", "--password-stdin"); code != 0 {
		t.Fatalf("login to the practice hub: %s", errs)
	}
	if _, errs, code := cmd(hub, "", "tag", "pulltest", "learner/app:v1"); code != 0 {
		t.Fatal(errs)
	}
	out, errs, code = cmd(hub, "", "push", "learner/app:v1")
	if code != 0 || errs != hubPushNoteForTest+"\n" || !strings.HasPrefix(out, "The push refers to repository [docker.io/learner/app]\n") {
		t.Fatalf("push to the practice hub: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// it went to the hub, not to Docker Hub's stand-in
	up, _ := name.ParseReference(upstream.Host + "/learner/app:v1")
	if _, err := remote.Head(up); err == nil {
		t.Errorf("the push reached the upstream registry; want it only on the practice hub")
	}
	if _, errs, code := cmd(hub, "", "rmi", "learner/app:v1"); code != 0 {
		t.Fatal(errs)
	}
	out, errs, code = cmd(hub, "", "pull", "learner/app:v1")
	if code != 0 || !strings.Contains(out, "Status: Image is up to date for learner/app:v1") && !strings.Contains(out, "Status: Downloaded newer image for learner/app:v1") {
		t.Fatalf("pull back from the practice hub: exit %d\n%s%s", code, out, errs)
	}

	// Loopback registries are pulled directly: nothing needs to answer at --hub.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	out, errs, code = cmd(dead, "", "pull", upstream.Host+"/library/pulltest")
	if code != 0 || !strings.Contains(out, "Digest: "+want.String()) {
		t.Fatalf("direct pull of a loopback registry: exit %d\n%s%s", code, out, errs)
	}
}

const hubPushNoteForTest = "layerlab: docker.io pushes go to the practice hub of layerlab serve, not to Docker Hub"
