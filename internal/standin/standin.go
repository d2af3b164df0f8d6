// Package standin makes the stand-ins for the official images the course's lessons use
// (alpine, nginx, node:6-alpine): Debian's busybox-static as the base, so RUN has a shell,
// the official image's metadata where a lesson checks it, and a label saying what they are.
// Docker Hub is not reachable from the tests, so they push these to a local registry that
// `layerlab serve --mirror docker.io=...` stands in front of.
package standin

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/layerlab/layerlab/internal/buildkitpeer"
)

// Images returns the stand-ins by their Docker Hub repository and tag
// ("library/nginx:latest").
func Images() (map[string]v1.Image, error) {
	base, err := buildkitpeer.BusyboxImage()
	if err != nil {
		return nil, fmt.Errorf("making the stand-ins' base: %w", err)
	}
	mk := func(label string, files map[string]string, set func(*v1.Config)) (v1.Image, error) {
		img := base
		if files != nil {
			l, err := Layer(files)
			if err != nil {
				return nil, err
			}
			img, err = mutate.Append(img, mutate.Addendum{
				Layer:   l,
				History: v1.History{Created: v1.Time{Time: buildkitpeer.BaseTime}, CreatedBy: "layerlab stand-in: " + label},
			})
			if err != nil {
				return nil, fmt.Errorf("making the %s stand-in: %w", label, err)
			}
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.Config.Labels = map[string]string{"org.layerlab.stand-in": label + " (busybox-static, made by a test: not the official image)"}
		if set != nil {
			set(&cf.Config)
		}
		return mutate.ConfigFile(img, cf)
	}
	alpine, err := mk("alpine", nil, nil)
	if err != nil {
		return nil, err
	}
	nginx, err := mk("nginx", map[string]string{
		"usr/share/nginx/html/index.html": "<h1>Welcome to nginx!</h1>\n",
		"etc/nginx/nginx.conf":            "events {}\n",
	}, func(c *v1.Config) {
		c.Cmd = []string{"nginx", "-g", "daemon off;"}
		c.ExposedPorts = map[string]struct{}{"80/tcp": {}}
	})
	if err != nil {
		return nil, err
	}
	// the official node:6-alpine has Alpine's apk and node's npm on PATH: the playground
	// simulates their installs only where the image has them
	node, err := mk("node:6-alpine", map[string]string{
		"usr/local/bin/node": "placeholder for node 6\n",
		"usr/local/bin/npm":  "placeholder for npm 3\n",
		"sbin/apk":           "placeholder for apk-tools\n",
		"etc/alpine-release": "3.8.4\n",
	}, func(c *v1.Config) {
		c.Cmd = []string{"node"}
		c.Env = append(c.Env, "NODE_VERSION=6.17.1")
	})
	if err != nil {
		return nil, err
	}
	return map[string]v1.Image{
		"library/alpine:latest": alpine,
		"library/nginx:latest":  nginx,
		"library/nginx:1.27":    nginx,
		"library/node:6-alpine": node,
	}, nil
}

// Layer is a layer holding files (and the folders above them), the same bytes every time.
func Layer(files map[string]string) (v1.Layer, error) {
	var names []string
	dirs := map[string]bool{}
	for n := range files {
		names = append(names, n)
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for d := range dirs {
		names = append(names, d+"/")
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		h := &tar.Header{Name: n, ModTime: buildkitpeer.BaseTime, Format: tar.FormatPAX}
		if n[len(n)-1] == '/' {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		} else {
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o755, int64(len(files[n]))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := io.WriteString(tw, files[n]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}
