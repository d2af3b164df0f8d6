package buildcheck_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/layerlab/layerlab/core/buildcheck"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
)

// buildxVersion is the buildx release that pairs with BuildKit v0.33.1 (its go.mod requires
// it). `docker build --check` and the warning summary after a build are buildx's words, not
// BuildKit's, so the tests run the real buildx against the peer's buildkitd.
const buildxVersion = "v0.37.2"

var (
	buildxOnce sync.Once
	buildxBin  string
	buildxErr  error
)

// buildx returns the path of docker-buildx at buildxVersion, building it the first time
// (a few minutes) into $XDG_CACHE_HOME/layerlab/buildx and reusing it after.
func buildx(t *testing.T) string {
	t.Helper()
	buildxOnce.Do(func() { buildxBin, buildxErr = buildBuildx() })
	if buildxErr != nil {
		t.Fatalf("building buildx %s (no skip: the check output is buildx's): %v", buildxVersion, buildxErr)
	}
	return buildxBin
}

func buildBuildx() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		base = filepath.Join(home, ".cache")
	}
	dir := filepath.Join(base, "layerlab", "buildx")
	bin := filepath.Join(dir, "docker-buildx")
	stamp := filepath.Join(dir, "VERSION")
	ready := func() bool {
		b, err := os.ReadFile(stamp)
		_, serr := os.Stat(bin)
		return err == nil && string(b) == buildxVersion && serr == nil
	}
	if ready() {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	if ready() {
		return bin, nil
	}
	// buildx's go.mod carries replace directives, so it is built inside its own module
	// (a copy of the module cache's read-only tree), not required from a throwaway one.
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/docker/buildx@"+buildxVersion).Output()
	if err != nil {
		return "", fmt.Errorf("go mod download buildx: %w", err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("go mod download buildx: no directory in %s", out)
	}
	src := filepath.Join(dir, "src")
	os.RemoveAll(src)
	if out, err := exec.Command("cp", "-r", mod.Dir, src).CombinedOutput(); err != nil {
		return "", fmt.Errorf("copying buildx source: %w\n%s", err, out)
	}
	exec.Command("chmod", "-R", "u+w", src).Run()
	cmd := exec.Command("go", "build", "-mod=mod", "-o", bin, "./cmd/buildx")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build buildx: %w\n%s", err, out)
	}
	os.RemoveAll(src)
	return bin, os.WriteFile(stamp, []byte(buildxVersion), 0o644)
}

// buildxPeer runs buildx commands against the peer's buildkitd (the remote driver).
type buildxPeer struct {
	bin string
	cfg string
}

func newBuildx(t *testing.T, p *buildkitpeer.Peer) *buildxPeer {
	b := &buildxPeer{bin: buildx(t), cfg: t.TempDir()}
	if _, _, _, err := b.run("", "create", "--name", "peer", "--driver", "remote", "unix://"+filepath.Join(p.Dir, "bk.sock")); err != nil {
		t.Fatalf("buildx create: %v", err)
	}
	return b
}

// run returns stdout, stderr and the exit code.
func (b *buildxPeer) run(dir string, args ...string) (string, string, int, error) {
	cmd := exec.Command(b.bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BUILDX_CONFIG="+b.cfg, "DOCKER_CONFIG="+b.cfg, "BUILDX_NO_DEFAULT_ATTESTATIONS=1")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return so.String(), se.String(), ee.ExitCode(), nil
	}
	return so.String(), se.String(), 0, err
}

// summary is the part of buildx's stderr after the progress: from the blank line before
// " N warnings found" to the end.
func summary(stderr string) string {
	i := strings.Index(stderr, "\n \x1b[33m")
	if i < 0 {
		return ""
	}
	s := stderr[i:]
	// the warning lines end where anything else (a failed build's error) begins
	head, rest, _ := strings.Cut(s, "\x1b[0m")
	n := 0
	for _, l := range strings.SplitAfter(rest, "\n") {
		if !strings.HasPrefix(l, " - ") {
			break
		}
		n += len(l)
	}
	return head + "\x1b[0m" + rest[:n]
}

