package testimage

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/store"
)

// Put stores img in s under the normalized name (docker.io/library/busybox:latest) with its
// own manifest, as a pull would, so a test can start from an image without a registry.
func Put(t testing.TB, s store.Store, name string, img v1.Image) {
	t.Helper()
	desc := PutBlobs(t, s, img)
	err := s.UpdateIndex(context.Background(), func(e []store.Entry) ([]store.Entry, error) {
		return append(e, store.Entry{Name: name, Descriptor: desc}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// PutBlobs stores every blob of img (layers, config, manifest) in s, without indexing it,
// and returns the manifest's descriptor.
func PutBlobs(t testing.TB, s store.Store, img v1.Image) v1.Descriptor {
	t.Helper()
	ctx := context.Background()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		err = s.PutBlob(ctx, d, rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutBytes(ctx, s, cfg); err != nil {
		t.Fatal(err)
	}
	mb, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	md, err := store.PutBytes(ctx, s, mb)
	if err != nil {
		t.Fatal(err)
	}
	mt, err := img.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{MediaType: mt, Digest: md, Size: int64(len(mb))}
}

// Push writes img (a v1.Image or v1.ImageIndex) to the registry reference refStr with
// go-containerregistry, for tests that pull it back.
func Push(t testing.TB, img any, refStr string, opts ...remote.Option) {
	t.Helper()
	r, err := name.ParseReference(refStr)
	if err != nil {
		t.Fatal(err)
	}
	switch x := img.(type) {
	case v1.Image:
		err = remote.Write(r, x, opts...)
	case v1.ImageIndex:
		err = remote.WriteIndex(r, x, opts...)
	default:
		t.Fatalf("pushing %s: %T is neither an image nor an index", refStr, img)
	}
	if err != nil {
		t.Fatalf("pushing %s: %v", refStr, err)
	}
}
