package buildkitpeer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
)

// Version is the BuildKit release the suite compares against.
const Version = "v0.33.1"

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// cacheDir is where the throwaway module that builds BuildKit lives: $XDG_CACHE_HOME (or
// ~/.cache)/layerlab/bk. BuildKit's own go.mod has exclude directives, so `go install` refuses;
// a tiny module that requires it works.
func cacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding a cache directory for buildkit: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "layerlab", "bk"), nil
}

// Binaries returns the directory holding buildkitd and buildctl at Version, building them
// the first time (about two minutes) and reusing them after.
func Binaries() (string, error) {
	binOnce.Do(func() { binDir, binErr = buildBinaries() })
	return binDir, binErr
}

func buildBinaries() (string, error) {
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bin")
	stamp := filepath.Join(bin, "VERSION")
	if b, err := os.ReadFile(stamp); err == nil && string(b) == Version {
		if exists(filepath.Join(bin, "buildkitd")) && exists(filepath.Join(bin, "buildctl")) {
			return bin, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating the buildkit build directory: %w", err)
	}
	// go test runs packages in parallel processes, and several of them need BuildKit: one
	// builds it while the others wait, then find it built.
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("locking the buildkit build directory: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("locking the buildkit build directory: %w", err)
	}
	if b, err := os.ReadFile(stamp); err == nil && string(b) == Version && exists(filepath.Join(bin, "buildkitd")) && exists(filepath.Join(bin, "buildctl")) {
		return bin, nil
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module bk\ngo 1.26.8\n"), 0o644); err != nil {
		return "", fmt.Errorf("writing the buildkit build module: %w", err)
	}
	steps := [][]string{
		{"go", "get", "github.com/moby/buildkit/cmd/buildkitd@" + Version, "github.com/moby/buildkit/cmd/buildctl@" + Version},
		{"go", "build", "-o", bin + "/", "github.com/moby/buildkit/cmd/buildkitd", "github.com/moby/buildkit/cmd/buildctl"},
	}
	for _, s := range steps {
		cmd := exec.Command(s[0], s[1:]...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("building buildkit %s (%v): %w\n%s", Version, s, err, out)
		}
	}
	if err := os.WriteFile(stamp, []byte(Version), 0o644); err != nil {
		return "", fmt.Errorf("stamping the buildkit binaries: %w", err)
	}
	return bin, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
