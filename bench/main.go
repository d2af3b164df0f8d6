// Command bench measures layerlab against the real tools doing the same work in the same run
// and prints a table of medians and ratios. It is `make bench`; nothing in it asserts a time.
//
// The work is split into sections, one file each (images.go: load/save/history/inspect and the
// wasm size; other files add build, pull, browser and proxy figures). Each section registers
// itself with register() and returns rows; main prints them as one table per section.
// `go run ./bench -only images,build` runs some sections.
package main

import (
	"bytes"
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
)

var (
	runs     = flag.Int("runs", 5, "runs of each measurement; the median is printed")
	sizeMB   = flag.Int("size", 50, "size of the test images in MB (incompressible content)")
	layerlab = flag.String("layerlab", "bin/layerlab", "the layerlab binary to measure")
	site     = flag.String("site", "cmd/layerlab/site", "the built site (web/build.mjs) whose wasm size is reported")
	only     = flag.String("only", "", "comma-separated sections to run (default: all)")
)

// A section is one group of measurements. run gets a private work directory and returns its rows;
// an error stops the bench (a peer that cannot start is a failure, not a skipped row).
type section struct {
	name  string
	order int
	run   func(b *bench) ([]row, error)
}

var sections []section

func register(s section) { sections = append(sections, s) }

// bench is what every section gets.
type bench struct {
	work string // a private temporary directory, removed at the end
	bin  string // absolute path of the layerlab binary
}

// A row compares layerlab with a peer doing the same work. bytes, when set, turns the layerlab
// time into a throughput. note is printed in the last column (targets, units, explanations).
// A row with peer == "" is a plain measurement without a ratio.
type row struct {
	what, ours, peer string
	oursT, peerT     time.Duration
	bytes            int64
	note             string
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
	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	sort.SliceStable(sections, func(i, j int) bool { return sections[i].order < sections[j].order })
	ran := 0
	for _, s := range sections {
		if len(want) > 0 && !want[s.name] {
			continue
		}
		ran++
		dir := filepath.Join(work, s.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		log.Printf("bench: section %s", s.name)
		fmt.Printf("\n## %s\n", s.name)
		rows, err := s.run(&bench{work: dir, bin: bin})
		if err != nil {
			log.Fatalf("bench: %s: %v", s.name, err)
		}
		printRows(os.Stdout, s.name, rows)
	}
	if ran == 0 {
		var names []string
		for _, s := range sections {
			names = append(names, s.name)
		}
		log.Fatalf("bench: no section matches -only %q; sections: %s", *only, strings.Join(names, ", "))
	}
}

func printRows(w io.Writer, name string, rows []row) {
	if len(rows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "work\tlayerlab\tmedian\tpeer\tmedian\tratio (peer/layerlab)\tlayerlab MB/s\tnote\n")
	for _, r := range rows {
		mbs := ""
		if r.bytes > 0 && r.oursT > 0 {
			mbs = fmt.Sprintf("%.0f", float64(r.bytes)/1e6/r.oursT.Seconds())
		}
		peerT, ratio := "", ""
		if r.peer != "" {
			peerT, ratio = round(r.peerT), fmt.Sprintf("%.2fx", float64(r.peerT)/float64(r.oursT))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.what, r.ours, round(r.oursT), r.peer, peerT, ratio, mbs, r.note)
	}
	tw.Flush()
	fmt.Fprintf(w, "(medians of %d runs unless the row says otherwise; ratio > 1 means layerlab is faster)\n", *runs)
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

// median runs f n times and returns the median; the first error stops the bench.
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
