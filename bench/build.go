package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/layerlab/layerlab/internal/buildkitpeer"
)

// The build figures (issue 4): the course's Node.js assignment and a 20-step Dockerfile with a
// ~50 MB context, each built cold, rebuilt fully cached and rebuilt after one context file
// changed, by `layerlab build` natively and by buildctl against buildkitd (BuildKit v0.33.1)
// on the same input in the same run. The target: a cached rebuild in at most half
// BuildKit's wall time natively.
func init() {
	register(section{name: "build", order: 20, run: benchBuild})
}

// buildInput is one Dockerfile and its context, ready for any builder: a browser row can
// call makeBuildInputs and load Dir into the page's workspace.
type buildInput struct {
	Name   string // the row label
	Dir    string // the context, with the Dockerfile in it
	Change string // the context file (relative) the third build rewrites
	Bytes  int64  // the context's size
}

// baseRef is the base both Dockerfiles name: busybox (Debian's busybox-static) under the
// assignment's node:6-alpine name, so FROM reads as in the course.
const baseRef = "docker.io/library/node:6-alpine"

// makeBuildInputs writes the benchmark's inputs under dir. contextMB sizes the 20-step
// Dockerfile's context.
func makeBuildInputs(dir string, contextMB int) ([]buildInput, error) {
	node := filepath.Join(dir, "node-assignment")
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	src := filepath.Join(root, "core", "build", "testdata", "conformance", "course-node-assignment")
	if err := copyTree(src, node); err != nil {
		return nil, fmt.Errorf("copying the course's Node.js assignment: %w", err)
	}
	df, err := os.ReadFile(filepath.Join(node, "Dockerfile"))
	if err != nil {
		return nil, err
	}
	df = []byte(strings.Replace(string(df), "\nFROM busybox\n", "\nFROM node:6-alpine\n", 1))
	if err := os.WriteFile(filepath.Join(node, "Dockerfile"), df, 0o644); err != nil {
		return nil, err
	}

	big := filepath.Join(dir, "twenty-steps")
	var total int64
	write := func(rel string, n int) error {
		p := filepath.Join(big, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		b := make([]byte, n)
		rand.Read(b)
		total += int64(n)
		return os.WriteFile(p, b, 0o644)
	}
	// four asset directories of incompressible files, a little config and source
	perDir := contextMB << 20 / 4
	for d := 1; d <= 4; d++ {
		for f := 0; f < 8; f++ {
			if err := write(fmt.Sprintf("assets%d/blob%d.bin", d, f), perDir/8); err != nil {
				return nil, err
			}
		}
	}
	for _, f := range []string{"config/app.conf", "config/db.conf", "src/main.js", "src/util.js", "src/routes.js"} {
		if err := write(f, 4096); err != nil {
			return nil, err
		}
	}
	steps := `FROM node:6-alpine
ENV APP_HOME=/app NODE_ENV=production
WORKDIR /app
COPY config/ ./config/
RUN mkdir -p /app/data /app/logs && echo configured > /app/data/state
COPY assets1/ ./assets1/
RUN ls /app/assets1 | wc -l > /app/data/count1
COPY assets2/ ./assets2/
RUN ls /app/assets2 | wc -l > /app/data/count2
COPY assets3/ ./assets3/
RUN ls /app/assets3 | wc -l > /app/data/count3
COPY assets4/ ./assets4/
RUN ls /app/assets4 | wc -l > /app/data/count4
LABEL org.example.bench=twenty-steps
USER root
COPY src/ ./src/
RUN cat /app/src/*.js | wc -c > /app/data/srcsize
EXPOSE 3000
HEALTHCHECK CMD ["true"]
CMD ["node", "src/main.js"]
`
	if err := os.WriteFile(filepath.Join(big, "Dockerfile"), []byte(steps), 0o644); err != nil {
		return nil, err
	}
	nodeBytes, err := treeSize(node)
	if err != nil {
		return nil, err
	}
	return []buildInput{
		{Name: "Node.js assignment", Dir: node, Change: "app.js", Bytes: nodeBytes},
		{Name: fmt.Sprintf("20 steps, %d MB context", total>>20), Dir: big, Change: "src/main.js", Bytes: total},
	}, nil
}

func benchBuild(b *bench) ([]row, error) {
	ctx := context.Background()
	inputs, err := makeBuildInputs(b.work, *sizeMB)
	if err != nil {
		return nil, fmt.Errorf("making the build inputs: %w", err)
	}
	peerDir := filepath.Join(b.work, "buildkit")
	if err := os.MkdirAll(peerDir, 0o755); err != nil {
		return nil, err
	}
	p, err := buildkitpeer.Start(ctx, peerDir)
	if err != nil {
		return nil, fmt.Errorf("starting BuildKit %s: %w", buildkitpeer.Version, err)
	}
	defer p.Close()
	// the stand-in base, for buildkitd (through its docker.io mirror) and for layerlab (a tar)
	ref, err := name.ParseReference(p.Registry+"/library/node:6-alpine", name.Insecure)
	if err != nil {
		return nil, err
	}
	if err := remote.Write(ref, p.Base, remote.WithContext(ctx)); err != nil {
		return nil, fmt.Errorf("pushing the base to the peer's registry: %w", err)
	}
	baseTar := filepath.Join(b.work, "base.tar")
	tag, _ := name.NewTag(baseRef)
	if err := tarball.WriteToFile(baseTar, tag, p.Base); err != nil {
		return nil, fmt.Errorf("writing the base tar: %w", err)
	}
	store := filepath.Join(b.work, "store")
	if out, err := exec.Command(b.bin, "--store", store, "load", "-i", baseTar).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("layerlab load: %v\n%s", err, out)
	}

	ll := func(in buildInput, extra ...string) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			args := append([]string{"--store", store, "build", "--progress", "plain"}, extra...)
			c := exec.Command(b.bin, append(args, "-t", "bench:latest", in.Dir)...)
			// as a learner builds: no SOURCE_DATE_EPOCH (and BuildKit without rewrite-timestamp)
			c.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "SOURCE_DATE_EPOCH=") })
			return timed(c)
		}
	}
	bk := func(in buildInput, noCache bool) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			start := time.Now()
			_, err := p.Build(ctx, in.Dir, buildkitpeer.BuildOptions{NoCache: noCache, SourceDateEpoch: "-", Name: "docker.io/library/bench:latest"})
			return time.Since(start), err
		}
	}
	n := 0
	change := func(in buildInput) error {
		n++
		return os.WriteFile(filepath.Join(in.Dir, in.Change), fmt.Appendf(nil, "// change %d\n", n), 0o644)
	}
	changed := func(in buildInput, f func() (time.Duration, error)) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			if err := change(in); err != nil {
				return 0, err
			}
			return f()
		}
	}

	var rows []row
	for _, in := range inputs {
		log.Printf("build: %s (%.2f MB context)", in.Name, float64(in.Bytes)/1e6)
		cold := row{what: in.Name + ": cold", ours: "layerlab build --no-cache", peer: "buildctl --no-cache",
			oursT: median(*runs, ll(in, "--no-cache")), peerT: median(*runs, bk(in, true)), bytes: in.Bytes}
		// warm both caches on the current content before timing the cached rebuilds
		if _, err := ll(in)(); err != nil {
			return nil, err
		}
		if _, err := bk(in, false)(); err != nil {
			return nil, err
		}
		cached := row{what: in.Name + ": cached rebuild", ours: "layerlab build", peer: "buildctl build",
			oursT: median(*runs, ll(in)), peerT: median(*runs, bk(in, false))}
		cached.note = target(cached)
		one := row{what: in.Name + ": 1 file changed", ours: "layerlab build", peer: "buildctl build",
			oursT: median(*runs, changed(in, ll(in))), peerT: median(*runs, changed(in, bk(in, false)))}
		rows = append(rows, cold, cached, one)
	}
	return rows, nil
}

// target says whether a cached rebuild meets the target: at most half BuildKit's time.
func target(r row) string {
	limit := r.peerT / 2
	if r.oursT <= limit {
		return fmt.Sprintf("target <= half BuildKit's (%s): met", round(limit))
	}
	return fmt.Sprintf("target <= half BuildKit's (%s): over by %s", round(limit), round(r.oursT-limit))
}

// moduleRoot finds the directory holding go.mod (the bench runs from there; its tests from
// bench/).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, in); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

func treeSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	return n, err
}
