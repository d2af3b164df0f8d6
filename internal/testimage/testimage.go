package testimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// epoch is every timestamp in the images: fixed, so digests are stable.
var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Layer returns a layer holding one file, /<name>.txt, whose content is name repeated size
// times (so different names give different digests and size controls the blob size).
func Layer(name string, size int) v1.Layer {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	body := []byte(strings.Repeat(name+"\n", size))
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name + ".txt", Mode: 0o644, Size: int64(len(body)), ModTime: epoch, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		panic(err)
	}
	if _, err := tw.Write(body); err != nil {
		panic(err)
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	raw := b.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	})
	if err != nil {
		panic(err)
	}
	return l
}

// Image returns a linux/amd64 Docker schema2 image made of one layer per name (see Layer),
// each size lines long, with one history entry per layer and CMD ["/bin/sh"].
func Image(size int, names ...string) v1.Image {
	img := empty.Image
	for _, n := range names {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:     Layer(n, size),
			History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "/bin/sh -c echo " + n + " > /" + n + ".txt"},
			MediaType: types.DockerLayer,
		})
		if err != nil {
			panic(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		panic(err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Cmd = []string{"/bin/sh"}
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		panic(err)
	}
	return img
}

// OCI returns img with OCI media types (manifest, config and layers).
func OCI(img v1.Image) v1.Image {
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	ls, err := img.Layers()
	if err != nil {
		panic(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		panic(err)
	}
	out := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	out = mutate.ConfigMediaType(out, types.OCIConfigJSON)
	for i, l := range ls {
		out, err = mutate.Append(out, mutate.Addendum{Layer: l, History: cf.History[i], MediaType: types.OCILayer})
		if err != nil {
			panic(err)
		}
	}
	out, err = mutate.ConfigFile(out, cf)
	if err != nil {
		panic(err)
	}
	return out
}

// Platform returns img's config rewritten for os/arch (variant may be empty).
func Platform(img v1.Image, os, arch, variant string) v1.Image {
	cf, err := img.ConfigFile()
	if err != nil {
		panic(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = os, arch, variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		panic(err)
	}
	return img
}

// Index returns an OCI index of the given platform images plus, for each, a BuildKit-style
// attestation manifest (platform unknown/unknown, annotated
// vnd.docker.reference.type=attestation-manifest) that pulls must skip.
func Index(imgs ...v1.Image) v1.ImageIndex {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var adds []mutate.IndexAddendum
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			panic(err)
		}
		d, err := img.Digest()
		if err != nil {
			panic(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant},
		}})
		att := OCI(Image(1, fmt.Sprintf("attestation-%s-%s", cf.OS, cf.Architecture)))
		adds = append(adds, mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				"vnd.docker.reference.type":   "attestation-manifest",
				"vnd.docker.reference.digest": d.String(),
			},
		}})
	}
	return mutate.AppendManifests(idx, adds...)
}

// PullTest is the image the recorded pull output is about: five layers (more than docker's
// three concurrent downloads, so some wait).
func PullTest() v1.Image { return Image(2000, "alpha", "bravo", "charlie", "delta", "echo") }

// PullTestChild shares PullTest's first three layers and adds two, for "Already exists".
func PullTestChild() v1.Image {
	return Image(2000, "alpha", "bravo", "charlie", "foxtrot", "golf")
}

// MultiPlatform is an OCI index of PullTest for linux/amd64 and a linux/arm64 variant, each
// with an attestation manifest.
func MultiPlatform() v1.ImageIndex {
	return Index(OCI(PullTest()), OCI(Platform(Image(2000, "arm-one", "arm-two"), "linux", "arm64", "v8")))
}
