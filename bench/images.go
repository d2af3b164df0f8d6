package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"text/tabwriter"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/layerlab/layerlab/internal/bigimage"
)

// wasmTargetBrotli is issue 3's target for the wasm as the browser downloads it.
const wasmTargetBrotli = 3.5e6

// The foundation's figures: load and save of a ~50 MB image tar (layerlab vs docker load/save on
// Debian's engine, and skopeo copy docker-archive: -> oci:), history / inspect latency (layerlab
// CLI vs docker CLI talking to the engine), and the wasm's size.
func init() {
	register(section{name: "images", order: 10, run: benchImages})
	register(section{name: "wasm-size", order: 90, run: func(*bench) ([]row, error) { return nil, printWasmSize(os.Stdout, *site) }})
}

func benchImages(b *bench) ([]row, error) {
	for _, tool := range []string{"dockerd", "docker", "skopeo"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is not installed: apt-get install -y docker.io skopeo", tool)
		}
	}

	imgTar := filepath.Join(b.work, "image.tar")
	n, err := writeImage(imgTar, *sizeMB<<20)
	if err != nil {
		return nil, fmt.Errorf("making the test image: %w", err)
	}
	log.Printf("test image: %s, %.1f MB, 5 layers", imgTar, float64(n)/1e6)

	dockerHost, stop, err := startDocker(b.work)
	if err != nil {
		return nil, fmt.Errorf("starting dockerd: %w", err)
	}
	defer stop()
	docker := func(args ...string) *exec.Cmd {
		c := exec.Command("docker", args...)
		c.Env = append(os.Environ(), "DOCKER_HOST="+dockerHost)
		return c
	}
	ll := func(store string, args ...string) *exec.Cmd {
		return exec.Command(b.bin, append([]string{"--store", store}, args...)...)
	}

	var rows []row

	// load
	i := 0
	ours := median(*runs, func() (time.Duration, error) {
		i++
		return timed(ll(filepath.Join(b.work, fmt.Sprintf("s%d", i)), "load", "-i", imgTar))
	})
	peer := median(*runs, func() (time.Duration, error) {
		if _, err := docker("rmi", "-f", "bench:latest").CombinedOutput(); err != nil {
			// Not there on the first run.
		}
		return timed(docker("load", "-i", imgTar))
	})
	rows = append(rows, row{what: "load ~50 MB tar", ours: "layerlab load", peer: "docker load", oursT: ours, peerT: peer, bytes: n})
	j := 0
	sk := median(*runs, func() (time.Duration, error) {
		j++
		return timed(exec.Command("skopeo", "copy", "-q", "docker-archive:"+imgTar, fmt.Sprintf("oci:%s:bench", filepath.Join(b.work, fmt.Sprintf("k%d", j)))))
	})
	rows = append(rows, row{what: "load ~50 MB tar", ours: "layerlab load", peer: "skopeo copy docker-archive: oci:", oursT: ours, peerT: sk, bytes: n})

	// save
	store := filepath.Join(b.work, "s1")
	out := filepath.Join(b.work, "out.tar")
	ours = median(*runs, func() (time.Duration, error) { return timed(ll(store, "save", "-o", out, "bench:latest")) })
	peer = median(*runs, func() (time.Duration, error) { return timed(docker("save", "-o", out, "bench:latest")) })
	rows = append(rows, row{what: "save ~50 MB image", ours: "layerlab save", peer: "docker save", oursT: ours, peerT: peer, bytes: n})

	// history / inspect latency
	ours = median(*runs*4, func() (time.Duration, error) { return timed(ll(store, "history", "bench:latest")) })
	peer = median(*runs*4, func() (time.Duration, error) { return timed(docker("history", "bench:latest")) })
	rows = append(rows, row{what: "history", ours: "layerlab history", peer: "docker history", oursT: ours, peerT: peer})
	ours = median(*runs*4, func() (time.Duration, error) { return timed(ll(store, "image", "inspect", "bench:latest")) })
	peer = median(*runs*4, func() (time.Duration, error) { return timed(docker("image", "inspect", "bench:latest")) })
	rows = append(rows, row{what: "image inspect", ours: "layerlab image inspect", peer: "docker image inspect", oursT: ours, peerT: peer})

	return rows, nil
}

// printWasmSize prints the site's wasm raw and as precompressed by web/build.mjs (the .gz and
// .br files the server sends), beside the brotli target.
func printWasmSize(w io.Writer, dir string) error {
	matches, err := filepath.Glob(filepath.Join(dir, "layerlab-*.wasm"))
	if err != nil || len(matches) != 1 {
		return fmt.Errorf("reading the wasm size: want one layerlab-*.wasm in %s, found %d (run make build)", dir, len(matches))
	}
	var sizes [3]int64
	for i, name := range []string{matches[0], matches[0] + ".gz", matches[0] + ".br"} {
		fi, err := os.Stat(name)
		if err != nil {
			return fmt.Errorf("reading the wasm size: %w", err)
		}
		sizes[i] = fi.Size()
	}
	mb := func(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }
	verdict := "met"
	if float64(sizes[2]) > wasmTargetBrotli {
		verdict = fmt.Sprintf("over by %.2f MB", (float64(sizes[2])-wasmTargetBrotli)/1e6)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nwork\traw\tgzip\tbrotli\ttarget (brotli)\n")
	fmt.Fprintf(tw, "wasm size\t%s\t%s\t%s\tat most %s: %s\n", mb(sizes[0]), mb(sizes[1]), mb(sizes[2]), mb(wasmTargetBrotli), verdict)
	return tw.Flush()
}

// writeImage writes a docker save tar of a 5-layer image named bench:latest whose layers hold
// random (incompressible) files adding up to about size bytes.
func writeImage(path string, size int) (int64, error) {
	return bigimage.WriteFile(path, "bench:latest", size, 5)
}

// randomImage is a linux/amd64 image of 5 layers holding random (incompressible) files adding
// up to about size bytes.
func randomImage(size int) (v1.Image, error) { return bigimage.Random(size, 5) }

// startDocker starts Debian's dockerd privately, as ../shared/notes/peers.md describes.
func startDocker(work string) (string, func(), error) {
	d := filepath.Join(work, "docker")
	os.MkdirAll(d, 0o755)
	sock := filepath.Join(d, "docker.sock")
	logf, _ := os.Create(filepath.Join(d, "dockerd.log"))
	cmd := exec.Command("dockerd", "--data-root", filepath.Join(d, "root"), "--exec-root", filepath.Join(d, "exec"),
		"--pidfile", filepath.Join(d, "pid"), "-H", "unix://"+sock, "--iptables=false", "--bridge=none")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
		}
	}
	host := "unix://" + sock
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		c := exec.Command("docker", "version")
		c.Env = append(os.Environ(), "DOCKER_HOST="+host)
		if c.Run() == nil {
			return host, stop, nil
		}
		time.Sleep(300 * time.Millisecond)
	}
	stop()
	b, _ := os.ReadFile(filepath.Join(d, "dockerd.log"))
	return "", nil, fmt.Errorf("dockerd did not answer within 60s; its log:\n%s", b)
}
