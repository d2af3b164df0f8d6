package build_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/testimage"
)

// contextFS is the build context as layerlab reads it natively.
func contextFS(dir string) *os.Root {
	r, err := os.OpenRoot(dir)
	if err != nil {
		panic(err)
	}
	return r
}

// caseArgs reads a case's optional build-args file (K=V lines); SOURCE_DATE_EPOCH defaults to 0.
func caseArgs(t *testing.T, dir string) map[string]string {
	t.Helper()
	args := map[string]string{"SOURCE_DATE_EPOCH": "0"}
	b, err := os.ReadFile(filepath.Join(dir, "build-args"))
	if errors.Is(err, os.ErrNotExist) {
		return args
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s/build-args: %q is not K=V", dir, line)
		}
		args[k] = v
	}
	return args
}

func buildLayerlab(t *testing.T, s store.Store, dir string, events func(build.Event)) (*build.Result, error) {
	t.Helper()
	return buildLayerlabArgs(t, s, dir, map[string]string{"SOURCE_DATE_EPOCH": "0"}, events)
}

func buildLayerlabArgs(t *testing.T, s store.Store, dir string, args map[string]string, events func(build.Event)) (*build.Result, error) {
	t.Helper()
	return buildLayerlabOpts(t, s, dir, build.Options{BuildArgs: args, Events: events})
}

func buildLayerlabOpts(t *testing.T, s store.Store, dir string, o build.Options) (*build.Result, error) {
	t.Helper()
	df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	root := contextFS(dir)
	defer root.Close()
	o.Dockerfile = df
	o.Context = root.FS()
	o.Tags = []string{"conformance:latest"}
	return build.Build(context.Background(), s, o)
}

// TestConformance builds every testdata/conformance case with layerlab and with real
// BuildKit v0.33.1 (SOURCE_DATE_EPOCH=0, rewrite-timestamp=true) and requires the same
// config bytes and the same layer diff_ids.
func TestConformance(t *testing.T) {
	p := buildkitpeer.StartT(t)
	cases, err := filepath.Glob("testdata/conformance/*")
	if err != nil || len(cases) < 8 {
		t.Fatalf("want at least 8 conformance cases, got %d (%v)", len(cases), err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			abs, _ := filepath.Abs(dir)
			args := caseArgs(t, abs)
			target := ""
			if b, err := os.ReadFile(filepath.Join(abs, "target")); err == nil {
				target = strings.TrimSpace(string(b))
			}
			ref, err := p.Build(context.Background(), abs, buildkitpeer.BuildOptions{BuildArgs: args, SourceDateEpoch: args["SOURCE_DATE_EPOCH"], Target: target})
			if err != nil {
				t.Fatal(err)
			}
			s := store.NewMemory()
			testimage.Put(t, s, buildkitpeer.BaseRef, p.Base)
			res, err := buildLayerlabOpts(t, s, abs, build.Options{BuildArgs: args, Target: target})
			if err != nil {
				t.Fatalf("layerlab build: %v", err)
			}
			compareImages(t, s, res, ref.Image)
		})
	}
}

func compareImages(t *testing.T, s store.Store, res *build.Result, want v1.Image) {
	t.Helper()
	ctx := context.Background()
	gotCfg, err := store.ReadBlob(ctx, s, res.Config)
	if err != nil {
		t.Fatal(err)
	}
	wantCfg, _ := want.RawConfigFile()
	if os.Getenv("CONFORMANCE_DUMP") != "" {
		t.Logf("config: %s", gotCfg)
	}
	if !bytes.Equal(gotCfg, wantCfg) {
		t.Errorf("config differs\n got: %s\nwant: %s", gotCfg, wantCfg)
	}
	var gotC, wantC struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	json.Unmarshal(gotCfg, &gotC)
	json.Unmarshal(wantCfg, &wantC)
	wantLayers, _ := want.Layers()
	mb, _ := store.ReadBlob(ctx, s, res.Manifest.Digest)
	var m v1.Manifest
	json.Unmarshal(mb, &m)
	if len(m.Layers) != len(wantLayers) {
		t.Fatalf("got %d layers; want %d", len(m.Layers), len(wantLayers))
	}
	for i := range wantLayers {
		wd, _ := wantLayers[i].DiffID()
		var gd string
		if i < len(gotC.RootFS.DiffIDs) {
			gd = gotC.RootFS.DiffIDs[i]
		}
		if gd == wd.String() {
			continue
		}
		t.Errorf("layer %d diff_id: got %s; want %s", i, gd, wd)
		got, err := layerEntries(func() (io.ReadCloser, error) { return gunzipBlob(s, m.Layers[i].Digest) })
		if err != nil {
			t.Fatal(err)
		}
		exp, err := layerEntries(wantLayers[i].Uncompressed)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range entryDiff(got, exp) {
			t.Errorf("  layer %d: %s", i, d)
		}
	}
}

func gunzipBlob(s store.Store, d v1.Hash) (io.ReadCloser, error) {
	b, err := store.ReadBlob(context.Background(), s, d)
	if err != nil {
		return nil, err
	}
	l, err := partial.CompressedToLayer(compressed{b})
	if err != nil {
		return nil, err
	}
	return l.Uncompressed()
}

type compressed struct{ b []byte }

func (c compressed) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(c.b))
	return h, err
}
func (c compressed) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(c.b)), nil
}
func (c compressed) Size() (int64, error) { return int64(len(c.b)), nil }
func (c compressed) MediaType() (types.MediaType, error) {
	return "application/vnd.oci.image.layer.v1.tar+gzip", nil
}

// layerEntries lists a layer tar as one line per entry: path, type, mode, owner, size,
// mtime, content digest, link target and header format, in tar order.
func layerEntries(open func() (io.ReadCloser, error)) ([]string, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var out []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		sum := sha256.New()
		io.Copy(sum, tr)
		pax := make([]string, 0, len(h.PAXRecords))
		for k, v := range h.PAXRecords {
			pax = append(pax, k+"="+v)
		}
		sort.Strings(pax)
		out = append(out, fmt.Sprintf("%s type=%c mode=%o uid=%d gid=%d uname=%q gname=%q size=%d mtime=%d sha=%s link=%q format=%v pax=%v",
			h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.Size, h.ModTime.Unix(), hex.EncodeToString(sum.Sum(nil))[:12], h.Linkname, h.Format, pax))
	}
}

func entryDiff(got, want []string) []string {
	var out []string
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			out = append(out, fmt.Sprintf("entry %d:\n     got: %s\n    want: %s", i, g, w))
		}
	}
	if len(out) == 0 {
		out = append(out, "same entries; the tar bytes differ (header encoding or padding)")
	}
	return out
}
