package archive

import (
	"archive/tar"
	"context"
	"testing"

	"github.com/layerlab/layerlab/core/store"
)

// FuzzLoad feeds Load arbitrary archives. Whatever the bytes, Load must not panic; when it
// fails the store must be exactly as before; when it succeeds every image it reports must
// be indexed under its name with all its blobs present.
//
// The seeds are whole archives of tens of KB: run it with a short minimization time, e.g.
// go test ./core/archive -run '^$' -fuzz FuzzLoad -fuzztime 5m -fuzzminimizetime 2s
// (the default minimizes each new input for a minute and looks stuck).
func FuzzLoad(f *testing.F) {
	base, app := testImages(f)
	gzApp := app
	gzApp.gz = true
	existing := tarBytes(f, legacyMembers(f, base))
	seeds := [][]byte{
		tarBytes(f, legacyMembers(f, app, base)),
		tarBytes(f, legacyMembers(f, gzApp)),
		tarBytes(f, ociMembers(f, app)),
		tarBytes(f, ociMembers(f, gzApp, base)),
		tarBytes(f, without(ociMembers(f, app), "manifest.json")),
		tarBytes(f, append(legacyMembers(f, app), file("../../etc/passwd", []byte("x")))),
		tarBytes(f, append(legacyMembers(f, app), tm{name: "l", typ: tar.TypeSymlink, link: "/etc/passwd"})),
		tarBytes(f, with(f, legacyMembers(f, app), "manifest.json", []byte("[{]"))),
		nil,
		[]byte("not a tar at all"),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := store.NewMemory()
		if _, err := load(t, s, existing); err != nil {
			t.Fatal(err)
		}
		before := snap(t, s)
		got, err := load(t, s, b)
		if err != nil {
			if d := before.diff(snap(t, s)); d != "" {
				t.Fatalf("failed load (%v) changed the store: %s", err, d)
			}
			return
		}
		ctx := context.Background()
		idx, err := s.Index(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ld := range got {
			found := false
			for _, e := range idx {
				found = found || (e.Name == ld.Name && e.Descriptor.Digest == ld.Manifest.Digest)
			}
			if !found {
				t.Errorf("loaded %q (%s) is not in the index", ld.Name, ld.Manifest.Digest)
			}
			if _, err := store.Closure(ctx, s, ld.Manifest); err != nil {
				t.Errorf("loaded %q: %v", ld.Name, err)
			}
		}
	})
}
