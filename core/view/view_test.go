package view

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/store"
)

// putImage stores an image whose layers hold one file each of the given sizes, created at
// created, and returns its manifest descriptor and image ID.
func putImage(t *testing.T, s store.Store, created time.Time, layerSizes ...int) (v1.Descriptor, v1.Hash) {
	t.Helper()
	ctx := context.Background()
	man := v1.Manifest{SchemaVersion: 2, MediaType: types.DockerManifestSchema2}
	var diffIDs []string
	var history []map[string]any
	for i, n := range layerSizes {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("f%d", i), Typeflag: tar.TypeReg, Size: int64(n), Mode: 0o644})
		tw.Write(bytes.Repeat([]byte{'x'}, n))
		tw.Close()
		d, err := store.PutBytes(ctx, s, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		diffIDs = append(diffIDs, d.String())
		man.Layers = append(man.Layers, v1.Descriptor{MediaType: types.DockerUncompressedLayer, Size: int64(buf.Len()), Digest: d})
		history = append(history, map[string]any{"created": created.Format(time.RFC3339Nano), "created_by": fmt.Sprintf("layer %d", i)})
		history = append(history, map[string]any{"created": created.Format(time.RFC3339Nano), "created_by": "meta", "empty_layer": true})
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "created": created.Format(time.RFC3339Nano),
		"config":  map[string]any{"Env": []string{"A=b"}},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history": history,
	})
	cd, err := store.PutBytes(ctx, s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	man.Config = v1.Descriptor{MediaType: types.DockerConfigJSON, Size: int64(len(cfg)), Digest: cd}
	mb, _ := json.Marshal(man)
	md, err := store.PutBytes(ctx, s, mb)
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{MediaType: types.DockerManifestSchema2, Size: int64(len(mb)), Digest: md}, cd
}

func setIndex(t *testing.T, s store.Store, entries ...store.Entry) {
	t.Helper()
	if err := s.UpdateIndex(context.Background(), func([]store.Entry) ([]store.Entry, error) { return entries, nil }); err != nil {
		t.Fatal(err)
	}
}

