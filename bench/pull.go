package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// craneVersion is the go-containerregistry version in go.mod: crane is measured at the
// version layerlab links.
const craneVersion = "v0.22.1"

// The pull figures: a ~50 MB, 5-layer image pulled from a local Debian docker-registry by
// layerlab (native), crane and skopeo, each into a fresh store or directory every run.
func init() {
	register(section{name: "pull", order: 30, run: benchPull})
}

// pullUpstream is a local registry holding the bench image; the browser section pulls it
// too (through `layerlab serve --mirror`), so its rows compare with these.
type pullUpstream struct {
	Host  string // 127.0.0.1:PORT
	Ref   string // Host/bench/pull:latest
	Bytes int64  // the image's compressed layer bytes: what a pull downloads
	stop  func()
}

func (u *pullUpstream) Close() { u.stop() }

// startPullUpstream starts Debian's docker-registry on a free port with its storage under
// dir and pushes a 5-layer image of sizeMB megabytes of random content to it.
func startPullUpstream(dir string, sizeMB int) (*pullUpstream, error) {
	if _, err := exec.LookPath("docker-registry"); err != nil {
		return nil, fmt.Errorf("docker-registry is not installed: apt-get install -y docker-registry")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	host := ln.Addr().String()
	ln.Close()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n", filepath.Join(dir, "data"), host)), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("docker-registry", "serve", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	}
	up := false
	for i := 0; i < 100 && !up; i++ {
		if resp, err := http.Get("http://" + host + "/v2/"); err == nil {
			resp.Body.Close()
			up = resp.StatusCode == http.StatusOK
		}
		if !up {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !up {
		stop()
		b, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
		return nil, fmt.Errorf("docker-registry did not answer on %s; its log:\n%s", host, b)
	}
	img, err := randomImage(sizeMB << 20)
	if err != nil {
		stop()
		return nil, fmt.Errorf("making the bench image: %w", err)
	}
	ref := host + "/bench/pull:latest"
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		stop()
		return nil, err
	}
	if err := remote.Write(r, img); err != nil {
		stop()
		return nil, fmt.Errorf("pushing the bench image: %w", err)
	}
	ls, _ := img.Layers()
	var n int64
	for _, l := range ls {
		sz, _ := l.Size()
		n += sz
	}
	return &pullUpstream{Host: host, Ref: ref, Bytes: n, stop: stop}, nil
}

// crane returns .cache/bin/crane, installing it there at craneVersion when it is missing.
func crane() (string, error) {
	dir, err := filepath.Abs(".cache/bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "crane")
	if out, err := exec.Command(bin, "version").Output(); err == nil && strings.TrimSpace(string(out)) == craneVersion {
		return bin, nil
	}
	log.Printf("bench: installing crane %s into %s", craneVersion, dir)
	c := exec.Command("go", "install", "github.com/google/go-containerregistry/cmd/crane@"+craneVersion)
	c.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := c.CombinedOutput(); err != nil {
		return "", fmt.Errorf("installing crane: %v\n%s", err, out)
	}
	return bin, nil
}

func benchPull(b *bench) ([]row, error) {
	if _, err := exec.LookPath("skopeo"); err != nil {
		return nil, fmt.Errorf("skopeo is not installed: apt-get install -y skopeo")
	}
	craneBin, err := crane()
	if err != nil {
		return nil, err
	}
	up, err := startPullUpstream(filepath.Join(b.work, "upstream"), *sizeMB)
	if err != nil {
		return nil, err
	}
	defer up.Close()
	log.Printf("pull image: %s, %.1f MB compressed, 5 layers", up.Ref, float64(up.Bytes)/1e6)

	fresh := func(prefix string) func() string {
		i := 0
		return func() string {
			i++
			return filepath.Join(b.work, fmt.Sprintf("%s%d", prefix, i))
		}
	}
	llDir, craneDir, skopeoDir := fresh("ll"), fresh("crane"), fresh("skopeo")
	// Interleaved, so that the machine's load falls on all three alike.
	var ours, cr, sk []time.Duration
	for i := 0; i < *runs; i++ {
		for _, m := range []struct {
			to  *[]time.Duration
			cmd *exec.Cmd
		}{
			{&ours, exec.Command(b.bin, "--store", llDir(), "--hub=", "pull", "-q", up.Ref)},
			{&cr, exec.Command(craneBin, "pull", "--insecure", "--format", "oci", up.Ref, craneDir())},
			{&sk, exec.Command("skopeo", "copy", "-q", "--src-tls-verify=false", "docker://"+up.Ref, "oci:"+skopeoDir()+":bench")},
		} {
			d, err := timed(m.cmd)
			if err != nil {
				return nil, err
			}
			*m.to = append(*m.to, d)
		}
	}
	med := func(ds []time.Duration) time.Duration {
		d := append([]time.Duration(nil), ds...)
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	mbs := func(d time.Duration) string { return fmt.Sprintf("peer %.0f MB/s", float64(up.Bytes)/1e6/d.Seconds()) }
	what := fmt.Sprintf("pull ~%d MB, 5 layers, local registry", *sizeMB)
	return []row{
		{what: what, ours: "layerlab pull", peer: "crane pull --format oci", oursT: med(ours), peerT: med(cr), bytes: up.Bytes,
			note: mbs(med(cr)) + "; layerlab also decompresses each layer to check its diff_id"},
		{what: what, ours: "layerlab pull", peer: "skopeo copy docker:// oci:", oursT: med(ours), peerT: med(sk), bytes: up.Bytes, note: mbs(med(sk))},
	}, nil
}
