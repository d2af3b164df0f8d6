package peers

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BuildKitVersion is the reference BuildKit the project compares against (see
// ../shared/notes/peers.md: the newest release whose dependencies the module proxy serves).
const BuildKitVersion = "v0.33.1"

var buildKitOnce sync.Mutex

// BuildKitBinaries returns the directory holding buildkitd and buildctl at BuildKitVersion,
// building them on first use into the user cache directory (about 2-5 minutes once, then
// reused). BuildKit's go.mod has exclude directives, so `go install pkg@version` refuses; a
// throwaway module that requires it works.
func BuildKitBinaries(t testing.TB) string {
	t.Helper()
	buildKitOnce.Lock()
	defer buildKitOnce.Unlock()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("building BuildKit: %v", err)
	}
	bin := filepath.Join(cache, "layerlab", "buildkit-"+BuildKitVersion, "bin")
	if isFile(filepath.Join(bin, "buildkitd")) && isFile(filepath.Join(bin, "buildctl")) {
		return bin
	}
	work, err := os.MkdirTemp("", "llbkbuild")
	if err != nil {
		t.Fatalf("building BuildKit: %v", err)
	}
	defer os.RemoveAll(work)
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte("module bk\n\ngo 1.26.8\n"), 0o644); err != nil {
		t.Fatalf("building BuildKit: %v", err)
	}
	gocmd := func(args ...string) {
		t.Helper()
		c := exec.Command("go", args...)
		c.Dir = work
		c.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("building BuildKit: go %s: %v\n%s", strings.Join(args, " "), err, tail(out, 4096))
		}
	}
	t.Logf("building BuildKit %s once into %s (a few minutes)", BuildKitVersion, bin)
	gocmd("get", "github.com/moby/buildkit/cmd/buildkitd@"+BuildKitVersion, "github.com/moby/buildkit/cmd/buildctl@"+BuildKitVersion)
	tmpBin := filepath.Join(work, "bin")
	gocmd("build", "-o", tmpBin+"/", "github.com/moby/buildkit/cmd/buildkitd", "github.com/moby/buildkit/cmd/buildctl")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatalf("building BuildKit: %v", err)
	}
	// Another test process may have finished first; either result is the same build.
	if err := os.Rename(tmpBin, bin); err != nil && !isFile(filepath.Join(bin, "buildctl")) {
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
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		t.Fatalf("starting buildkitd: %v", err)
	}
	cmd := exec.Command(filepath.Join(bin, "buildkitd"), "--config", cfg, "--root", filepath.Join(dir, "root"), "--addr", bk.Addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting buildkitd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil {
				t.Logf("buildkitd log (last 4 KB):\n%s", tail(b, 4096))
			}
		}
		_ = os.RemoveAll(dir)
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("starting buildkitd: it exited (%v); log:\n%s", err, tail(b, 4096))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := exec.CommandContext(ctx, bk.buildctl, "--addr", bk.Addr, "debug", "workers").Run()
		cancel()
		if err == nil {
			return bk
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("starting buildkitd: no answer on %s within 60 s; log:\n%s", bk.Addr, tail(b, 4096))
		}
		time.Sleep(200 * time.Millisecond)
	}
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
