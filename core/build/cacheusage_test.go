package build_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/store"
)

// TestPruneKeepsImages: prune without All removes the cache mounts and the step records no
// image uses; with All every record goes but the image's blobs stay; once the image is
// untagged, its layers' blobs go with the records.
func TestPruneKeepsImages(t *testing.T) {
	ctx := context.Background()
	s := baseStore(t)
	df := "FROM busybox\nRUN --mount=type=cache,target=/c echo x >> /c/log && cp /c/log /seen\nCOPY a.txt /\n"
	files := fstest.MapFS{"a.txt": {Data: []byte("a")}}
	if _, _, err := run(t, s, df, files, build.Options{Tags: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	// A second Dockerfile whose image is then untagged: its COPY record is not shared.
	if _, _, err := run(t, s, "FROM busybox\nCOPY b.txt /\n", fstest.MapFS{"b.txt": {Data: []byte("b")}}, build.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateIndex(ctx, func(es []store.Entry) ([]store.Entry, error) {
		var out []store.Entry
		for _, e := range es {
			if e.Name != "" {
				out = append(out, e)
			}
		}
		return out, nil
	}); err != nil {
		t.Fatal(err)
	}
	count := func() map[string]int {
		us, err := build.DiskUsage(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, u := range us {
			k := u.Type
			if u.Shared {
				k += "/shared"
			}
			m[k]++
		}
		return m
	}
	if got := count(); got["regular/shared"] != 2 || got["regular"] != 1 || got["exec.cachemount"] != 1 {
		t.Fatalf("du before prune: got %v; want 2 shared regular, 1 regular, 1 cache mount", got)
	}
	gone, err := build.Prune(ctx, s, build.PruneOptions{})
	if err != nil || len(gone) != 2 {
		t.Fatalf("prune: got %d records, %v; want 2 (the cache mount and the unshared COPY)", len(gone), err)
	}
	if got := count(); got["regular/shared"] != 2 || len(got) != 1 {
		t.Errorf("du after prune: got %v; want only the 2 shared records", got)
	}
	for _, u := range gone {
		if _, err := s.BlobSize(ctx, u.Blob); err == nil {
			t.Errorf("prune kept blob of %s record %s", u.Type, u.ID)
		}
	}
	if _, err := build.Prune(ctx, s, build.PruneOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if got := count(); len(got) != 0 {
		t.Errorf("du after prune --all: got %v; want nothing", got)
	}
	es, _ := s.Index(ctx)
	for _, e := range es {
		if _, err := store.Closure(ctx, s, e.Descriptor); err != nil {
			t.Errorf("image %s lost a blob to prune: %v", e.Name, err)
		}
	}
	// The cache mount starts empty again after prune.
	if _, _, err := run(t, s, df, files, build.Options{Tags: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
}