func TestCatalog(t *testing.T) {
	s := store.NewMemory()
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	old, oldID := putImage(t, s, t0, 10)
	newer, newID := putImage(t, s, t0.Add(time.Hour), 10, 5)
	setIndex(t, s,
		store.Entry{Name: "docker.io/library/old:latest", Descriptor: old},
		store.Entry{Name: "docker.io/library/new:2", Descriptor: newer},
		store.Entry{Name: "docker.io/library/new:1", Descriptor: newer},
		store.Entry{Name: "localhost:5000/x/new:1", Descriptor: newer},
	)
	cat, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Images) != 2 || cat.Images[0].ID != newID || cat.Images[1].ID != oldID {
		t.Fatalf("images not newest first: %v", cat.Images)
	}
	im := cat.Images[0]
	if got, want := strings.Join(im.Names, ","), "docker.io/library/new:1,docker.io/library/new:2,localhost:5000/x/new:1"; got != want {
		t.Errorf("names: got %q; want %q", got, want)
	}
	if im.Size != 15 {
		t.Errorf("size: got %d; want 15", im.Size)
	}

	tests := []struct {
		ref     string
		want    v1.Hash
		wantErr string
	}{
		{"old", oldID, ""},
		{"old:latest", oldID, ""},
		{"docker.io/library/new:1", newID, ""},
		{"localhost:5000/x/new:1", newID, ""},
		{oldID.String(), oldID, ""},
		{oldID.Hex, oldID, ""},
		{oldID.Hex[:12], oldID, ""},
		{"new", v1.Hash{}, "No such image: new:latest"},
		{"nosuch", v1.Hash{}, "No such image: nosuch:latest"},
		{"sha256:" + strings.Repeat("a", 64), v1.Hash{}, "No such image: sha256:" + strings.Repeat("a", 64)},
		{"new@sha256:" + strings.Repeat("a", 64), v1.Hash{}, "No such image: new@sha256:" + strings.Repeat("a", 64)},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			im, err := cat.Lookup(tc.ref)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrNoSuchImage) {
					t.Fatalf("Lookup(%q) error: got %v; want %q", tc.ref, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup(%q): %v", tc.ref, err)
			}
			if im.ID != tc.want {
				t.Errorf("Lookup(%q): got %s; want %s", tc.ref, im.ID, tc.want)
			}
		})
	}

	sums, err := cat.Summaries(Filters{"reference": {"new"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || strings.Join(sums[0].RepoTags, ",") != "new:1,new:2" {
		t.Errorf("reference=new: got %+v; want new:1,new:2 only", sums)
	}
	if _, err := cat.Summaries(Filters{"bogus": {"1"}}); err == nil || err.Error() != "Invalid filter 'bogus'" {
		t.Errorf("bogus filter: got %v; want Invalid filter 'bogus'", err)
	}

	hist, err := HistoryOf(im)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hist {
		got = append(got, fmt.Sprintf("%s %s %d", truncate(h.ID), h.CreatedBy, h.Size))
	}
	want := []string{newID.String()[:19] + " meta 0", "<missing> layer 1 5", "<missing> meta 0", "<missing> layer 0 10"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("history:\ngot  %q\nwant %q", got, want)
	}
}

func truncate(s string) string {
	if len(s) > 19 {
		return s[:19]
	}
	return s
}

// TestChainIDs checks the chain IDs against the real engine's layer directories: recorded
// `docker image inspect layerlab/app:1.0` (GraphDriver, after the recording script named
// each overlay2 directory by its chain ID from the engine's layerdb).
func TestChainIDs(t *testing.T) {
	b, err := os.ReadFile("../../testdata/golden/039-inspect-layerlab-app-1.0/stdout")
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		GraphDriver struct{ Data map[string]string }
		RootFS      struct{ Layers []string }
	}
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	var diffIDs []v1.Hash
	for _, l := range docs[0].RootFS.Layers {
		h, err := v1.NewHash(l)
		if err != nil {
			t.Fatal(err)
		}
		diffIDs = append(diffIDs, h)
	}
	chains := ChainIDs(diffIDs)
	want := overlay2(diffIDs).Data
	for k, v := range docs[0].GraphDriver.Data {
		if want[k] != v {
			t.Errorf("GraphDriver.Data[%s]: got %q; want %q (engine)", k, want[k], v)
		}
	}
	if len(want) != len(docs[0].GraphDriver.Data) {
		t.Errorf("GraphDriver.Data: got %d keys; want %d", len(want), len(docs[0].GraphDriver.Data))
	}
	if !strings.Contains(docs[0].GraphDriver.Data["UpperDir"], chains[len(chains)-1].Hex) {
		t.Errorf("UpperDir %q does not name the top chain ID %s", docs[0].GraphDriver.Data["UpperDir"], chains[len(chains)-1])
	}
}

func TestLoadRefusesBrokenImages(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	cfg := []byte(`{"rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("1", 64) + `"]}}`)
	cd, _ := store.PutBytes(ctx, s, cfg)
	mb, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.DockerManifestSchema2,
		Config: v1.Descriptor{MediaType: types.DockerConfigJSON, Digest: cd, Size: int64(len(cfg))}})
	md, _ := store.PutBytes(ctx, s, mb)
	setIndex(t, s, store.Entry{Name: "docker.io/library/x:latest", Descriptor: v1.Descriptor{MediaType: types.DockerManifestSchema2, Digest: md, Size: int64(len(mb))}})
	_, err := Load(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "config lists 1 layers, manifest") {
		t.Errorf("Load of an image whose config and manifest disagree: got %v; want an error saying so", err)
	}
}

// FuzzLookup: any name or ID a user types is either found or refused with an error; never a
// panic.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"nginx", "Bad/Ref", "sha256:", "sha256:abc", strings.Repeat("a", 64), "a@sha256:" + strings.Repeat("b", 64), "localhost:5000/x:y", ":", "@", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st := store.NewMemory()
		d, _ := putImage(t, st, time.Unix(0, 0), 1)
		setIndex(t, st, store.Entry{Name: "docker.io/library/nginx:latest", Descriptor: d})
		cat, err := Load(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		im, err := cat.Lookup(s)
		if (im == nil) == (err == nil) {
			t.Errorf("Lookup(%q) = %v, %v; want exactly one of an image and an error", s, im, err)
		}
	})
}
