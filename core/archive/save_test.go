package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/store"
)

// saveAll saves every loaded image, with the names Load gave them, grouped per manifest.
func saveAll(t testing.TB, s store.Store, loaded []Loaded, opts ...SaveOption) []byte {
	t.Helper()
	var imgs []SaveImage
	at := map[v1.Hash]int{}
	for _, ld := range loaded {
		i, ok := at[ld.Manifest.Digest]
		if !ok {
			i = len(imgs)
			at[ld.Manifest.Digest] = i
			imgs = append(imgs, SaveImage{Manifest: ld.Manifest})
		}
		if ld.Name != "" {
			imgs[i].Names = append(imgs[i].Names, ld.Name)
		}
	}
	var b bytes.Buffer
	if err := Save(context.Background(), s, &b, imgs, opts...); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return b.Bytes()
}

type tarMember struct {
	h    *tar.Header
	body []byte
}

func readTar(t testing.TB, b []byte) []tarMember {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out []tarMember
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading saved tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarMember{h, body})
	}
}

// TestSaveLayout pins the Docker 25+ shape member by member (see Save's doc for where each
// decision comes from).
func TestSaveLayout(t *testing.T) {
	base, app := testImages(t)
	gzApp := app
	gzApp.gz = true // layers compressed in the store must come out uncompressed
	s := store.NewMemory()
	loaded, err := load(t, s, tarBytes(t, ociMembers(t, gzApp, base)))
	if err != nil {
		t.Fatal(err)
	}
	out := saveAll(t, s, loaded)
	ms := readTar(t, out)

	d := app.diffIDs()
	appCfg, baseCfg := app.config(), base.config()
	man := func(cfg []byte, layers ...[]byte) string {
		var ls []string
		for _, l := range layers {
			ls = append(ls, fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}`, sha(l), len(l)))
		}
		return fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[%s]}`,
			sha(cfg), len(cfg), strings.Join(ls, ","))
	}
	appMan, baseMan := man(appCfg, app.layers...), man(baseCfg, base.layers...)
	appM, baseM := sha([]byte(appMan)), sha([]byte(baseMan))
	index := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[`+
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%[1]s","size":%[2]d,"annotations":{"io.containerd.image.name":"docker.io/library/app:1.0","org.opencontainers.image.ref.name":"1.0"}},`+
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%[1]s","size":%[2]d,"annotations":{"io.containerd.image.name":"example.com/u/app:latest","org.opencontainers.image.ref.name":"latest"}},`+
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%[3]s","size":%[4]d,"annotations":{"io.containerd.image.name":"docker.io/library/base:1","org.opencontainers.image.ref.name":"1"}}]}`,
		appM, len(appMan), baseM, len(baseMan))
	manifestJSON := fmt.Sprintf(`[{"Config":"blobs/sha256/%s","RepoTags":["app:1.0","example.com/u/app:latest"],"Layers":["blobs/sha256/%s","blobs/sha256/%s"]},`+
		`{"Config":"blobs/sha256/%s","RepoTags":["base:1"],"Layers":["blobs/sha256/%s"]}]`+"\n", app.id().Hex, d[0].Hex, d[1].Hex, base.id().Hex, d[0].Hex)
	repositories := fmt.Sprintf(`{"app":{"1.0":"%s"},"base":{"1":"%s"},"example.com/u/app":{"latest":"%s"}}`+"\n", d[1].Hex, d[0].Hex, d[1].Hex)

	appTime := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).Unix()
	baseTime := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Unix() // whole seconds: .123456789 is cut
	type want struct {
		name  string
		body  string
		mtime int64
	}
	wants := []want{
		{"blobs/", "", baseTime}, // the last image's created time
		{"blobs/sha256/", "", 0},
	}
	blobs := map[string]want{
		appM.Hex:      {body: appMan, mtime: 0},
		baseM.Hex:     {body: baseMan, mtime: 0},
		app.id().Hex:  {body: string(appCfg), mtime: appTime},
		base.id().Hex: {body: string(baseCfg), mtime: baseTime},
		d[0].Hex:      {body: string(app.layers[0]), mtime: appTime}, // first saved with app
		d[1].Hex:      {body: string(app.layers[1]), mtime: appTime},
	}
	var hexes []string
	for h := range blobs {
		hexes = append(hexes, h)
	}
	sortStrings(hexes)
	for _, h := range hexes {
		w := blobs[h]
		wants = append(wants, want{"blobs/sha256/" + h, w.body, w.mtime})
	}
	wants = append(wants,
		want{"index.json", index, 0},
		want{"manifest.json", manifestJSON, 0},
		want{"oci-layout", `{"imageLayoutVersion": "1.0.0"}`, 0},
		want{"repositories", repositories, 0},
	)
	if len(ms) != len(wants) {
		var names []string
		for _, m := range ms {
			names = append(names, m.h.Name)
		}
		t.Fatalf("saved %d members %q; want %d", len(ms), names, len(wants))
	}
	for i, w := range wants {
		m := ms[i]
		if m.h.Name != w.name {
			t.Errorf("member %d: name %q; want %q", i, m.h.Name, w.name)
			continue
		}
		if string(m.body) != w.body {
			t.Errorf("%s: body %q; want %q", w.name, m.body, w.body)
		}
		if got := m.h.ModTime.Unix(); got != w.mtime {
			t.Errorf("%s: mtime %d; want %d", w.name, got, w.mtime)
		}
		wantMode, wantType := int64(0o100644), byte(tar.TypeReg)
		if strings.HasSuffix(w.name, "/") {
			wantMode, wantType = 0o40755, tar.TypeDir
		}
		if m.h.Mode != wantMode || m.h.Typeflag != wantType {
			t.Errorf("%s: mode %o type %q; want %o %q", w.name, m.h.Mode, m.h.Typeflag, wantMode, wantType)
		}
		if m.h.Uid != 0 || m.h.Gid != 0 || m.h.Uname != "root" || m.h.Gname != "root" {
			t.Errorf("%s: owner %d:%d %q:%q; want 0:0 root:root", w.name, m.h.Uid, m.h.Gid, m.h.Uname, m.h.Gname)
		}
		if m.h.Format != tar.FormatUSTAR || len(m.h.PAXRecords) != 0 {
			t.Errorf("%s: format %v with PAX records %v; want plain ustar blocks as Docker's writer gives", w.name, m.h.Format, m.h.PAXRecords)
		}
	}
	// Docker's tar ends right after the two zero blocks.
	if n := len(out); n%512 != 0 || !bytes.Equal(out[n-1024:], make([]byte, 1024)) {
		t.Errorf("the tar does not end with exactly the end-of-archive blocks")
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestSaveTimeAndDeterminism(t *testing.T) {
	_, app := testImages(t)
	s := store.NewMemory()
	loaded, err := load(t, s, tarBytes(t, legacyMembers(t, app)))
	if err != nil {
		t.Fatal(err)
	}
	a, b := saveAll(t, s, loaded), saveAll(t, s, loaded)
	if !bytes.Equal(a, b) {
		t.Errorf("two saves of the same images differ")
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	for _, m := range readTar(t, saveAll(t, s, loaded, WithTime(now))) {
		want := int64(0)
		switch m.h.Name {
		case "index.json", "blobs/sha256/":
			want = now.Unix()
		}
		if strings.HasPrefix(m.h.Name, "blobs/sha256/") && m.h.Name != "blobs/sha256/" || m.h.Name == "blobs/" {
			continue
		}
		if got := m.h.ModTime.Unix(); got != want {
			t.Errorf("%s: mtime %d; want %d", m.h.Name, got, want)
		}
	}
}

// TestRoundTrip loads each shape, saves, and loads the result into a fresh store and into
// the same store: same IDs and names in the same order, and the same store unchanged.
func TestRoundTrip(t *testing.T) {
	base, app := testImages(t)
	gzApp := app
	gzApp.gz = true
	untagged := base
	untagged.tags = nil
	cases := []struct {
		name string
		tar  []byte
	}{
		{"legacy", tarBytes(t, legacyMembers(t, app, base))},
		{"legacy gzip", tarBytes(t, legacyMembers(t, gzApp))},
		{"docker 25+ gzip", tarBytes(t, ociMembers(t, gzApp, base))},
		{"OCI layout only", tarBytes(t, without(ociMembers(t, app), "manifest.json"))},
		{"untagged and tagged", tarBytes(t, legacyMembers(t, app, untagged))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := store.NewMemory()
			first, err := load(t, s, tc.tar)
			if err != nil {
				t.Fatal(err)
			}
			saved := saveAll(t, s, first)

			fresh := store.NewMemory()
			second, err := load(t, fresh, saved)
			if err != nil {
				t.Fatalf("loading what Save wrote: %v", err)
			}
			if got, want := summary(second), summary(first); got != want {
				t.Errorf("after the round trip: %s; want %s", got, want)
			}

			before := snap(t, s)
			again, err := load(t, s, saved)
			if err != nil {
				t.Fatal(err)
			}
			if d := before.diff(snap(t, s)); d != "" {
				t.Errorf("loading a save of the store's own images changed it: %s", d)
			}
			for i := range again {
				if again[i].Manifest.Digest != first[i].Manifest.Digest {
					t.Errorf("image %d: manifest %s; want the one the store had, %s", i, again[i].Manifest.Digest, first[i].Manifest.Digest)
				}
			}
		})
	}
}

func summary(ls []Loaded) string {
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "%q=%s ", l.Name, l.ID)
	}
	return b.String()
}

