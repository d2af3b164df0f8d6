package bigimage

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// WriteFile writes to path a docker save tar of Random(size, layers) tagged ref. It returns
// the tar's size.
func WriteFile(path, ref string, size, layers int) (int64, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return 0, fmt.Errorf("writing a test image: %w", err)
	}
	img, err := Random(size, layers)
	if err != nil {
		return 0, err
	}
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Random is a linux/amd64 image of layers layers, each a tar of four random files, adding up
// to about size bytes.
func Random(size, layers int) (v1.Image, error) {
	if layers < 1 {
		return nil, fmt.Errorf("making a test image: want at least one layer, got %d", layers)
	}
	img := empty.Image
	for l := 0; l < layers; l++ {
		b, err := layerTar(l, size/layers/4)
		if err != nil {
			return nil, fmt.Errorf("making a test image: %w", err)
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			return nil, fmt.Errorf("making a test image: %w", err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
			CreatedBy: fmt.Sprintf("/bin/sh -c #(nop) ADD layer%d", l),
			Created:   v1.Time{Time: time.Unix(1700000000, 0).UTC()},
		}})
		if err != nil {
			return nil, fmt.Errorf("making a test image: %w", err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("making a test image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Config.Cmd = []string{"/bin/sh"}
	return mutate.ConfigFile(img, cf)
}

// layerTar is layer l's tar: four random files of per bytes each.
func layerTar(l, per int) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for f := 0; f < 4; f++ {
		data := make([]byte, per)
		rand.Read(data)
		hdr := &tar.Header{Name: fmt.Sprintf("layer%d/file%d.bin", l, f), Mode: 0o644, Size: int64(per), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
