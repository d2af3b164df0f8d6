package cli

// TEMPORARY: core/archive (helper "archive") owns the docker save/load formats. Until it is
// on main, load reads the legacy `docker save` shape (manifest.json + per-layer tars, what
// Engine 20.10 writes) with the small reader below, and save is unavailable. When
// core/archive lands, replace this file with:
//
//	func init() {
//		loadArchive = func(ctx context.Context, s store.Store, r io.ReaderAt, size int64) ([]LoadedImage, error) {
//			ls, err := archive.Load(ctx, s, r, size)
//			out := make([]LoadedImage, len(ls))
//			for i, l := range ls { out[i] = LoadedImage(l) }
//			return out, err
//		}
//		saveArchive = func(ctx context.Context, s store.Store, w io.Writer, ims []SaveImage) error {
//			in := make([]archive.SaveImage, len(ims))
//			for i, im := range ims { in[i] = archive.SaveImage(im) }
//			return archive.Save(ctx, s, w, in)
//		}
//	}

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/store"
)

func init() {
	loadArchive = loadLegacy
}

func loadLegacy(ctx context.Context, s store.Store, r io.ReaderAt, size int64) ([]LoadedImage, error) {
	files := map[string][]byte{}
	tr := tar.NewReader(io.NewSectionReader(r, 0, size))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("reading archive entry %s: %w", h.Name, err)
		}
		files[path.Clean(h.Name)] = b
	}
	mf, ok := files["manifest.json"]
	if !ok {
		return nil, errors.New("archive has no manifest.json")
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(mf, &manifest); err != nil {
		return nil, fmt.Errorf("parsing manifest.json: %w", err)
	}
	var out []LoadedImage
	var add []store.Entry
	for _, m := range manifest {
		cfg, ok := files[path.Clean(m.Config)]
		if !ok {
			return nil, fmt.Errorf("archive has no %s", m.Config)
		}
		cd, err := store.PutBytes(ctx, s, cfg)
		if err != nil {
			return nil, err
		}
		var c struct {
			RootFS struct {
				DiffIDs []v1.Hash `json:"diff_ids"`
			} `json:"rootfs"`
		}
		if err := json.Unmarshal(cfg, &c); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", m.Config, err)
		}
		if len(c.RootFS.DiffIDs) != len(m.Layers) {
			return nil, fmt.Errorf("%s lists %d layers, manifest.json %d", m.Config, len(c.RootFS.DiffIDs), len(m.Layers))
		}
		man := v1.Manifest{
			SchemaVersion: 2,
			MediaType:     types.DockerManifestSchema2,
			Config:        v1.Descriptor{MediaType: types.DockerConfigJSON, Size: int64(len(cfg)), Digest: cd},
		}
		for i, l := range m.Layers {
			b, ok := files[path.Clean(l)]
			if !ok {
				return nil, fmt.Errorf("archive has no %s", l)
			}
			d, err := store.PutBytes(ctx, s, b)
			if err != nil {
				return nil, err
			}
			if d != c.RootFS.DiffIDs[i] {
				return nil, fmt.Errorf("layer %s: content hashes to %s, config says %s", l, d, c.RootFS.DiffIDs[i])
			}
			man.Layers = append(man.Layers, v1.Descriptor{MediaType: types.DockerUncompressedLayer, Size: int64(len(b)), Digest: d})
		}
		mb, err := json.Marshal(man)
		if err != nil {
			return nil, err
		}
		md, err := store.PutBytes(ctx, s, mb)
		if err != nil {
			return nil, err
		}
		desc := v1.Descriptor{MediaType: types.DockerManifestSchema2, Size: int64(len(mb)), Digest: md}
		if len(m.RepoTags) == 0 {
			add = append(add, store.Entry{Descriptor: desc})
			out = append(out, LoadedImage{ID: cd, Manifest: desc})
		}
		for _, t := range m.RepoTags {
			n, err := reference.ParseNormalizedNamed(t)
			if err != nil {
				return nil, fmt.Errorf("invalid tag %q in manifest.json: %w", t, err)
			}
			name := reference.TagNameOnly(n).String()
			add = append(add, store.Entry{Name: name, Descriptor: desc})
			out = append(out, LoadedImage{Name: name, ID: cd, Manifest: desc})
		}
	}
	err := s.UpdateIndex(ctx, func(entries []store.Entry) ([]store.Entry, error) {
		for i := range out {
			out[i].Replaced = v1.Hash{}
			for _, e := range entries {
				if out[i].Name != "" && e.Name == out[i].Name && e.Descriptor.Digest != out[i].Manifest.Digest {
					if id, err := configOf(ctx, s, e.Descriptor); err == nil && id != out[i].ID {
						out[i].Replaced = id
					}
				}
			}
		}
		for _, a := range add {
			if a.Name == "" && hasDigest(entries, a.Descriptor.Digest) {
				continue // already held, named or not
			}
			var keep []store.Entry
			var lost []v1.Descriptor
			for _, e := range entries {
				if a.Name != "" && e.Name == a.Name {
					if e.Descriptor.Digest != a.Descriptor.Digest {
						lost = append(lost, e.Descriptor)
					}
					continue
				}
				if e.Name == "" && e.Descriptor.Digest == a.Descriptor.Digest {
					continue
				}
				keep = append(keep, e)
			}
			entries = append(keep, a)
			// an image that lost its last name stays, untagged
			for _, d := range lost {
				if !hasDigest(entries, d.Digest) {
					d.Annotations = nil
					entries = append(entries, store.Entry{Descriptor: d})
				}
			}
		}
		return entries, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func hasDigest(entries []store.Entry, d v1.Hash) bool {
	for _, e := range entries {
		if e.Descriptor.Digest == d {
			return true
		}
	}
	return false
}

func configOf(ctx context.Context, s store.Store, d v1.Descriptor) (v1.Hash, error) {
	b, err := store.ReadBlob(ctx, s, d.Digest)
	if err != nil {
		return v1.Hash{}, err
	}
	var m struct {
		Config v1.Descriptor `json:"config"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return v1.Hash{}, err
	}
	return m.Config.Digest, nil
}
