package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerlab/layerlab/internal/peers"
)

// TestRealDockerRoundTrip is the foundation's promise checked end to end through the built
// binary and real tools: a real `docker save` tar loads, history and inspect print what
// real docker printed for it (recorded in testdata/golden by scripts/record-golden; -H=false
// so relative times do not enter), skopeo reads the store as an OCI layout, and what
// `layerlab save` writes loads into the real engine with the same image IDs.
func TestRealDockerRoundTrip(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "layerlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building layerlab: %v\n%s", err, out)
	}
	store := filepath.Join(t.TempDir(), "store")
	golden := filepath.Join("..", "..", "testdata", "golden")
	ll := func(args ...string) string {
		t.Helper()
		c := exec.Command(bin, append([]string{"--store", store}, args...)...)
		c.Env = append(os.Environ(), "LAYERLAB_HOME=/nonexistent-layerlab-home")
		out, err := c.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("layerlab %s: %v: %s", strings.Join(args, " "), err, stderr)
		}
		return string(out)
	}
	want := func(c string) string {
		b, err := os.ReadFile(filepath.Join(golden, c, "stdout"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	for _, c := range []string{"001-load-base", "002-load-all"} {
		if got := ll("load", "-i", filepath.Join(golden, "images", strings.TrimPrefix(c, c[:9])+".tar")); got != want(c) {
			t.Errorf("load %s: got\n%s\nwant (real docker)\n%s", c, got, want(c))
		}
	}
	if got := ll("history", "-H=false", "layerlab/app:1.0"); got != want("028-history-human-false") {
		t.Errorf("history -H=false: got\n%s\nwant (real docker)\n%s", got, want("028-history-human-false"))
	}
	for _, c := range []struct {
		args   []string
		golden string
	}{
		{[]string{"image", "inspect", "layerlab/app:1.0"}, "039-inspect-layerlab-app-1.0"},
		{[]string{"image", "inspect", "layerlab/base"}, "038-inspect-layerlab-base"},
	} {
		if got := ll(c.args...); got != want(c.golden) {
			t.Errorf("%s: got\n%s\nwant (real docker)\n%s", strings.Join(c.args, " "), got, want(c.golden))
		}
	}

	// skopeo reads the store directory as the OCI layout it is.
	out := peers.Run(t, "skopeo", "inspect", "--raw", "oci:"+store+":docker.io/layerlab/app:1.0")
	var m struct {
		Config struct{ Digest string }
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("skopeo inspect --raw: %v: %s", err, out)
	}
	id := strings.TrimSpace(ll("image", "inspect", "--format", "{{.Id}}", "layerlab/app:1.0"))
	if m.Config.Digest != id {
		t.Errorf("skopeo sees config %s; layerlab's image ID is %s", m.Config.Digest, id)
	}

	// What layerlab saves, the real engine loads, with the same IDs and the same history.
	tarPath := filepath.Join(t.TempDir(), "out.tar")
	ll("save", "-o", tarPath, "layerlab/app:1.0", "layerlab/longrun", "layerlab/base")
	host := peers.StartDocker(t)
	peers.Docker(t, host, "load", "-i", tarPath)
	for _, name := range []string{"layerlab/app:1.0", "layerlab/longrun:latest", "layerlab/base:latest"} {
		ours := strings.TrimSpace(ll("image", "inspect", "--format", "{{.Id}}", name))
		theirs := strings.TrimSpace(peers.Docker(t, host, "image", "inspect", "--format", "{{.Id}}", name))
		if ours != theirs {
			t.Errorf("%s: docker loaded ID %s; layerlab's is %s", name, theirs, ours)
		}
		oursH := ll("history", "-H=false", "--no-trunc", name)
		theirsH := peers.Docker(t, host, "history", "-H=false", "--no-trunc", name)
		if oursH != theirsH {
			t.Errorf("%s: history after the round trip differs:\nlayerlab:\n%s\ndocker:\n%s", name, oursH, theirsH)
		}
	}
}
