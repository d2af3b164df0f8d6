//go:build unix

package layout

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/testimage"
)

// testImage is a two-layer OCI image with a runnable-looking config.
func testImage(t *testing.T) v1.Image {
	t.Helper()
	var layers []v1.Layer
	for range 2 {
		l, err := random.Layer(4096, types.OCILayer)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Cmd = []string{"/bin/sh"}
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed for this test and is not installed (apt-get install %s): %v", name, name, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// TestRealToolsReadTheLayout writes an image into a store and has skopeo and umoci, which
// know nothing of layerlab, read it by its full reference.
func TestRealToolsReadTheLayout(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	img := testImage(t)
	desc := testimage.PutBlobs(t, s, img)
	desc.Annotations = map[string]string{"io.layerlab.last-tag-time": "2026-11-22T05:00:00Z"}
	const ref = "docker.io/library/test:latest"
	if err := s.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
		other := testImage(t)
		return append(cur, store.Entry{Name: ref, Descriptor: desc}, store.Entry{Descriptor: testimage.PutBlobs(t, s, other)}), nil
	}); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	var wantLayers []string
	for _, l := range layers {
		d, _ := l.Digest()
		wantLayers = append(wantLayers, d.String())
	}

	t.Run("skopeo inspect", func(t *testing.T) {
		out := run(t, "skopeo", "inspect", "oci:"+dir+":"+ref)
		var got struct {
			Digest       string
			Os           string
			Architecture string
			Layers       []string
			Env          []string
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("skopeo inspect printed something that is not JSON: %v\n%s", err, out)
		}
		if got.Digest != desc.Digest.String() {
			t.Errorf("skopeo Digest = %q; want %q", got.Digest, desc.Digest)
		}
		if strings.Join(got.Layers, " ") != strings.Join(wantLayers, " ") {
			t.Errorf("skopeo Layers = %q; want %q", got.Layers, wantLayers)
		}
		if got.Os != "linux" || got.Architecture != "amd64" {
			t.Errorf("skopeo Os/Architecture = %q/%q; want linux/amd64", got.Os, got.Architecture)
		}
	})

	t.Run("skopeo copy", func(t *testing.T) {
		// Copying reads and verifies every blob.
		dst := filepath.Join(t.TempDir(), "copy")
		run(t, "skopeo", "copy", "oci:"+dir+":"+ref, "oci:"+dst+":copied")
		m := run(t, "skopeo", "inspect", "--raw", "oci:"+dst+":copied")
		raw, _ := img.RawManifest()
		if m != string(raw) {
			t.Errorf("manifest after skopeo copy =\n%s\nwant\n%s", m, raw)
		}

		// And the other way: the layout skopeo wrote opens as a store.
		s2, err := Open(dst)
		if err != nil {
			t.Fatalf("opening the layout skopeo wrote: %v", err)
		}
		entries, err := s2.Index(ctx)
		if err != nil || len(entries) != 1 || entries[0].Name != "copied" || entries[0].Descriptor.Digest != desc.Digest {
			t.Fatalf("Index of skopeo's layout = %+v, %v; want one entry \"copied\" -> %s", entries, err, desc.Digest)
		}
		if err := store.CheckEntries(ctx, s2, entries); err != nil {
			t.Errorf("skopeo's layout as a store: %v", err)
		}
	})

	t.Run("umoci ls", func(t *testing.T) {
		out := run(t, "umoci", "ls", "--layout", dir)
		if got := strings.Fields(out); len(got) != 1 || got[0] != ref {
			t.Errorf("umoci ls = %q; want [%q]", got, ref)
		}
	})

	t.Run("umoci stat", func(t *testing.T) {
		out := run(t, "umoci", "stat", "--json", "--image", dir+":"+ref)
		var got struct {
			History []json.RawMessage `json:"history"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("umoci stat --json printed something that is not JSON: %v\n%s", err, out)
		}
	})

	t.Run("umoci unpack", func(t *testing.T) {
		bundle := filepath.Join(t.TempDir(), "bundle")
		run(t, "umoci", "unpack", "--image", dir+":"+ref, bundle)
		entries, err := os.ReadDir(filepath.Join(bundle, "rootfs"))
		if err != nil || len(entries) == 0 {
			t.Errorf("umoci unpack left rootfs with %d entries, %v; want the layers' files", len(entries), err)
		}
	})
}
