package buildkitpeer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// BaseRef is how Dockerfiles name the base image: buildkitd resolves docker.io through a
// mirror pointing at the peer's registry, so FROM busybox works offline.
const BaseRef = "docker.io/library/busybox:latest"

// Peer is a running buildkitd plus the registry holding the base image.
type Peer struct {
	Dir      string // private directory: socket, root, config, logs
	Registry string // host:port of the registry
	Base     v1.Image
	bin      string
	addr     string
	reg      *httptest.Server
	cmd      *exec.Cmd
	done     chan error
}

// Start builds (if needed) and starts BuildKit and the registry under dir.
func Start(ctx context.Context, dir string) (p *Peer, err error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return nil, fmt.Errorf("buildkitd needs runc (apt-get install runc): %w", err)
	}
	p = &Peer{Dir: dir, bin: bin, addr: "unix://" + filepath.Join(dir, "bk.sock")}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	p.reg = httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	p.Registry = strings.TrimPrefix(p.reg.URL, "http://")

	p.Base, err = BusyboxImage()
	if err != nil {
		return p, err
	}
	mirrorRef, err := name.ParseReference(p.Registry+"/library/busybox:latest", name.Insecure)
	if err != nil {
		return p, err
	}
	if err := remote.Write(mirrorRef, p.Base, remote.WithContext(ctx)); err != nil {
		return p, fmt.Errorf("pushing the base image to %s: %w", mirrorRef, err)
	}

	cfg := fmt.Sprintf(`[registry."docker.io"]
  mirrors = [%q]
[registry.%q]
  http = true
  insecure = true
[worker.oci]
  enabled = true
  snapshotter = "native"
  gc = false
[worker.containerd]
  enabled = false
`, p.Registry, p.Registry)
	cfgPath := filepath.Join(dir, "buildkitd.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return p, fmt.Errorf("writing buildkitd.toml: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		return p, err
	}
	p.cmd = exec.Command(filepath.Join(bin, "buildkitd"), "--config", cfgPath, "--root", filepath.Join(dir, "root"), "--addr", p.addr)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return p, fmt.Errorf("starting buildkitd: %w", err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait(); logf.Close() }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.CommandContext(ctx, filepath.Join(bin, "buildctl"), "--addr", p.addr, "debug", "workers").CombinedOutput()
		if err == nil {
			break
		}
		select {
		case werr := <-p.done:
			p.done <- werr
			logb, _ := os.ReadFile(filepath.Join(dir, "buildkitd.log"))
			return p, fmt.Errorf("buildkitd exited while starting (%v):\n%s", werr, logb)
		default:
		}
		if time.Now().After(deadline) {
			logb, _ := os.ReadFile(filepath.Join(dir, "buildkitd.log"))
			return p, fmt.Errorf("buildkitd did not answer on %s within 60s: %s\n%s", p.addr, out, logb)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return p, nil
}

// StartT starts a peer for a test in a temporary directory and stops it at the end. It
// fails the test, loudly, if BuildKit cannot run.
func StartT(tb testing.TB) *Peer {
	tb.Helper()
	dir, err := os.MkdirTemp("", "buildkitpeer-")
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Start(context.Background(), dir)
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatalf("starting the BuildKit %s reference (no skip: conformance needs it): %v", Version, err)
	}
	tb.Cleanup(func() {
		p.Close()
		os.RemoveAll(dir)
	})
	return p
}

// Close stops buildkitd and the registry.
func (p *Peer) Close() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		p.cmd = nil
	}
	if p.reg != nil {
		p.reg.Close()
		p.reg = nil
	}
}

