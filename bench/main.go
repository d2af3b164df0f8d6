// Command bench measures layerlab against the real tools doing the same work in the same run
// and prints a table of medians and ratios. It is `make bench`; nothing in it asserts a time.
//
// Foundation figures: load and save of a ~50 MB image tar (layerlab vs docker load/save on
// Debian's engine, and skopeo copy docker-archive: -> oci:), and history / inspect latency
// (layerlab CLI vs docker CLI talking to the engine).
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var (
	runs     = flag.Int("runs", 5, "runs of each measurement; the median is printed")
	sizeMB   = flag.Int("size", 50, "size of the test image in MB (incompressible content)")
	layerlab = flag.String("layerlab", "bin/layerlab", "the layerlab binary to measure")
	site     = flag.String("site", "cmd/layerlab/site", "the built site (web/build.mjs) whose wasm size is reported")
)

// wasmTargetBrotli is issue 3's target for the wasm as the browser downloads it.
const wasmTargetBrotli = 3.5e6

type row struct {
	what, ours, peer string
	oursT, peerT     time.Duration
	bytes            int64
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	work, err := os.MkdirTemp("", "layerlab-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)

	bin, err := filepath.Abs(*layerlab)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		log.Fatalf("bench: %s not found: run `make build` first (make bench does)", bin)
	}
	for _, tool := range []string{"dockerd", "docker", "skopeo"} {
		if _, err := exec.LookPath(tool); err != nil {
			log.Fatalf("bench: %s is not installed: apt-get install -y docker.io skopeo", tool)
		}
	}

	imgTar := filepath.Join(work, "image.tar")
	n, err := writeImage(imgTar, *sizeMB<<20)
	if err != nil {
		log.Fatalf("bench: making the test image: %v", err)
	}
	log.Printf("test image: %s, %.1f MB, 5 layers", imgTar, float64(n)/1e6)

	dockerHost, stop, err := startDocker(work)
	if err != nil {
		log.Fatalf("bench: starting dockerd: %v", err)
	}
	defer stop()
	docker := func(args ...string) *exec.Cmd {
		c := exec.Command("docker", args...)
		c.Env = append(os.Environ(), "DOCKER_HOST="+dockerHost)
		return c
	}
	ll := func(store string, args ...string) *exec.Cmd {
		return exec.Command(bin, append([]string{"--store", store}, args...)...)
	}

	var rows []row

	// load
	i := 0
	ours := median(*runs, func() (time.Duration, error) {
		i++
		return timed(ll(filepath.Join(work, fmt.Sprintf("s%d", i)), "load", "-i", imgTar))
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
		return timed(exec.Command("skopeo", "copy", "-q", "docker-archive:"+imgTar, fmt.Sprintf("oci:%s:bench", filepath.Join(work, fmt.Sprintf("k%d", j)))))
	})
	rows = append(rows, row{what: "load ~50 MB tar", ours: "layerlab load", peer: "skopeo copy docker-archive: oci:", oursT: ours, peerT: sk, bytes: n})

	// save
	store := filepath.Join(work, "s1")
	out := filepath.Join(work, "out.tar")
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

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "work\tlayerlab\tmedian\tpeer\tmedian\tratio (peer/layerlab)\tlayerlab MB/s\n")
	for _, r := range rows {
		mbs := ""
		if r.bytes > 0 {
			mbs = fmt.Sprintf("%.0f", float64(r.bytes)/1e6/r.oursT.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2fx\t%s\n", r.what, r.ours, round(r.oursT), r.peer, round(r.peerT), float64(r.peerT)/float64(r.oursT), mbs)
	}
	tw.Flush()
	fmt.Printf("(medians of %d runs; latency rows of %d; ratio > 1 means layerlab is faster)\n", *runs, *runs*4)
	if err := printWasmSize(os.Stdout, *site); err != nil {
		log.Fatalf("bench: %v", err)
	}
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

func round(d time.Duration) string {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func timed(c *exec.Cmd) (time.Duration, error) {
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	start := time.Now()
	err := c.Run()
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("%s: %v\n%s", strings.Join(c.Args, " "), err, out.String())
	}
	return d, nil
}

func median(n int, f func() (time.Duration, error)) time.Duration {
	var ds []time.Duration
	for i := 0; i < n; i++ {
		d, err := f()
		if err != nil {
			log.Fatalf("bench: %v", err)
		}
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// writeImage writes a docker save tar of a 5-layer image named bench:latest whose layers hold
// random (incompressible) files adding up to about size bytes.
func writeImage(path string, size int) (int64, error) {
	img := empty.Image
	for l := 0; l < 5; l++ {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		per := size / 5 / 4
		for f := 0; f < 4; f++ {
			data := make([]byte, per)
			rand.Read(data)
			hdr := &tar.Header{Name: fmt.Sprintf("layer%d/file%d.bin", l, f), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
			if err := tw.WriteHeader(hdr); err != nil {
				return 0, err
			}
			tw.Write(data)
		}
		tw.Close()
		b := buf.Bytes()
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			return 0, err
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: fmt.Sprintf("/bin/sh -c #(nop) ADD layer%d", l), Created: v1.Time{Time: time.Unix(1700000000, 0).UTC()}}})
		if err != nil {
			return 0, err
		}
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Config.Cmd = []string{"/bin/sh"}
	img, err := mutate.ConfigFile(img, cf)
	if err != nil {
		return 0, err
	}
	tag, _ := name.NewTag("bench:latest")
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

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
