package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/store"
)

// Test archives are built here from parts, so each bad-input case changes exactly one thing
// of an otherwise valid archive.

// tm is one tar member of a crafted archive.
type tm struct {
	name string
	typ  byte
	body []byte
	link string
}

func file(name string, body []byte) tm { return tm{name: name, typ: tar.TypeReg, body: body} }

func tarBytes(t testing.TB, ms []tm) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Typeflag: m.typ, Linkname: m.link, Size: int64(len(m.body)), Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if m.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("crafting tar: %v", err)
		}
		if h.Size > 0 {
			if _, err := tw.Write(m.body); err != nil {
				t.Fatalf("crafting tar: %v", err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("crafting tar: %v", err)
	}
	return b.Bytes()
}

// layerTar makes a layer: the named files with their contents, sorted, plus whiteouts for
// names starting with ".wh.".
func layerTar(t testing.TB, files map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var ms []tm
	for _, n := range names {
		ms = append(ms, file(n, []byte(files[n])))
	}
	return tarBytes(t, ms)
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var o bytes.Buffer
	w := gzip.NewWriter(&o)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return o.Bytes()
}

// img is an image to put in a crafted archive.
type img struct {
	layers  [][]byte // uncompressed layer tars
	gz      bool     // store the layers gzip-compressed
	tags    []string // familiar, as manifest.json has them
	created string
}

func (im img) diffIDs() []v1.Hash {
	var out []v1.Hash
	for _, l := range im.layers {
		out = append(out, sha(l))
	}
	return out
}

func (im img) config() []byte {
	created := im.created
	if created == "" {
		created = "2024-01-02T03:04:05.123456789Z"
	}
	c := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      created,
		"config":       map[string]any{"Env": []string{"PATH=/bin"}, "Cmd": []string{"/bin/sh"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": im.diffIDs()},
		"history":      []map[string]any{{"created": created, "created_by": "test"}},
	}
	b, _ := json.Marshal(c)
	return b
}

func (im img) id() v1.Hash { return sha(im.config()) }

// blob returns the bytes a layer has in the archive.
func (im img) blob(t testing.TB, i int) []byte {
	if im.gz {
		return gz(t, im.layers[i])
	}
	return im.layers[i]
}

// legacyMembers builds the Engine 20.10 shape: <id>.json, <layer id>/{VERSION,json,layer.tar},
// manifest.json, repositories. Layer directories are named by a made-up v1 id.
func legacyMembers(t testing.TB, imgs ...img) []tm {
	var ms []tm
	var items []manifestItem
	repos := map[string]map[string]string{}
	seen := map[string]bool{}
	for _, im := range imgs {
		id := im.id()
		ms = append(ms, file(id.Hex+".json", im.config()))
		it := manifestItem{Config: id.Hex + ".json", RepoTags: im.tags}
		for i := range im.layers {
			dir := sha([]byte(fmt.Sprintf("%s/%d", id, i))).Hex
			if !seen[dir] {
				seen[dir] = true
				ms = append(ms, tm{name: dir + "/", typ: tar.TypeDir},
					file(dir+"/VERSION", []byte("1.0")),
					file(dir+"/json", []byte(`{"id":"`+dir+`"}`)),
					file(dir+"/layer.tar", im.blob(t, i)))
			}
			it.Layers = append(it.Layers, dir+"/layer.tar")
		}
		for _, tag := range im.tags {
			n, tg, _ := strings.Cut(tag, ":")
			if repos[n] == nil {
				repos[n] = map[string]string{}
			}
			repos[n][tg] = "x"
		}
		items = append(items, it)
	}
	mj, _ := json.Marshal(items)
	rj, _ := json.Marshal(repos)
	return append(ms, file("manifest.json", mj), file("repositories", rj))
}

// ociMembers builds the Docker 25+ shape: blobs, index.json with the containerd annotations,
// manifest.json, oci-layout.
func ociMembers(t testing.TB, imgs ...img) []tm {
	blobs := map[string][]byte{}
	var index []ociDescriptor
	var items []manifestItem
	for _, im := range imgs {
		cfg := im.config()
		blobs[blobPath(sha(cfg))] = cfg
		m := ociManifest{SchemaVersion: 2, MediaType: "application/vnd.oci.image.manifest.v1+json",
			Config: ociDescriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: sha(cfg), Size: int64(len(cfg))}}
		it := manifestItem{Config: blobPath(sha(cfg)), RepoTags: im.tags}
		for i := range im.layers {
			b := im.blob(t, i)
			mt := "application/vnd.oci.image.layer.v1.tar"
			if im.gz {
				mt += "+gzip"
			}
			m.Layers = append(m.Layers, ociDescriptor{MediaType: types.MediaType(mt), Digest: sha(b), Size: int64(len(b))})
			blobs[blobPath(sha(b))] = b
			it.Layers = append(it.Layers, blobPath(sha(b)))
		}
		mb, _ := json.Marshal(m)
		blobs[blobPath(sha(mb))] = mb
		d := ociDescriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: sha(mb), Size: int64(len(mb))}
		for _, tag := range im.tags {
			full, err := normalizeTag(tag)
			if err != nil {
				t.Fatal(err)
			}
			dd := d
			dd.Annotations = map[string]string{annotationImageName: full, annotationRefName: full[strings.LastIndex(full, ":")+1:]}
			index = append(index, dd)
		}
		if len(im.tags) == 0 {
			index = append(index, d)
		}
		items = append(items, it)
	}
	var ms []tm
	ms = append(ms, tm{name: "blobs/", typ: tar.TypeDir}, tm{name: "blobs/sha256/", typ: tar.TypeDir})
	var names []string
	for n := range blobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ms = append(ms, file(n, blobs[n]))
	}
	ij, _ := json.Marshal(ociIndex{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json", Manifests: index})
	mj, _ := json.Marshal(items)
	return append(ms, file("index.json", ij), file("manifest.json", mj), file("oci-layout", []byte(`{"imageLayoutVersion": "1.0.0"}`)))
}

// without drops the members named.
func without(ms []tm, names ...string) []tm {
	var out []tm
	for _, m := range ms {
		drop := false
		for _, n := range names {
			drop = drop || m.name == n
		}
		if !drop {
			out = append(out, m)
		}
	}
	return out
}

// with replaces the body of member name.
func with(t testing.TB, ms []tm, name string, body []byte) []tm {
	out := append([]tm(nil), ms...)
	for i := range out {
		if out[i].name == name {
			out[i].body = body
			return out
		}
	}
	t.Fatalf("crafting tar: no member %q", name)
	return nil
}

// snapshot is what a store holds: its blobs and its index, to show a failed load changed
// nothing.
type snapshot struct {
	blobs map[v1.Hash]bool
	index []store.Entry
}

func snap(t testing.TB, s store.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	bs, err := s.Blobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := s.Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := map[v1.Hash]bool{}
	for _, b := range bs {
		m[b] = true
	}
	return snapshot{blobs: m, index: idx}
}

func (a snapshot) diff(b snapshot) string {
	var d []string
	for h := range b.blobs {
		if !a.blobs[h] {
			d = append(d, "added blob "+h.String())
		}
	}
	for h := range a.blobs {
		if !b.blobs[h] {
			d = append(d, "lost blob "+h.String())
		}
	}
	ai, _ := json.Marshal(a.index)
	bi, _ := json.Marshal(b.index)
	if !bytes.Equal(ai, bi) {
		d = append(d, fmt.Sprintf("index changed from %s to %s", ai, bi))
	}
	sort.Strings(d)
	return strings.Join(d, "; ")
}

func load(t testing.TB, s store.Store, b []byte) ([]Loaded, error) {
	t.Helper()
	return Load(context.Background(), s, bytes.NewReader(b), int64(len(b)))
}

// rewriteManifest edits the (single) image manifest of an OCI-shaped archive with edit and
// renames it to its new digest everywhere (blob name, index.json), so the archive stays
// consistent except for what edit changed.
func rewriteManifest(t testing.TB, ms []tm, edit func(string) string) []tm {
	t.Helper()
	out := append([]tm(nil), ms...)
	var oldD, newD v1.Hash
	var oldN, newN int
	for i, m := range out {
		if !strings.HasPrefix(m.name, "blobs/") || !bytes.Contains(m.body, []byte(`"layers":[`)) {
			continue
		}
		oldD, oldN = sha(m.body), len(m.body)
		nb := []byte(edit(string(m.body)))
		newD, newN = sha(nb), len(nb)
		out[i] = file(blobPath(newD), nb)
	}
	if oldD == (v1.Hash{}) {
		t.Fatal("crafting tar: no manifest found")
	}
	for i, m := range out {
		if m.name == "index.json" {
			b := strings.ReplaceAll(string(m.body), oldD.String(), newD.String())
			b = strings.ReplaceAll(b, fmt.Sprintf(`"size":%d`, oldN), fmt.Sprintf(`"size":%d`, newN))
			out[i].body = []byte(b)
		}
	}
	return out
}