// BuildOptions are the knobs of one reference build.
type BuildOptions struct {
	Dockerfile      string            // file name inside the context, default "Dockerfile"
	BuildArgs       map[string]string // besides SOURCE_DATE_EPOCH
	SourceDateEpoch string            // default "0"; "-" for none
	NoCache         bool
	Target          string
	// Push, when set (e.g. "library/base:latest"), pushes the result to the peer's registry
	// under that name instead of writing an OCI tar; Build then reads it back from there.
	Push string
	// Name, when set (e.g. "docker.io/library/app:latest"), exports with BuildKit's image
	// exporter under that name into buildkitd's own image store (no push, no OCI tar), so
	// the progress log shows the image exporter's block; Result.Image is then nil.
	Name string
	// Opts are further frontend options, passed as --opt (e.g. "call=check",
	// "build-arg:BUILDKIT_DOCKERFILE_CHECK=skip=all").
	Opts []string
}

// Result is what one reference build produced.
type Result struct {
	Image v1.Image
	Log   string // buildctl's plain progress output
}

// Build runs buildctl on contextDir and returns the image from the OCI tar it writes
// (rewrite-timestamp=true).
func (p *Peer) Build(ctx context.Context, contextDir string, o BuildOptions) (*Result, error) {
	out, err := os.MkdirTemp(p.Dir, "out-")
	if err != nil {
		return nil, err
	}
	dest := filepath.Join(out, "image.tar")
	df := o.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	args := []string{"--addr", p.addr, "build", "--frontend", "dockerfile.v0",
		"--local", "context=" + contextDir, "--local", "dockerfile=" + filepath.Join(contextDir, filepath.Dir(df)),
		"--opt", "filename=" + filepath.Base(df), "--progress", "plain"}
	epoch := o.SourceDateEpoch
	if epoch == "" {
		epoch = "0"
	}
	output := "type=oci,dest=" + dest
	var pushRef name.Reference
	if o.Push != "" {
		r, err := name.ParseReference(p.Registry+"/"+o.Push, name.Insecure)
		if err != nil {
			return nil, err
		}
		pushRef = r
		output = "type=image,name=" + r.String() + ",push=true,registry.insecure=true"
	}
	if o.Name != "" {
		output = "type=image,name=" + o.Name
	}
	if epoch != "-" {
		args = append(args, "--opt", "build-arg:SOURCE_DATE_EPOCH="+epoch)
		output += ",rewrite-timestamp=true"
	}
	for k, v := range o.BuildArgs {
		if k == "SOURCE_DATE_EPOCH" {
			continue // set above, with rewrite-timestamp
		}
		args = append(args, "--opt", "build-arg:"+k+"="+v)
	}
	if o.NoCache {
		args = append(args, "--no-cache")
	}
	if o.Target != "" {
		args = append(args, "--opt", "target="+o.Target)
	}
	for _, opt := range o.Opts {
		args = append(args, "--opt", opt)
	}
	args = append(args, "--output", output)
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, "buildctl"), args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return &Result{Log: log.String()}, fmt.Errorf("buildctl build %s: %w\n%s", contextDir, err, log.String())
	}
	if o.Name != "" {
		return &Result{Log: log.String()}, nil
	}
	if pushRef != nil {
		img, err := remote.Image(pushRef, remote.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("reading back %s: %w", pushRef, err)
		}
		return &Result{Image: img, Log: log.String()}, nil
	}
	img, err := readOCITar(dest, filepath.Join(out, "layout"))
	if err != nil {
		return nil, err
	}
	return &Result{Image: img, Log: log.String()}, nil
}

// readOCITar unpacks the OCI layout tar buildctl wrote and returns its single image.
func readOCITar(tarPath, dir string) (v1.Image, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", tarPath, err)
		}
		target := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return nil, err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return nil, err
			}
			w, err := os.Create(target)
			if err != nil {
				return nil, err
			}
			if _, err := io.Copy(w, tr); err != nil {
				w.Close()
				return nil, err
			}
			w.Close()
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("opening the OCI layout buildctl wrote: %w", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(im.Manifests) != 1 {
		return nil, fmt.Errorf("buildctl wrote %d manifests; want 1", len(im.Manifests))
	}
	return idx.Image(im.Manifests[0].Digest)
}
