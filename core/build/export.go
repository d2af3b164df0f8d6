package build

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/layerlab/layerlab/core/store"
)

// configJSON writes the image config the way BuildKit's image exporter does: the frontend's
// config marshalled, then patched as a map (so top-level keys come out sorted) with the
// rootfs, the history (created times clamped to the epoch past the base image's entries) and
// the created time.
func (b *builder) configJSON(st *stageState) ([]byte, error) {
	img := st.image
	img.RootFS.Type = "layers"
	img.RootFS.DiffIDs = nil
	dt, err := json.Marshal(img)
	if err != nil {
		return nil, err
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(dt, &m); err != nil {
		return nil, err
	}
	rootFS := ocispecs.RootFS{Type: "layers"}
	for _, d := range st.diffIDs {
		rootFS.DiffIDs = append(rootFS.DiffIDs, digest.Digest(d.String()))
	}
	if m["rootfs"], err = json.Marshal(rootFS); err != nil {
		return nil, err
	}
	history := img.History
	if b.epoch != nil {
		diverged := false
		for i, h := range history {
			if !diverged && st.base != nil && i < len(st.base.History) && reflect.DeepEqual(h, st.base.History[i]) {
				continue
			}
			diverged = true
			if h.Created == nil || h.Created.After(*b.epoch) {
				e := *b.epoch
				history[i].Created = &e
			}
		}
	}
	if m["history"], err = json.Marshal(history); err != nil {
		return nil, err
	}
	if v, ok := m["created"]; ok && b.epoch != nil {
		var tm time.Time
		if err := json.Unmarshal(v, &tm); err == nil && tm.After(*b.epoch) {
			m["created"], _ = json.Marshal(b.epoch)
		}
	}
	if _, ok := m["created"]; !ok {
		var tm *time.Time
		for _, h := range history {
			if h.Created != nil {
				tm = h.Created
			}
		}
		if m["created"], err = json.Marshal(&tm); err != nil {
			return nil, err
		}
	}
	return json.Marshal(m)
}

type manifest struct {
	SchemaVersion int64           `json:"schemaVersion"`
	MediaType     types.MediaType `json:"mediaType"`
	Config        v1.Descriptor   `json:"config"`
	Layers        []v1.Descriptor `json:"layers"`
}

// export stores the config and manifest and tags the image.
func (b *builder) export(ctx context.Context, st *stageState) (*Result, error) {
	cfg, err := b.configJSON(st)
	if err != nil {
		return nil, fmt.Errorf("writing the image config: %w", err)
	}
	cd, err := store.PutBytes(ctx, b.s, cfg)
	if err != nil {
		return nil, fmt.Errorf("storing the image config: %w", err)
	}
	layers := st.descs
	if layers == nil {
		layers = []v1.Descriptor{}
	}
	mf := manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: cd, Size: int64(len(cfg))}, Layers: layers}
	mb, err := json.Marshal(mf)
	if err != nil {
		return nil, err
	}
	md, err := store.PutBytes(ctx, b.s, mb)
	if err != nil {
		return nil, fmt.Errorf("storing the manifest: %w", err)
	}
	desc := v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: md, Size: int64(len(mb))}
	var names []string
	for _, t := range b.o.Tags {
		n, err := reference.ParseNormalizedNamed(t)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", t, err)
		}
		names = append(names, reference.TagNameOnly(n).String())
	}
	err = b.s.UpdateIndex(ctx, func(entries []store.Entry) ([]store.Entry, error) {
		out := entries[:0:0]
		for _, e := range entries {
			keep := true
			for _, n := range names {
				if e.Name == n {
					keep = false
				}
			}
			if e.Name == "" && e.Descriptor.Digest == md {
				keep = false
			}
			if keep {
				out = append(out, e)
			}
		}
		if len(names) == 0 {
			out = append(out, store.Entry{Descriptor: desc})
		}
		for _, n := range names {
			out = append(out, store.Entry{Name: n, Descriptor: desc})
		}
		return out, nil
	})
	if err != nil {
		return nil, fmt.Errorf("tagging the image: %w", err)
	}
	return &Result{Manifest: desc, Config: cd, Tags: names}, nil
}