func TestSaveErrors(t *testing.T) {
	_, app := testImages(t)
	s := store.NewMemory()
	loaded, err := load(t, s, tarBytes(t, legacyMembers(t, app)))
	if err != nil {
		t.Fatal(err)
	}
	empty := img{tags: []string{"empty:1"}}
	emptyLoaded, err := load(t, s, tarBytes(t, legacyMembers(t, empty)))
	if err != nil {
		t.Fatal(err)
	}
	missing := v1.Descriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: sha([]byte("nothing")), Size: 7}
	cases := []struct {
		name   string
		images []SaveImage
		want   string
	}{
		{"nothing to save", nil, "saving images: no image to save"},
		{"manifest not in the store", []SaveImage{{Names: []string{"docker.io/library/x:1"}, Manifest: missing}}, "saving docker.io/library/x:1: blob " + missing.Digest.String() + ": not found"},
		{"image without layers", []SaveImage{{Manifest: emptyLoaded[0].Manifest}}, "empty export - not implemented"},
		{"invalid name", []SaveImage{{Names: []string{"UPPER:1"}, Manifest: loaded[0].Manifest}}, `invalid reference "UPPER:1"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Save(context.Background(), s, &b, tc.images)
			if err == nil {
				t.Fatalf("Save succeeded; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q; want it to contain %q", err, tc.want)
			}
		})
	}
}
