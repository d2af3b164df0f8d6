package archive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/archive"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/peers"
)

// TestInteropBuildKit loads what the reference BuildKit writes with --output type=docker
// (the Docker 25+ shape, gzip layers; and with an attestation, an image index without
// manifest.json) and checks that our Save of the same image has the same structure:
// members in the same order, the same index.json and manifest.json keys and names.
func TestInteropBuildKit(t *testing.T) {
	ctx := context.Background()
	bk := peers.StartBuildKit(t)
	dir := t.TempDir()
	peers.BusyboxRootfs(t, dir)
	dockerfile := `FROM scratch
ADD busybox-rootfs.tar /
ENV PATH=/bin
RUN mkdir -p /app && echo hello > /app/hi.txt && echo bye > /app/bye.txt
RUN rm /app/bye.txt
CMD ["cat", "/app/hi.txt"]
`
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(out string, extra ...string) (tarBytes []byte, configDigest v1.Hash) {
		t.Helper()
		md := filepath.Join(dir, out+".json")
		args := append([]string{"build", "--frontend", "dockerfile.v0", "--local", "context=.", "--local", "dockerfile=.",
			"--progress", "quiet", "--opt", "build-arg:SOURCE_DATE_EPOCH=0", "--metadata-file", md,
			"--output", "type=docker,name=lab/bk:1.0,rewrite-timestamp=true,dest=" + filepath.Join(dir, out)}, extra...)
		bk.Buildctl(t, dir, args...)
		b, err := os.ReadFile(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		mb, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		var meta map[string]any
		if err := json.Unmarshal(mb, &meta); err != nil {
			t.Fatal(err)
		}
		cd, _ := meta["containerimage.config.digest"].(string) // absent for an image index
		if cd == "" {
			return b, v1.Hash{}
		}
		d, err := v1.NewHash(cd)
		if err != nil {
			t.Fatalf("buildctl metadata %s: %v", mb, err)
		}
		return b, d
	}

	plain, id := build("bk.tar")
	if id == (v1.Hash{}) {
		t.Fatal("buildctl's metadata names no config digest for the plain build")
	}
	attested, _ := build("bk-attested.tar", "--opt", "attest:provenance=mode=min")
	for i, tc := range []struct {
		name string
		tar  []byte
	}{{"type=docker", plain}, {"type=docker with an attestation (image index)", attested}} {
		s := store.NewMemory()
		got, err := archive.Load(ctx, s, bytes.NewReader(tc.tar), int64(len(tc.tar)))
		if err != nil {
			t.Fatalf("%s: loading BuildKit's tar: %v", tc.name, err)
		}
		if len(got) != 1 || got[0].Name != "docker.io/lab/bk:1.0" || got[0].ID != id {
			t.Errorf("%s: loaded %+v; want docker.io/lab/bk:1.0 with ID %s", tc.name, got, id)
		}
		var b bytes.Buffer
		if err := archive.Save(ctx, s, &b, []archive.SaveImage{{Names: []string{got[0].Name}, Manifest: got[0].Manifest}}); err != nil {
			t.Fatalf("%s: Save: %v", tc.name, err)
		}
		if i == 0 {
			compareShape(t, plain, b.Bytes())
		}
	}
}

// compareShape checks ours against BuildKit's tar: the same member sequence (blob names
// aside; ours adds Docker's repositories file), and the same index.json / manifest.json
// structure and names.
func compareShape(t *testing.T, theirs, ours []byte) {
	t.Helper()
	seq := func(b []byte) []string {
		var out []string
		for _, m := range members(t, b) {
			n := m.name
			if strings.HasPrefix(n, "blobs/sha256/") && n != "blobs/sha256/" {
				n = "blobs/sha256/<blob>"
				if len(out) > 0 && out[len(out)-1] == n {
					continue
				}
			}
			out = append(out, n)
		}
		return out
	}
	if g, w := seq(ours), append(seq(theirs), "repositories"); !reflect.DeepEqual(g, w) {
		t.Errorf("members %q; BuildKit writes %q (plus Docker's repositories)", g, w)
	}
	file := func(b []byte, name string) []byte {
		for _, m := range members(t, b) {
			if m.name == name {
				return m.body
			}
		}
		t.Fatalf("no %s", name)
		return nil
	}
	type indexDoc struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Manifests     []struct {
			MediaType   string            `json:"mediaType"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	var ti, oi indexDoc
	if err := json.Unmarshal(file(theirs, "index.json"), &ti); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(file(ours, "index.json"), &oi); err != nil {
		t.Fatal(err)
	}
	if len(oi.Manifests) != 1 || len(ti.Manifests) != 1 {
		t.Fatalf("index.json entries: ours %d, BuildKit's %d; want 1 each", len(oi.Manifests), len(ti.Manifests))
	}
	if oi.SchemaVersion != ti.SchemaVersion || oi.MediaType != ti.MediaType || oi.Manifests[0].MediaType != ti.Manifests[0].MediaType {
		t.Errorf("index.json: ours %+v; BuildKit's %+v", oi, ti)
	}
	for _, k := range []string{"io.containerd.image.name", "org.opencontainers.image.ref.name"} {
		if g, w := oi.Manifests[0].Annotations[k], ti.Manifests[0].Annotations[k]; g != w {
			t.Errorf("index.json annotation %s = %q; BuildKit writes %q", k, g, w)
		}
	}
	if g, w := firstKeys(t, file(ours, "manifest.json")), firstKeys(t, file(theirs, "manifest.json")); g != w {
		t.Errorf("manifest.json keys %q; BuildKit writes %q", g, w)
	}
	var ti2, oi2 []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(file(theirs, "manifest.json"), &ti2); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(file(ours, "manifest.json"), &oi2); err != nil {
		t.Fatal(err)
	}
	if len(ti2) != 1 || len(oi2) != 1 || ti2[0].Config != oi2[0].Config || !reflect.DeepEqual(ti2[0].RepoTags, oi2[0].RepoTags) || len(ti2[0].Layers) != len(oi2[0].Layers) {
		t.Errorf("manifest.json: ours %+v; BuildKit's %+v (layers differ by design: ours uncompressed)", oi2, ti2)
	}
}

// firstKeys lists the keys of the first object of a JSON array, in order.
func firstKeys(t *testing.T, b []byte) string {
	t.Helper()
	var arr []json.RawMessage
	if err := json.Unmarshal(b, &arr); err != nil || len(arr) == 0 {
		t.Fatalf("not a non-empty JSON array: %s", b)
	}
	dec := json.NewDecoder(bytes.NewReader(arr[0]))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var ks []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return strings.Join(ks, ",")
}

type tarMember struct {
	name string
	body []byte
}

func members(t *testing.T, b []byte) []tarMember {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out []tarMember
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarMember{h.Name, body})
	}
}
