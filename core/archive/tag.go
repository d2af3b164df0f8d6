package archive

import (
	"context"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/store"
)

// tag records the loaded images in the store's index, in one UpdateIndex, the way docker
// load tags: a tag that named another image moves, and that image stays as an untagged
// (dangling) entry unless something else still names it. Docker calls two manifests with
// one config the same image, so an image the store already holds under another manifest
// keeps that manifest (and the blob this load wrote for it is removed again).
func (l *loader) tag(loaded []Loaded) error {
	ctx := l.ctx
	cfgOf := map[v1.Hash]v1.Hash{} // manifest digest -> config digest, for image manifests
	configOf := func(d v1.Descriptor) (v1.Hash, bool) {
		if c, ok := cfgOf[d.Digest]; ok {
			return c, c != v1.Hash{}
		}
		cfgOf[d.Digest] = v1.Hash{}
		if !d.MediaType.IsImage() {
			return v1.Hash{}, false
		}
		b, err := store.ReadBlob(ctx, l.s, d.Digest)
		if err != nil {
			return v1.Hash{}, false
		}
		var m struct {
			Config v1.Descriptor `json:"config"`
		}
		if json.Unmarshal(b, &m) != nil {
			return v1.Hash{}, false
		}
		cfgOf[d.Digest] = m.Config.Digest
		return m.Config.Digest, true
	}
	var final []Loaded
	err := l.s.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
		next := append([]store.Entry(nil), cur...)
		final = append(final[:0], loaded...)
		// An image the store already has (same config) keeps its manifest.
		have := map[v1.Hash]v1.Descriptor{}
		for _, e := range cur {
			if c, ok := configOf(e.Descriptor); ok {
				if _, seen := have[c]; !seen {
					have[c] = e.Descriptor
				}
			}
		}
		for i, ld := range final {
			if ld.Manifest.MediaType.IsImage() {
				if d, ok := have[ld.ID]; ok {
					d = v1.Descriptor{MediaType: d.MediaType, Size: d.Size, Digest: d.Digest, Platform: d.Platform}
					final[i].Manifest = d
					ld.Manifest = d
				}
			}
			if ld.Name == "" {
				next = append(next, store.Entry{Descriptor: ld.Manifest})
				continue
			}
			found := false
			for j, e := range next {
				if e.Name != ld.Name {
					continue
				}
				found = true
				if e.Descriptor.Digest == ld.Manifest.Digest {
					break
				}
				old := e.Descriptor
				if c, ok := configOf(old); !ok {
					final[i].Replaced = old.Digest
				} else if c != ld.ID {
					final[i].Replaced = c
				}
				next[j] = store.Entry{Name: ld.Name, Descriptor: ld.Manifest}
				if !named(next, old.Digest) {
					next = append(next, store.Entry{Descriptor: old})
				}
				break
			}
			if !found {
				next = append(next, store.Entry{Name: ld.Name, Descriptor: ld.Manifest})
			}
		}
		return next, nil
	})
	if err != nil {
		return fmt.Errorf("tagging the loaded images: %w", err)
	}
	copy(loaded, final)
	// Manifests this load built but did not use (the store had the image already).
	l.removeAdded()
	return nil
}

// named reports whether any entry refers to manifest d.
func named(entries []store.Entry, d v1.Hash) bool {
	for _, e := range entries {
		if e.Descriptor.Digest == d {
			return true
		}
	}
	return false
}

// removeAdded deletes the blobs this load added that no index entry reaches. It is best
// effort: if the index cannot be read, it keeps everything rather than guess.
func (l *loader) removeAdded() {
	if len(l.added) == 0 {
		return
	}
	ctx := context.WithoutCancel(l.ctx)
	entries, err := l.s.Index(ctx)
	if err != nil {
		return
	}
	keep := map[v1.Hash]bool{}
	for _, e := range entries {
		ds, err := store.Closure(ctx, l.s, e.Descriptor)
		if err != nil {
			return
		}
		for _, d := range ds {
			keep[d] = true
		}
	}
	for d := range l.added {
		if !keep[d] {
			_ = l.s.DeleteBlob(ctx, d)
			delete(l.added, d)
		}
	}
}
