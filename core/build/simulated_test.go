package build_test

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/testimage"
)

// nodeAlpine is a stand-in for node:6-alpine: the busybox base plus apk and npm where
// those images have them (placeholders: only their presence matters).
func nodeAlpine(t *testing.T) *store.Memory {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []tar.Header{
		{Name: "etc/alpine-release", Typeflag: tar.TypeReg, Mode: 0o644, Size: 7},
		{Name: "sbin/apk", Typeflag: tar.TypeReg, Mode: 0o755, Size: 4},
		{Name: "usr/local/lib/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "usr/local/lib/node_modules/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "usr/local/lib/node_modules/npm/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "usr/local/lib/node_modules/npm/bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "usr/local/lib/node_modules/npm/bin/npm-cli.js", Typeflag: tar.TypeReg, Mode: 0o755, Size: 4},
		{Name: "usr/local/bin/npm", Typeflag: tar.TypeSymlink, Mode: 0o777, Linkname: "../lib/node_modules/npm/bin/npm-cli.js"},
	} {
		h.ModTime = buildkitpeer.BaseTime
		tw.WriteHeader(&h)
		tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
	}
	tw.Close()
	layer, err := tarball.LayerFromReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	base, err := buildkitpeer.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		t.Fatal(err)
	}
	s := store.NewMemory()
	testimage.Put(t, s, "docker.io/library/node:6-alpine", img)
	testimage.Put(t, s, buildkitpeer.BaseRef, base)
	return s
}

// TestSimulatedPackages: the course's Node.js assignment builds in an image that has apk
// and npm, and each package step says on one line that its files are placeholders. Without
// them (the busybox base) the same step fails as a real build does.
func TestSimulatedPackages(t *testing.T) {
	df := `FROM node:6-alpine
EXPOSE 3000
RUN apk add --no-cache tini
RUN mkdir -p /usr/src/app
WORKDIR /usr/src/app
COPY package.json package.json
RUN npm install && npm cache clean --force
COPY . .
CMD [ "tini", "--", "node", "./bin/www" ]
`
	s := nodeAlpine(t)
	var evs []build.Event
	res, err := build.Build(context.Background(), s, build.Options{
		Dockerfile: []byte(df), Context: os.DirFS("testdata/conformance/course-node-assignment"),
		Tags: []string{"node-assignment"}, BuildArgs: map[string]string{"SOURCE_DATE_EPOCH": "0"},
		Events: func(e build.Event) { evs = append(evs, e) },
	})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	var out []string
	for _, e := range evs {
		if e.Type == build.StepOutput {
			out = append(out, strings.TrimRight(string(e.Output), "\n"))
		}
	}
	want := []string{
		"simulated: apk add tini — files are placeholders",
		"simulated: npm install — files are placeholders\nsimulated: npm cache clean --force — nothing was cached",
	}
	if strings.Join(out, "|") != strings.Join(want, "|") {
		t.Errorf("RUN output:\n got %q\nwant %q", out, want)
	}
	if res == nil {
		t.Fatal("no result")
	}

	_, _, err = run(t, baseStore(t), "FROM busybox\nRUN apk add --no-cache tini\n", nil, build.Options{})
	if err == nil || !strings.Contains(err.Error(), "exit code: 127\n/bin/sh: apk: not found") {
		t.Errorf("apk in the busybox base: got %v; want a not-found failure", err)
	}
}
