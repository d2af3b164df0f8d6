package bigimage

import (
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.tar")
	n, err := WriteFile(p, "big:1", 1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	if n < 1<<20 {
		t.Errorf("tar size = %d; want at least %d", n, 1<<20)
	}
	img, err := tarball.ImageFromPath(p, nil)
	if err != nil {
		t.Fatalf("reading the tar back: %v", err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 3 {
		t.Fatalf("layers = %d (%v); want 3", len(layers), err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cf.History); got != 3 {
		t.Errorf("history entries = %d; want 3", got)
	}
	if _, err := WriteFile(p, "big:1", 1<<10, 0); err == nil {
		t.Errorf("WriteFile with 0 layers succeeded; want an error")
	}
}
