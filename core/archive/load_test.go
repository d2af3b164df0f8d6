package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/layer"
	"github.com/layerlab/layerlab/core/store"
)

// Two small images sharing a base layer, as in real life.
func testImages(t testing.TB) (base, app img) {
	l1 := layerTar(t, map[string]string{"bin/sh": "#!busybox", "etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
	l2 := layerTar(t, map[string]string{"app/hi.txt": "hello\n", "app/.wh.bye.txt": ""})
	base = img{layers: [][]byte{l1}, tags: []string{"base:1"}}
	app = img{layers: [][]byte{l1, l2}, tags: []string{"app:1.0", "example.com/u/app:latest"}, created: "2024-05-06T07:08:09Z"}
	return base, app
}

func TestLoadGood(t *testing.T) {
	base, app := testImages(t)
	gzApp := app
	gzApp.gz = true
	untagged := app
	untagged.tags = nil
	cases := []struct {
		name  string
		tar   func() []byte
		names []string // want, in order
		ids   []v1.Hash
	}{
		{"legacy", func() []byte { return tarBytes(t, legacyMembers(t, app, base)) },
			[]string{"docker.io/library/app:1.0", "example.com/u/app:latest", "docker.io/library/base:1"}, []v1.Hash{app.id(), app.id(), base.id()}},
		{"legacy gzip layers", func() []byte { return tarBytes(t, legacyMembers(t, gzApp)) },
			[]string{"docker.io/library/app:1.0", "example.com/u/app:latest"}, []v1.Hash{app.id(), app.id()}},
		{"legacy untagged", func() []byte { return tarBytes(t, legacyMembers(t, untagged)) },
			[]string{""}, []v1.Hash{app.id()}},
		{"legacy layer symlinked inside the archive (as Engine 20.10 writes shared layers)", func() []byte {
			ms := legacyMembers(t, app)
			var target string
			for i, m := range ms {
				if strings.HasSuffix(m.name, "/layer.tar") {
					if target == "" {
						target = m.name
						continue
					}
					// Point the second layer at a copy of itself elsewhere in the archive.
					ms = append(ms, file("shared/layer.tar", m.body))
					ms[i] = tm{name: m.name, typ: tar.TypeSymlink, link: "../shared/layer.tar"}
				}
			}
			return tarBytes(t, ms)
		}, []string{"docker.io/library/app:1.0", "example.com/u/app:latest"}, []v1.Hash{app.id(), app.id()}},
		{"docker 25+ shape", func() []byte { return tarBytes(t, ociMembers(t, base, app)) },
			[]string{"docker.io/library/base:1", "docker.io/library/app:1.0", "example.com/u/app:latest"}, []v1.Hash{base.id(), app.id(), app.id()}},
		{"docker 25+ shape, gzip layers", func() []byte { return tarBytes(t, ociMembers(t, gzApp)) },
			[]string{"docker.io/library/app:1.0", "example.com/u/app:latest"}, []v1.Hash{app.id(), app.id()}},
		{"OCI layout only (no manifest.json)", func() []byte { return tarBytes(t, without(ociMembers(t, app), "manifest.json")) },
			[]string{"docker.io/library/app:1.0", "example.com/u/app:latest"}, []v1.Hash{app.id(), app.id()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := store.NewMemory()
			got, err := load(t, s, tc.tar())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(got) != len(tc.names) {
				t.Fatalf("Load returned %d images; want %d: %+v", len(got), len(tc.names), got)
			}
			idx, _ := s.Index(context.Background())
			for i, ld := range got {
				if ld.Name != tc.names[i] {
					t.Errorf("image %d: Name = %q; want %q", i, ld.Name, tc.names[i])
				}
				if ld.ID != tc.ids[i] {
					t.Errorf("image %d: ID = %q; want %q", i, ld.ID, tc.ids[i])
				}
				found := false
				for _, e := range idx {
					found = found || (e.Name == ld.Name && e.Descriptor.Digest == ld.Manifest.Digest)
				}
				if !found {
					t.Errorf("image %d (%q): not in the index %+v", i, ld.Name, idx)
				}
				if _, err := store.Closure(context.Background(), s, ld.Manifest); err != nil {
					t.Errorf("image %d: %v", i, err)
				}
				checkSizeRecords(t, s, ld.Manifest.Digest)
			}
		})
	}
}

// checkSizeRecords: the load worked out the size docker images shows of each compressed
// layer it decompressed anyway, and it is what reading the layer gives.
func checkSizeRecords(t *testing.T, s store.Store, manifest v1.Hash) {
	t.Helper()
	ctx := context.Background()
	read := func(d v1.Hash) []byte {
		rc, err := s.OpenBlob(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	m, err := v1.ParseManifest(bytes.NewReader(read(manifest)))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(read(m.Config.Digest)))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range m.Layers {
		if !strings.Contains(string(l.MediaType), "gzip") {
			continue
		}
		want, err := layer.Size(bytes.NewReader(read(l.Digest)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Record(ctx, layer.RecordKind, cf.RootFS.DiffIDs[i].String())
		if err != nil || string(b) != strconv.FormatInt(want, 10) {
			t.Errorf("layer %s: size record %q (%v); want %d", l.Digest, b, err, want)
		}
	}
}

// TestLoadLegacyManifest pins the manifest Load builds for a legacy image: the OCI image
// manifest Docker 25+ writes (compact, OCI media types), uncompressed layers under their
// diff_ids, the config as it was.
func TestLoadLegacyManifest(t *testing.T) {
	_, app := testImages(t)
	s := store.NewMemory()
	got, err := load(t, s, tarBytes(t, legacyMembers(t, app)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := store.ReadBlob(context.Background(), s, got[0].Manifest.Digest)
	if err != nil {
		t.Fatal(err)
	}
	d := app.diffIDs()
	want := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + app.id().String() + `","size":` + itoa(len(app.config())) + `},` +
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"` + d[0].String() + `","size":` + itoa(len(app.layers[0])) + `},` +
		`{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"` + d[1].String() + `","size":` + itoa(len(app.layers[1])) + `}]}`
	if string(m) != want {
		t.Errorf("manifest = %s; want %s", m, want)
	}
	if got[0].Manifest.MediaType != "application/vnd.oci.image.manifest.v1+json" {
		t.Errorf("descriptor media type = %q; want the OCI image manifest one", got[0].Manifest.MediaType)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestLoadBadInput(t *testing.T) {
	base, app := testImages(t)
	gzApp := app
	gzApp.gz = true
	other := img{layers: [][]byte{layerTar(t, map[string]string{"x": "y"})}, tags: []string{"other:1"}}
	legacy := func() []tm { return legacyMembers(t, app) }
	oci := func() []tm { return ociMembers(t, app) }
	layerName := func(ms []tm, n int) string { // the n-th legacy layer.tar or OCI layer blob
		i := 0
		for _, m := range ms {
			if strings.HasSuffix(m.name, "/layer.tar") || (strings.HasPrefix(m.name, "blobs/sha256/") && isLayer(m.body)) {
				if i == n {
					return m.name
				}
				i++
			}
		}
		t.Fatalf("no layer %d", n)
		return ""
	}
	valid := tarBytes(t, legacy())
	cases := []struct {
		name string
		tar  func() []byte
		want string // the error contains this
	}{
		{"empty file", func() []byte { return nil }, "the archive is empty"},
		{"not a tar", func() []byte { return []byte(strings.Repeat("garbage!", 200)) }, "not a tar archive or corrupt at its start"},
		{"gzip-compressed archive", func() []byte { return gz(t, valid) }, "gzip-compressed"},
		{"truncated", func() []byte { return valid[:len(valid)/2] }, "truncated"},
		{"truncated in the last member", func() []byte { return valid[:len(valid)-1024-512+3] }, "truncated"},
		{"truncated before the end-of-archive marker", func() []byte { return valid[:len(valid)-1024] }, "truncated"},
		{"corrupt header", func() []byte {
			b := append([]byte(nil), valid...)
			b[secondHeader(t, b)+3] ^= 0x55
			return b
		}, "corrupt header after entry"},
		{"path traversal", func() []byte {
			return tarBytes(t, append(legacy(), file("../../etc/passwd", []byte("root::0:0"))))
		}, `entry "../../etc/passwd": path leaves the archive`},
		{"absolute path", func() []byte { return tarBytes(t, append(legacy(), file("/etc/passwd", []byte("x")))) }, `entry "/etc/passwd": absolute path`},
		{"hard link leaving the archive", func() []byte {
			return tarBytes(t, append(legacy(), tm{name: "x", typ: tar.TypeLink, link: "../../etc/shadow"}))
		}, `hard link target "../../etc/shadow": path leaves the archive`},
		{"device node", func() []byte { return tarBytes(t, append(legacy(), tm{name: "dev", typ: tar.TypeChar})) }, "unsupported tar entry type"},
		{"no manifest.json nor index.json", func() []byte { return tarBytes(t, without(legacy(), "manifest.json")) }, "neither manifest.json nor index.json"},
		{"manifest.json garbage", func() []byte { return tarBytes(t, with(t, legacy(), "manifest.json", []byte("{not json"))) }, `entry "manifest.json": invalid JSON`},
		{"manifest.json trailing garbage", func() []byte {
			ms := legacy()
			for _, m := range ms {
				if m.name == "manifest.json" {
					return tarBytes(t, with(t, ms, "manifest.json", append(m.body, "]]"...)))
				}
			}
			return nil
		}, `entry "manifest.json": invalid JSON: trailing data`},
		{"manifest.json of the wrong shape", func() []byte { return tarBytes(t, with(t, legacy(), "manifest.json", []byte(`{"Config":1}`))) }, `entry "manifest.json": invalid JSON`},
		{"manifest.json lists nothing", func() []byte { return tarBytes(t, with(t, legacy(), "manifest.json", []byte(`[]`))) }, "lists no images"},
		{"config missing", func() []byte { return tarBytes(t, without(legacy(), app.id().Hex+".json")) }, `entry "` + app.id().Hex + `.json": not found in the archive`},
		{"config corrupt", func() []byte {
			return tarBytes(t, with(t, legacy(), app.id().Hex+".json", append(app.config(), ' ')))
		}, "not the image ID its name claims"},
		{"config garbage", func() []byte {
			ms := legacy()
			g := []byte("{{{")
			ms = without(ms, app.id().Hex+".json")
			ms = append(ms, file(sha(g).Hex+".json", g))
			return tarBytes(t, with(t, ms, "manifest.json", []byte(`[{"Config":"`+sha(g).Hex+`.json","RepoTags":null,"Layers":[]}]`)))
		}, "image config: invalid JSON"},
		{"legacy layer does not match its diff_id", func() []byte {
			ms := legacy()
			return tarBytes(t, with(t, ms, layerName(ms, 1), layerTar(t, map[string]string{"evil": "x"})))
		}, "not the diff_id"},
		{"legacy gzip layer does not match its diff_id", func() []byte {
			ms := legacyMembers(t, gzApp)
			return tarBytes(t, with(t, ms, layerName(ms, 1), gz(t, layerTar(t, map[string]string{"evil": "x"}))))
		}, "but the image config lists diff_id"},
		{"legacy gzip layer corrupt", func() []byte {
			ms := legacyMembers(t, gzApp)
			b := gz(t, app.layers[1])
			b[len(b)/2] ^= 0xff
			return tarBytes(t, with(t, ms, layerName(ms, 1), b))
		}, "decompressing layer"},
		{"legacy layer count mismatch", func() []byte {
			ms := legacy()
			return tarBytes(t, with(t, ms, "manifest.json", []byte(`[{"Config":"`+app.id().Hex+`.json","RepoTags":["app:1.0"],"Layers":["`+layerName(ms, 0)+`"]}]`)))
		}, "lists 1 layers but its config"},
		{"legacy layer symlink leaving the archive", func() []byte {
			ms := legacy()
			n := layerName(ms, 1)
			ms = without(ms, n)
			return tarBytes(t, append(ms, tm{name: n, typ: tar.TypeSymlink, link: "../../../etc/passwd"}))
		}, "leaves the archive"},
		{"legacy layer symlink to an absolute path", func() []byte {
			ms := legacy()
			n := layerName(ms, 1)
			ms = without(ms, n)
			return tarBytes(t, append(ms, tm{name: n, typ: tar.TypeSymlink, link: "/etc/passwd"}))
		}, "symlink to absolute path"},
		{"legacy layer symlink loop", func() []byte {
			ms := legacy()
			n := layerName(ms, 1)
			ms = without(ms, n)
			return tarBytes(t, append(ms, tm{name: n, typ: tar.TypeSymlink, link: "loop"}, tm{name: n[:strings.Index(n, "/")] + "/loop", typ: tar.TypeSymlink, link: "layer.tar"}))
		}, "too many levels of links"},
		{"legacy layer is a directory", func() []byte {
			ms := legacy()
			n := layerName(ms, 1)
			return tarBytes(t, append(without(ms, n), tm{name: n, typ: tar.TypeDir}))
		}, "is a directory"},
		{"invalid tag", func() []byte {
			bad := app
			bad.tags = []string{"Nginx:latest"}
			return tarBytes(t, legacyMembers(t, bad))
		}, `invalid tag "Nginx:latest"`},
		{"OCI layer blob corrupt", func() []byte {
			ms := oci()
			n := layerName(ms, 1)
			b := append([]byte(nil), app.layers[1]...)
			b[10] ^= 1
			return tarBytes(t, with(t, ms, n, b))
		}, "content hashes to"},
		{"OCI gzip layer blob corrupt", func() []byte {
			ms := ociMembers(t, gzApp)
			n := layerName(ms, 0)
			for _, m := range ms {
				if m.name == n {
					b := append([]byte(nil), m.body...)
					b[len(b)-10] ^= 1
					return tarBytes(t, with(t, ms, n, b))
				}
			}
			return nil
		}, "content hashes to"},
		{"OCI gzip layer does not match its diff_id", func() []byte {
			ms := ociMembers(t, gzApp)
			n := layerName(ms, 1)
			evil := gz(t, layerTar(t, map[string]string{"evil": "x"}))
			var old []byte
			for _, m := range ms {
				if m.name == n {
					old = m.body
				}
			}
			ms = append(without(ms, n), file(blobPath(sha(evil)), evil))
			return tarBytes(t, rewriteManifest(t, ms, func(s string) string {
				s = strings.Replace(s, sha(old).String(), sha(evil).String(), 1)
				return strings.Replace(s, `"size":`+itoa(len(old)), `"size":`+itoa(len(evil)), 1)
			}))
		}, "but the image config lists diff_id"},
		{"OCI uncompressed layer does not match its diff_id", func() []byte {
			ms := oci()
			n := layerName(ms, 1)
			evil := layerTar(t, map[string]string{"evil": "x"})
			old := app.layers[1]
			ms = append(without(ms, n), file(blobPath(sha(evil)), evil))
			return tarBytes(t, rewriteManifest(t, ms, func(s string) string {
				s = strings.Replace(s, sha(old).String(), sha(evil).String(), 1)
				return strings.Replace(s, `"size":`+itoa(len(old)), `"size":`+itoa(len(evil)), 1)
			}))
		}, "does not match the config's diff_id"},
		{"OCI layer missing", func() []byte { ms := oci(); return tarBytes(t, without(ms, layerName(ms, 1))) }, "not found in the archive"},
		{"OCI layer size differs from its descriptor", func() []byte {
			return tarBytes(t, rewriteManifest(t, oci(), func(s string) string {
				return strings.Replace(s, `"size":`+itoa(len(app.layers[1])), `"size":`+itoa(len(app.layers[1])+1), 1)
			}))
		}, "does not match the manifest's size"},
		{"OCI unknown layer media type", func() []byte {
			return tarBytes(t, rewriteManifest(t, oci(), func(s string) string {
				return strings.Replace(s, "application/vnd.oci.image.layer.v1.tar", "application/x-mystery", 1)
			}))
		}, `unknown media type "application/x-mystery"`},
		{"OCI unknown config media type", func() []byte {
			return tarBytes(t, rewriteManifest(t, oci(), func(s string) string {
				return strings.Replace(s, "application/vnd.oci.image.config.v1+json", "application/x-config", 1)
			}))
		}, `unknown media type "application/x-config" for an image config`},
		{"OCI layer media type says uncompressed but it is gzip", func() []byte {
			return tarBytes(t, rewriteManifest(t, ociMembers(t, gzApp), func(s string) string {
				return strings.ReplaceAll(s, "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar")
			}))
		}, "is gzip-compressed but its media type"},
		{"OCI unknown manifest media type in index.json", func() []byte {
			ms := oci()
			for _, m := range ms {
				if m.name == "index.json" {
					return tarBytes(t, with(t, ms, "index.json", []byte(strings.ReplaceAll(string(m.body), "application/vnd.oci.image.manifest.v1+json", "application/x-manifest"))))
				}
			}
			return nil
		}, `unknown media type "application/x-manifest"`},
		{"OCI index.json garbage", func() []byte { return tarBytes(t, with(t, oci(), "index.json", []byte("\x00\x01garbage"))) }, `entry "index.json": invalid JSON`},
		{"OCI index.json is a manifest", func() []byte {
			return tarBytes(t, with(t, without(oci(), "manifest.json"), "index.json", []byte(`{"schemaVersion":2,"config":{},"layers":[]}`)))
		}, "not an image index"},
		{"OCI oci-layout wrong version", func() []byte { return tarBytes(t, with(t, oci(), "oci-layout", []byte(`{"imageLayoutVersion":"9"}`))) }, "unsupported imageLayoutVersion"},
		{"OCI manifest blob corrupt", func() []byte {
			ms := oci()
			for _, m := range ms {
				if strings.HasPrefix(m.name, "blobs/") && strings.Contains(string(m.body), `"layers":[`) {
					return tarBytes(t, with(t, ms, m.name, []byte(strings.Replace(string(m.body), "schemaVersion", "schemaVersioN", 1))))
				}
			}
			return nil
		}, "content hashes to"},
		{"OCI symlinked blob", func() []byte {
			ms := oci()
			n := layerName(ms, 1)
			ms = append(without(ms, n), file("elsewhere", app.layers[1]), tm{name: n, typ: tar.TypeSymlink, link: "../../elsewhere"})
			return tarBytes(t, ms)
		}, "is a link"},
		{"OCI index names a missing manifest", func() []byte {
			ms := oci()
			var out []tm
			for _, m := range ms {
				if strings.HasPrefix(m.name, "blobs/") && strings.Contains(string(m.body), `"layers":[`) {
					continue
				}
				out = append(out, m)
			}
			return tarBytes(t, out)
		}, "not found in the archive"},
		{"second image bad after a good one", func() []byte {
			ms := legacyMembers(t, other, app)
			return tarBytes(t, with(t, ms, layerName(ms, 2), layerTar(t, map[string]string{"evil": "x"})))
		}, "not the diff_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The store already holds an image sharing the base layer: it must survive.
			s := store.NewMemory()
			if _, err := load(t, s, tarBytes(t, legacyMembers(t, base))); err != nil {
				t.Fatal(err)
			}
			before := snap(t, s)
			_, err := load(t, s, tc.tar())
			if err == nil {
				t.Fatalf("Load succeeded; want an error containing %q", tc.want)
			}
			t.Logf("error: %v", err)
			if msg := err.Error(); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q; want it to contain %q", msg, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines; want one", err)
			}
			if !strings.HasPrefix(err.Error(), "loading image archive: ") {
				t.Errorf("error %q; want it to start with %q", err, "loading image archive: ")
			}
			if d := before.diff(snap(t, s)); d != "" {
				t.Errorf("the failed load changed the store: %s", d)
			}
		})
	}
}

// isLayer tells layer blobs (tars, gzip) from JSON blobs in crafted archives.
func isLayer(b []byte) bool { return len(b) > 0 && b[0] != '{' }

// secondHeader returns the offset of the second tar header in b.
func secondHeader(t testing.TB, b []byte) int {
	size := 0
	for _, c := range b[124:135] {
		size = size*8 + int(c-'0')
	}
	return 512 + (size+511)/512*512
}

// TestLoadMovesTag: a tag that named another image moves to the loaded one, and the other
// image stays as an untagged entry, as docker load does.
func TestLoadMovesTag(t *testing.T) {
	base, app := testImages(t)
	s := store.NewMemory()
	first, err := load(t, s, tarBytes(t, legacyMembers(t, app)))
	if err != nil {
		t.Fatal(err)
	}
	moved := base
	moved.tags = []string{"app:1.0"}
	second, err := load(t, s, tarBytes(t, legacyMembers(t, moved)))
	if err != nil {
		t.Fatal(err)
	}
	if second[0].Replaced != app.id() {
		t.Errorf("Replaced = %q; want the ID of the image the tag named before, %q", second[0].Replaced, app.id())
	}
	if first[0].Replaced != (v1.Hash{}) {
		t.Errorf("first load: Replaced = %q; want none", first[0].Replaced)
	}
	idx, _ := s.Index(context.Background())
	got := map[string]v1.Hash{}
	for _, e := range idx {
		got[e.Name] = e.Descriptor.Digest
	}
	want := map[string]v1.Hash{
		"docker.io/library/app:1.0": second[0].Manifest.Digest,
		"example.com/u/app:latest":  first[0].Manifest.Digest,
	}
	for n, d := range want {
		if got[n] != d {
			t.Errorf("index[%q] = %s; want %s", n, got[n], d)
		}
	}
	if _, ok := got[""]; ok {
		t.Errorf("app is still tagged example.com/u/app:latest, yet an untagged entry appeared: %+v", idx)
	}

	// Move the last tag too: now the old image must stay, untagged.
	moved.tags = []string{"example.com/u/app:latest"}
	if _, err := load(t, s, tarBytes(t, legacyMembers(t, moved))); err != nil {
		t.Fatal(err)
	}
	idx, _ = s.Index(context.Background())
	dangling := false
	for _, e := range idx {
		dangling = dangling || (e.Name == "" && e.Descriptor.Digest == first[0].Manifest.Digest)
	}
	if !dangling {
		t.Errorf("index %+v; want the old app image kept untagged", idx)
	}
}

// TestLoadConcurrent: loads sharing blobs, at once into one store, all land.
func TestLoadConcurrent(t *testing.T) {
	base, app := testImages(t)
	gzApp := app
	gzApp.gz = true
	tars := [][]byte{
		tarBytes(t, legacyMembers(t, app)),
		tarBytes(t, legacyMembers(t, base)),
		tarBytes(t, ociMembers(t, gzApp)),
		tarBytes(t, legacyMembers(t, app, base)),
	}
	s := store.NewMemory()
	errs := make(chan error, len(tars))
	for _, b := range tars {
		go func() {
			_, err := load(t, s, b)
			errs <- err
		}()
	}
	for range tars {
		if err := <-errs; err != nil {
			t.Errorf("concurrent load: %v", err)
		}
	}
	idx, _ := s.Index(context.Background())
	names := map[string]bool{}
	for _, e := range idx {
		names[e.Name] = true
		if _, err := store.Closure(context.Background(), s, e.Descriptor); err != nil {
			t.Errorf("%q: %v", e.Name, err)
		}
	}
	for _, n := range []string{"docker.io/library/app:1.0", "example.com/u/app:latest", "docker.io/library/base:1"} {
		if !names[n] {
			t.Errorf("index lacks %q: %+v", n, idx)
		}
	}
}
