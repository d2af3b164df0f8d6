package testimage

import (
	"context"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/store"
)

// Put stores img in s under the normalized name (docker.io/library/busybox:latest) with its
// own manifest, as a pull would, so a test can start from an image without a registry.
func Put(t testing.TB, s store.Store, name string, img v1.Image) {
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
	err = s.UpdateIndex(ctx, func(e []store.Entry) ([]store.Entry, error) {
		return append(e, store.Entry{Name: name, Descriptor: v1.Descriptor{MediaType: mt, Digest: md, Size: int64(len(mb))}}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
