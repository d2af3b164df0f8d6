package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/proxy"
)

var (
	proxyClients = flag.Int("proxy-clients", 200, "concurrent pulls in the proxy section")
	// Each measurement moves clients x image size (4-8 GB at the defaults): one run each,
	// unless asked for more.
	proxyRuns = flag.Int("proxy-runs", 1, "runs of each proxy measurement (the median is printed)")
)

// The proxy's figures (issue 5): many concurrent pulls of one image through `layerlab serve`'s
// /proxy/ from a local upstream (go-containerregistry's registry in this process, blobs on
// disk), against the same pulls straight from the upstream; throughput, and the server's peak
// memory (VmHWM of the serve process) at two image sizes, which should stay about the same:
// the proxy streams blobs, it never holds one whole.
func init() {
	register(section{name: "proxy", order: 40, run: benchProxy})
}

func benchProxy(b *bench) ([]row, error) {
	up, err := startUpstream(filepath.Join(b.work, "upstream"))
	if err != nil {
		return nil, err
	}
	defer up.Close()
	clients := *proxyClients
	var rows []row
	for _, mb := range []int{20, 40} {
		repo := fmt.Sprintf("bench/proxy%d", mb)
		img, err := proxyImage(mb << 20)
		if err != nil {
			return nil, err
		}
		ref, _ := name.ParseReference(up.host + "/" + repo + ":latest")
		if err := remote.Write(ref, img); err != nil {
			return nil, fmt.Errorf("pushing the %d MB image to the upstream: %w", mb, err)
		}
		size, err := imageBytes(img)
		if err != nil {
			return nil, err
		}
		for _, cached := range []bool{false, true} {
			if cached && mb != 20 {
				continue
			}
			srv, err := startServeChild(b, up.host, cached)
			if err != nil {
				return nil, err
			}
			var direct time.Duration
			through := median(*proxyRuns, func() (time.Duration, error) {
				return pullMany(srv.base, "docker.io/"+repo+":latest", clients)
			})
			if !cached {
				direct = median(*proxyRuns, func() (time.Duration, error) {
					return pullMany(nil, up.host+"/"+repo+":latest", clients)
				})
			}
			hwm, err := srv.peak()
			srv.stop()
			if err != nil {
				return nil, err
			}
			what := fmt.Sprintf("%d pulls of %d MB at once", clients, mb)
			ours := "serve /proxy/"
			if cached {
				ours += " --cache"
			}
			r := row{what: what, ours: ours, oursT: through, bytes: size * int64(clients),
				note: fmt.Sprintf("serve peak memory (VmHWM) %.0f MB; median of %d", float64(hwm)/1e6, *proxyRuns)}
			if !cached {
				r.peer, r.peerT = "straight from upstream", direct
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

type upstream struct {
	host string
	srv  *http.Server
}

func (u *upstream) Close() { u.srv.Close() }

// startUpstream serves go-containerregistry's registry (blobs on disk under dir) on loopback.
func startUpstream(dir string) (*upstream, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := ggcrregistry.New(ggcrregistry.WithBlobHandler(ggcrregistry.NewDiskBlobHandler(dir)), ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return &upstream{host: ln.Addr().String(), srv: srv}, nil
}

// proxyImage is an image of n bytes of incompressible content in 4 uncompressed tar layers
// (random bytes: the proxy never looks inside), so that n is what goes over the wire.
func proxyImage(n int) (v1.Image, error) {
	img := empty.Image
	for i := 0; i < 4; i++ {
		b := make([]byte, n/4)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		var err error
		img, err = mutate.AppendLayers(img, static.NewLayer(b, types.DockerUncompressedLayer))
		if err != nil {
			return nil, err
		}
	}
	return img, nil
}

// imageBytes is what one pull moves: manifest, config and layers.
func imageBytes(img v1.Image) (int64, error) {
	m, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	c, err := img.RawConfigFile()
	if err != nil {
		return 0, err
	}
	n := int64(len(m) + len(c))
	ls, err := img.Layers()
	if err != nil {
		return 0, err
	}
	for _, l := range ls {
		s, err := l.Size()
		if err != nil {
			return 0, err
		}
		n += s
	}
	return n, nil
}

// pullMany runs n pulls of ref at once (through the proxy at base, or straight when base is
// nil), each reading and verifying every blob, and returns the wall time.
func pullMany(base *url.URL, ref string, n int) (time.Duration, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = n
	var rt http.RoundTripper = tr
	if base != nil {
		rt = &proxy.Transport{Base: base, Next: tr}
	}
	defer tr.CloseIdleConnections()
	r, err := name.ParseReference(ref)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := pullOne(r, rt); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return d, fmt.Errorf("pulling %s: %w", ref, err)
	}
	return d, nil
}

func pullOne(r name.Reference, rt http.RoundTripper) error {
	img, err := remote.Image(r, remote.WithTransport(rt), remote.WithContext(context.Background()))
	if err != nil {
		return err
	}
	if _, err := img.RawConfigFile(); err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr // the digest check
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type serveChild struct {
	cmd  *exec.Cmd
	base *url.URL
}

// startServeChild runs `layerlab serve` mirroring docker.io to the upstream, without a rate
// limit (every pull comes from this one address).
func startServeChild(b *bench, upHost string, cached bool) (*serveChild, error) {
	dir, err := os.MkdirTemp(b.work, "serve-")
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"),
		"--mirror", "docker.io=http://" + upHost, "--rate", "0"}
	if cached {
		args = append(args, "--cache", filepath.Join(dir, "cache"), "--cache-size", "1GB")
	}
	cmd := exec.Command(b.bin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("layerlab serve said nothing: %w", err)
	}
	go io.Copy(io.Discard, out)
	i := strings.Index(line, "http://")
	if i < 0 {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("layerlab serve said %q", line)
	}
	base, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(line[i:]), "/"))
	if err != nil {
		return nil, err
	}
	return &serveChild{cmd: cmd, base: base}, nil
}

// peak is the serve process's peak resident memory so far (VmHWM), in bytes.
func (s *serveChild) peak() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("reading the serve process's memory: %w", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			f := strings.Fields(v)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", s.cmd.Process.Pid)
}

func (s *serveChild) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}
