package peers

import (
	"github.com/layerlab/layerlab/internal/buildkitpeer"

	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BuildKitVersion is the reference BuildKit the project compares against (see
// ../shared/notes/peers.md: the newest release whose dependencies the module proxy serves).
const BuildKitVersion = buildkitpeer.Version

// BuildKitBinaries returns the directory holding buildkitd and buildctl at BuildKitVersion.
// internal/buildkitpeer owns building them (once, into the user cache); both harnesses use
// the same binaries, so a fresh machine builds BuildKit once.
func BuildKitBinaries(t testing.TB) string {
	t.Helper()
	bin, err := buildkitpeer.Binaries()
	if err != nil {
		t.Fatalf("building BuildKit: %v", err)
	}
	return bin
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// BuildKit is a running private buildkitd.
type BuildKit struct {
	Addr     string // the --addr value, unix://.../bk.sock
	buildctl string
}

// StartBuildKit starts a private buildkitd (OCI worker with runc, native snapshotter, no
// containerd) in a temporary directory and stops it when the test ends.
func StartBuildKit(t testing.TB) *BuildKit {
	t.Helper()
	if _, err := exec.LookPath("runc"); err != nil {
		t.Fatalf("starting buildkitd: runc is not on PATH (apt-get install -y runc): %v", err)
	}
	bin := BuildKitBinaries(t)
	dir, err := os.MkdirTemp("", "llbk")
	if err != nil {
		t.Fatalf("starting buildkitd: %v", err)
	}
	cfg := filepath.Join(dir, "buildkitd.toml")
	if err := os.WriteFile(cfg, []byte("[worker.oci]\n  enabled = true\n  snapshotter = \"native\"\n[worker.containerd]\n  enabled = false\n"), 0o644); err != nil {
		t.Fatalf("starting buildkitd: %v", err)
	}
	bk := &BuildKit{Addr: "unix://" + filepath.Join(dir, "bk.sock"), buildctl: filepath.Join(bin, "buildctl")}
	cmd := exec.Command(filepath.Join(bin, "buildkitd"), "--config", cfg, "--root", filepath.Join(dir, "root"), "--addr", bk.Addr)
	ready := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return exec.CommandContext(ctx, bk.buildctl, "--addr", bk.Addr, "debug", "workers").Run() == nil
	}
	startDaemon(t, "buildkitd", cmd, filepath.Join(dir, "buildkitd.log"), 60*time.Second, ready, func() { _ = os.RemoveAll(dir) })
	return bk
}

// Buildctl runs buildctl against bk in directory dir and returns its standard output,
// failing the test (with standard error) if it fails.
func (bk *BuildKit) Buildctl(t testing.TB, dir string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := exec.Command(bk.buildctl, append([]string{"--addr", bk.Addr}, args...)...)
	c.Dir = dir
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("%v", fmt.Errorf("buildctl %s: %v: %s", strings.Join(args, " "), err, tail(stderr.Bytes(), 4096)))
	}
	return stdout.String()
}
