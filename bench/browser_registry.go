package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/internal/browser"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
)

// Targets of the registry and build issues for the page.
const (
	browserPullRatioTarget = 0.5                    // browser pull throughput / native crane's
	browserCachedTarget    = 100 * time.Millisecond // a fully cached rebuild in the page
)

// The page's pull and build figures: `docker pull` of the pull section's ~50 MB image in
// headless Chromium through `layerlab serve --mirror docker.io=<local registry>` (a fresh
// browser each run, so nothing is stored yet) beside native crane from the same registry;
// and `docker build` of the course's Node.js assignment in the page: cold, fully cached, and
// after one context file changed.
func init() {
	register(section{name: "browser-pull-build", order: 45, run: benchBrowserPullBuild})
}

func benchBrowserPullBuild(b *bench) ([]row, error) {
	up, err := startPullUpstream(filepath.Join(b.work, "upstream"), *sizeMB)
	if err != nil {
		return nil, err
	}
	defer up.Close()
	base, err := buildkitpeer.BusyboxImage()
	if err != nil {
		return nil, err
	}
	baseRef, err := name.ParseReference(up.Host+"/library/node:6-alpine", name.Insecure)
	if err != nil {
		return nil, err
	}
	if err := remote.Write(baseRef, base); err != nil {
		return nil, fmt.Errorf("pushing the build's base image: %w", err)
	}
	url, stop, err := startServe(b, "--mirror", "docker.io=http://"+up.Host)
	if err != nil {
		return nil, err
	}
	defer stop()

	var rows []row
	// pull: in a fresh browser each run
	inPage := median(*runs, func() (time.Duration, error) {
		ctx, stop, err := browser.Start()
		if err != nil {
			return 0, err
		}
		defer stop()
		if _, err := timeReady(ctx, url); err != nil {
			return 0, err
		}
		return execInPage(ctx, "docker pull bench/pull:latest")
	})
	craneBin, err := crane()
	if err != nil {
		return nil, err
	}
	i := 0
	native := median(*runs, func() (time.Duration, error) {
		i++
		return timed(exec.Command(craneBin, "pull", "--insecure", "--format", "oci", up.Ref, filepath.Join(b.work, fmt.Sprintf("crane%d", i))))
	})
	ratio := native.Seconds() / inPage.Seconds()
	note := fmt.Sprintf("browser/crane throughput %.2f, target at least %.2f: ", ratio, browserPullRatioTarget)
	if ratio >= browserPullRatioTarget {
		note += "met"
	} else {
		note += fmt.Sprintf("under by %.2f", browserPullRatioTarget-ratio)
	}
	rows = append(rows, row{what: fmt.Sprintf("docker pull %.0f MB, 5 layers", float64(up.Bytes)/1e6), ours: "in the page, through the proxy",
		peer: "crane pull --format oci (native, direct)", oursT: inPage, peerT: native, bytes: up.Bytes, note: note})

	// build: the Node.js assignment in one browser, its base pulled first (not timed)
	inputs, err := makeBuildInputs(filepath.Join(b.work, "build"), 1)
	if err != nil {
		return nil, err
	}
	in := inputs[0]
	ctx, stopB, err := browser.Start()
	if err != nil {
		return nil, err
	}
	defer stopB()
	if _, err := timeReady(ctx, url); err != nil {
		return nil, err
	}
	if _, err := execInPage(ctx, "docker pull node:6-alpine"); err != nil {
		return nil, err
	}
	if err := copyIntoPage(ctx, in.Dir, "app"); err != nil {
		return nil, err
	}
	cold := median(*runs, func() (time.Duration, error) { return execInPage(ctx, "cd app && docker build --no-cache -t bench .") })
	cached := median(*runs, func() (time.Duration, error) { return execInPage(ctx, "cd app && docker build -t bench .") })
	n := 0
	changed := median(*runs, func() (time.Duration, error) {
		n++
		line := fmt.Sprintf("cd app && echo '// change %d' >> %s && docker build -t bench .", n, in.Change)
		return execInPage(ctx, line)
	})
	what := "Node.js assignment in the page"
	rows = append(rows,
		row{what: what + ": cold", ours: "docker build --no-cache", oursT: cold},
		row{what: what + ": cached rebuild", ours: "docker build", oursT: cached, note: verdict("target at most", cached, browserCachedTarget)},
		row{what: what + ": 1 file changed", ours: "docker build", oursT: changed, note: "(the build section has buildctl's figures for the same input)"},
	)
	return rows, nil
}

// copyIntoPage writes the files under dir into the page's workspace under to/.
func copyIntoPage(ctx context.Context, dir, to string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		path, _ := json.Marshal(to + "/" + filepath.ToSlash(rel))
		content, _ := json.Marshal(string(data))
		if _, err := browser.Eval[bool](ctx, fmt.Sprintf(`await layerlab.writeFile(%s, %s); return true;`, path, content)); err != nil {
			return fmt.Errorf("writing %s into the page: %w", rel, err)
		}
		return nil
	})
}