// TestCheckOutputAgainstBuildx runs `docker buildx build --check` (buildx v0.37.2 on the
// peer's BuildKit) and wants layerlab's WriteCheck to print the same stdout and to fail
// (exit status 1) exactly when buildx does.
func TestCheckOutputAgainstBuildx(t *testing.T) {
	p := buildkitpeer.StartT(t)
	bx := newBuildx(t, p)
	base := peerBase(t, p)
	for _, c := range ruleCases(t) {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"build", "--builder", "peer", "--progress", "plain", "--check"}
			args = append(args, buildxArgs(c.opts)...)
			stdout, stderr, code, err := bx.run(c.dir, append(args, ".")...)
			if err != nil {
				t.Fatalf("buildx: %v\n%s", err, stderr)
			}
			var got bytes.Buffer
			failed, cerr := buildcheck.WriteCheck(&got, "Dockerfile", c.df, buildcheck.Check(c.df, c.options(base)))
			if got.String() != stdout {
				t.Errorf("stdout:\ngot  %q\nwant %q", got.String(), stdout)
			}
			if failed != (code != 0) {
				t.Errorf("failed: got %v; want %v (buildx exit status %d)", failed, code != 0, code)
			}
			if cerr != nil && !strings.Contains(stderr, "ERROR: "+cerr.Error()) {
				t.Errorf("error: got %q; buildx printed %q", cerr.Error(), stderr)
			}
		})
	}
}

// TestSummaryAgainstBuildx builds the cases that build (a build, not a check: only the
// target's stages) with buildx and wants layerlab's summary: the same header (yellow, as
// buildx prints it) and the same warning lines. buildx lists them in map order, which
// changes from run to run, so the lines are compared sorted.
func TestSummaryAgainstBuildx(t *testing.T) {
	p := buildkitpeer.StartT(t)
	bx := newBuildx(t, p)
	base := peerBase(t, p)
	for _, c := range ruleCases(t) {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"build", "--builder", "peer", "--progress", "plain"}
			args = append(args, buildxArgs(c.opts)...)
			_, stderr, _, err := bx.run(c.dir, append(args, ".")...)
			if err != nil {
				t.Fatalf("buildx: %v\n%s", err, stderr)
			}
			want := summary(stderr)
			o := c.options(base)
			o.All = false
			var got bytes.Buffer
			buildcheck.WriteSummary(&got, buildcheck.Check(c.df, o).Warnings)
			gh, gl := splitSummary(got.String())
			wh, wl := splitSummary(want)
			if gh != wh || !slices.Equal(gl, wl) {
				t.Errorf("summary:\ngot  %q\nwant %q", got.String(), want)
			}
		})
	}
}

func splitSummary(s string) (string, []string) {
	lines := strings.SplitAfter(s, "\n")
	i := 0
	for i < len(lines) && !strings.HasPrefix(lines[i], " - ") && !strings.HasPrefix(lines[i], "\x1b[0m - ") {
		i++
	}
	head := strings.Join(lines[:min(i+1, len(lines))], "")
	rest := slices.Clone(lines[min(i+1, len(lines)):])
	if i < len(lines) {
		// the first warning line carries the colour reset
		head = strings.Join(lines[:i], "") + "\x1b[0m"
		rest = append([]string{strings.TrimPrefix(lines[i], "\x1b[0m")}, rest...)
	}
	sort.Strings(rest)
	return head, rest
}

// buildxArgs turns frontend options into buildx flags.
func buildxArgs(opts []string) []string {
	var args []string
	for _, o := range opts {
		switch {
		case strings.HasPrefix(o, "build-arg:"):
			args = append(args, "--build-arg", strings.TrimPrefix(o, "build-arg:"))
		case strings.HasPrefix(o, "target="):
			args = append(args, "--target", strings.TrimPrefix(o, "target="))
		}
	}
	return args
}
