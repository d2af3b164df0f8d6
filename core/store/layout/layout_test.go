package layout

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/store/storetest"
)

// corruptible lets the suite damage blob files behind the store's back.
type corruptible struct{ *Store }

func (c corruptible) CorruptBlob(t *testing.T, d v1.Hash) {
	t.Helper()
	p := c.blobPath(d)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		b = []byte{0}
	} else {
		b[len(b)/2] ^= 0xff
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var _ storetest.Corrupter = corruptible{}

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return corruptible{openTemp(t)} })
}

// TestReopenSeesEverything checks that what one Store wrote another, opened later on the same
// directory, reads back.
func TestReopenSeesEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	img := writeImage(t, s, "reopen")
	want := []store.Entry{{Name: "docker.io/library/reopen:latest", Descriptor: img}}
	if err := s.UpdateIndex(ctx, func([]store.Entry) ([]store.Entry, error) { return want, nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRecord(ctx, "config", "config.json", []byte(`{"auths":{}}`)); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	got, err := s2.Index(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Index after reopen = %+v, %v; want %+v", got, err, want)
	}
	if b, err := s2.Record(ctx, "config", "config.json"); err != nil || string(b) != `{"auths":{}}` {
		t.Errorf("Record after reopen = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "layerlab", "records", "config", "config.json")); err != nil {
		t.Errorf("record not at layerlab/records/config/config.json: %v", err)
	}
}

// writeImage stores a one-layer OCI image and returns its manifest descriptor.
func writeImage(t *testing.T, s store.Store, seed string) v1.Descriptor {
	t.Helper()
	ctx := context.Background()
	layer := []byte("layer of " + seed)
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Env":["SEED=` + seed + `"]}}`)
	ld, err := store.PutBytes(ctx, s, layer)
	if err != nil {
		t.Fatal(err)
	}
	cd, err := store.PutBytes(ctx, s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := json.Marshal(v1.Manifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: cd, Size: int64(len(cfg))},
		Layers: []v1.Descriptor{{MediaType: types.OCILayer, Digest: ld, Size: int64(len(layer))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	md, err := store.PutBytes(ctx, s, m)
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: md, Size: int64(len(m))}
}

// TestIndexJSONOnDisk checks the exact shape other tools read: both name annotations on
// tagged entries, none on untagged ones, other annotations kept.
func TestIndexJSONOnDisk(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	a := writeImage(t, s, "a")
	b := writeImage(t, s, "b")
	tagged := a
	tagged.Annotations = map[string]string{"io.layerlab.last-tag-time": "2026-11-22T05:00:00.5Z"}
	err := s.UpdateIndex(ctx, func([]store.Entry) ([]store.Entry, error) {
		return []store.Entry{{Name: "docker.io/library/nginx:latest", Descriptor: tagged}, {Descriptor: b}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(s.Dir(), "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatalf("index.json does not parse as an OCI index: %v\n%s", err, raw)
	}
	if idx.SchemaVersion != 2 || idx.MediaType != types.OCIImageIndex {
		t.Errorf("index.json schemaVersion, mediaType = %d, %q; want 2, %q", idx.SchemaVersion, idx.MediaType, types.OCIImageIndex)
	}
	if len(idx.Manifests) != 2 {
		t.Fatalf("index.json has %d manifests; want 2:\n%s", len(idx.Manifests), raw)
	}
	wantAnn := []map[string]string{
		{RefNameAnnotation: "docker.io/library/nginx:latest", ContainerdNameAnnotation: "docker.io/library/nginx:latest", "io.layerlab.last-tag-time": "2026-11-22T05:00:00.5Z"},
		nil,
	}
	for i, m := range idx.Manifests {
		if !reflect.DeepEqual(m.Annotations, wantAnn[i]) {
			t.Errorf("manifests[%d].annotations = %v; want %v", i, m.Annotations, wantAnn[i])
		}
	}
	if got, want := idx.Manifests[0].Digest, a.Digest; got != want {
		t.Errorf("manifests[0].digest = %s; want %s", got, want)
	}
	layoutB, err := os.ReadFile(filepath.Join(s.Dir(), "oci-layout"))
	if err != nil || string(layoutB) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout = %q, %v; want %q", layoutB, err, `{"imageLayoutVersion":"1.0.0"}`)
	}
}

// TestForeignIndex reads an index.json another tool wrote: ref.name only (skopeo's short
// tag), unknown top-level fields kept on rewrite.
func TestForeignIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	img := writeImage(t, s, "foreign")
	idx := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + img.Digest.String() +
		`","size":` + jsonInt(img.Size) + `,"annotations":{"org.opencontainers.image.ref.name":"latest","x":"y"}}],"annotations":{"top":"kept"}}`
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(idx), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := s.Index(ctx)
	want := img
	want.Annotations = map[string]string{"x": "y"}
	if err != nil || !reflect.DeepEqual(got, []store.Entry{{Name: "latest", Descriptor: want}}) {
		t.Fatalf("Index = %+v, %v", got, err)
	}
	if err := s.UpdateIndex(ctx, func(es []store.Entry) ([]store.Entry, error) { return es, nil }); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	if !strings.Contains(string(raw), `"annotations":{"top":"kept"}`) {
		t.Errorf("rewritten index.json lost the top-level annotations: %s", raw)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestGarbageRefused opens directories holding things that are not a layout this store can
// use: each gets a one-line error naming the file and what is wrong, and nothing is changed.
func TestGarbageRefused(t *testing.T) {
	const goodLayout = `{"imageLayoutVersion":"1.0.0"}`
	const goodIndex = `{"schemaVersion":2,"manifests":[]}`
	tests := []struct {
		name    string
		files   map[string]string
		file    string // the file the error must name
		wantErr string
	}{
		{"oci-layout not json", map[string]string{"oci-layout": "garbage\n", "index.json": goodIndex}, "oci-layout", "not valid JSON"},
		{"oci-layout wrong version", map[string]string{"oci-layout": `{"imageLayoutVersion":"2.0.0"}`, "index.json": goodIndex}, "oci-layout", `imageLayoutVersion is "2.0.0"`},
		{"oci-layout no version", map[string]string{"oci-layout": `{}`, "index.json": goodIndex}, "oci-layout", "no imageLayoutVersion"},
		{"index.json not json", map[string]string{"oci-layout": goodLayout, "index.json": `{"schemaVersion":2,`}, "index.json", "not valid JSON"},
		{"index.json binary", map[string]string{"oci-layout": goodLayout, "index.json": "\x00\x01\x02"}, "index.json", "not valid JSON"},
		{"index.json missing", map[string]string{"oci-layout": goodLayout}, "index.json", "missing"},
		{"index.json empty object", map[string]string{"oci-layout": goodLayout, "index.json": `{}`}, "index.json", "no schemaVersion"},
		{"index.json schema 1", map[string]string{"oci-layout": goodLayout, "index.json": `{"schemaVersion":1,"manifests":[]}`}, "index.json", "schemaVersion is 1"},
		{"index.json docker manifest", map[string]string{"oci-layout": goodLayout, "index.json": `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","manifests":[]}`}, "index.json", "mediaType is"},
		{"index.json bad digest", map[string]string{"oci-layout": goodLayout, "index.json": `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:1234","size":3}]}`}, "index.json", "manifests[0]"},
		{"index.json sha512", map[string]string{"oci-layout": goodLayout, "index.json": `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha512:` + strings.Repeat("ab", 64) + `","size":3}]}`}, "index.json", "only sha256"},
		{"index.json no digest", map[string]string{"oci-layout": goodLayout, "index.json": `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":3}]}`}, "index.json", "no digest"},
		{"someone else's directory", map[string]string{"notes.txt": "mine", "index.json": goodIndex}, "", "has no oci-layout file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Open(dir)
			if err == nil {
				t.Fatalf("Open = nil error; want one containing %q", tc.wantErr)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantErr) {
				t.Errorf("error %q does not say %q", msg, tc.wantErr)
			}
			if tc.file != "" && !strings.Contains(msg, filepath.Join(dir, tc.file)) {
				t.Errorf("error %q does not name the file %s", msg, filepath.Join(dir, tc.file))
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is more than one line", msg)
			}
			for name, content := range tc.files {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || string(got) != content {
					t.Errorf("%s after Open = %q, %v; want it unchanged: %q", name, got, err, content)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) != len(tc.files) {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("directory holds %q after a refused Open; want only the %d files that were there", names, len(tc.files))
			}
		})
	}
}

// TestGarbageWrittenLater covers index.json damaged while a Store is open: reads and updates
// fail naming it, and the update does not overwrite it.
func TestGarbageWrittenLater(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	p := filepath.Join(s.Dir(), "index.json")
	if err := os.WriteFile(p, []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Index(ctx); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("Index = %v; want an error naming %s", err, p)
	}
	err := s.UpdateIndex(ctx, func([]store.Entry) ([]store.Entry, error) { return nil, nil })
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("UpdateIndex = %v; want an error naming %s", err, p)
	}
	if b, _ := os.ReadFile(p); string(b) != "not json" {
		t.Errorf("index.json = %q after a failed update; want it untouched", b)
	}
}

// TestOpenCompletesInterruptedCreate: a layout whose creation was killed before oci-layout
// was written is finished on the next Open.
func TestOpenCompletesInterruptedCreate(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"blobs/sha256", "layerlab/tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(dir); err != nil {
		t.Fatalf("Open of a half-created layout: %v", err)
	}
	for _, f := range []string{"oci-layout", "index.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not created: %v", f, err)
		}
	}
}

// TestStrayFilesAreNotBlobs: files in blobs/sha256 that are not named by a digest, and
// temporary files, are never listed as blobs.
func TestStrayFilesAreNotBlobs(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	d, err := store.PutBytes(ctx, s, []byte("real"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"blobs/sha256/.tmp-123", "blobs/sha256/" + strings.Repeat("A", 64), "blobs/sha256/short", "layerlab/tmp/1.abc.tmp"} {
		if err := os.WriteFile(filepath.Join(s.Dir(), name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Blobs(ctx)
	if err != nil || !reflect.DeepEqual(got, []v1.Hash{d}) {
		t.Errorf("Blobs = %v, %v; want [%s]", got, err, d)
	}
}

// TestLitterRemoved: temporary files of dead processes are removed on Open, a live
// process's are kept.
func TestLitterRemoved(t *testing.T) {
	s := openTemp(t)
	tmp := filepath.Join(s.Dir(), "layerlab", "tmp")
	dead := filepath.Join(tmp, "2147483646.deadbeef.tmp") // above any pid_max
	live := filepath.Join(tmp, jsonInt(int64(os.Getppid()))+".cafe.tmp")
	for _, p := range []string{dead, live} {
		if err := os.WriteFile(p, []byte("half a blob"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(s.Dir()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("a dead process's temp file survived Open: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live process's temp file was removed: %v", err)
	}
}

func TestEscapeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "%"},
		{".", "%2E"},
		{"..", "%2E."},
		{"a/b", "a%2Fb"},
		{"config.json", "config.json"},
		{"Upper", "%55pper"},
		{"sha256:ab", "sha256%3Aab"},
		{"%", "%25"},
		{"ü", "%C3%BC"},
	}
	for _, tc := range tests {
		if got := escapeName(tc.in); got != tc.want {
			t.Errorf("escapeName(%q) = %q; want %q", tc.in, got, tc.want)
		}
		if got, ok := unescapeName(tc.want); !ok || got != tc.in {
			t.Errorf("unescapeName(%q) = %q, %v; want %q, true", tc.want, got, ok, tc.in)
		}
	}
	for _, name := range []string{"A", "%4", "%zz", "%2e", "a%", ".x", ""} {
		if got, ok := unescapeName(name); ok {
			t.Errorf("unescapeName(%q) = %q, true; want it refused", name, got)
		}
	}
}

func FuzzEscapeName(f *testing.F) {
	for _, s := range []string{"", ".", "..", "a/b", "%41", "ünï", "sha256:00", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := escapeName(s)
		if strings.ContainsAny(e, "/\x00") || e == "." || e == ".." || strings.HasPrefix(e, ".") {
			t.Fatalf("escapeName(%q) = %q: not a safe file name", s, e)
		}
		if e != strings.ToLower(e) && strings.ContainsAny(strings.ReplaceAll(e, "%", ""), "GHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("escapeName(%q) = %q: uppercase letters outside escapes", s, e)
		}
		if got, ok := unescapeName(e); !ok || got != s {
			t.Fatalf("unescapeName(escapeName(%q)) = %q, %v", s, got, ok)
		}
	})
}

// FuzzParseIndex: index.json is untrusted input. Parsing never panics, and what parses
// survives a rewrite unchanged.
func FuzzParseIndex(f *testing.F) {
	seeds := []string{
		`{"schemaVersion":2,"manifests":[]}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":1,"annotations":{"io.containerd.image.name":"docker.io/library/a:1","org.opencontainers.image.ref.name":"docker.io/library/a:1","io.layerlab.last-tag-time":"2026-01-01T00:00:00Z"}}]}`,
		`{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:` + strings.Repeat("b", 64) + `","size":1,"platform":{"os":"linux","architecture":"arm64"}},{"mediaType":"x","digest":"sha256:` + strings.Repeat("b", 64) + `","size":1}]}`,
		`{"schemaVersion":2,"manifests":[{"digest":"sha256:12"}]}`,
		`{}`, `null`, `[]`, `{"schemaVersion":"2"}`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, top, err := parseIndex(b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is more than one line", err)
			}
			return
		}
		out, err := marshalIndex(top, entries)
		if err != nil {
			t.Fatalf("marshalIndex of a parsed index: %v", err)
		}
		again, _, err := parseIndex(out)
		if err != nil {
			t.Fatalf("rewritten index does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(normJSON(t, again), normJSON(t, entries)) {
			t.Fatalf("rewrite changed the entries:\n%s\n%s", normJSON(t, entries), normJSON(t, again))
		}
	})
}

func normJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSpace(b))
}
