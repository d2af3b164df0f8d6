package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/view"
)

// deleteRecord is one line of the engine's ImageDelete answer: Untagged or Deleted.
type deleteRecord struct{ Untagged, Deleted string }

// conflictError is the engine's imageDeleteConflict.
type conflictError struct {
	id      v1.Hash
	hard    bool
	message string
}

func (e *conflictError) Error() string {
	force := "must be forced"
	if e.hard {
		force = "cannot be forced"
	}
	return fmt.Sprintf("conflict: unable to delete %s (%s) - %s", truncateID(e.id.String()), force, e.message)
}

// remover applies Engine 20.10's image delete rules to an index in memory; commit writes the
// result and deletes the blobs no remaining image needs.
type remover struct {
	entries []store.Entry
	// images maps config digest to image (as read before any change).
	cat *view.Catalog
	// removed collects the images deleted, for blob collection.
	removed []*view.Image
	// released collects the chain IDs deleted and their sizes.
	released map[v1.Hash]int64
}

func newRemover(ctx context.Context, s store.Store) (*remover, error) {
	cat, err := view.Load(ctx, s)
	if err != nil {
		return nil, err
	}
	entries, err := s.Index(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the image index: %w", err)
	}
	return &remover{entries: entries, cat: cat, released: map[v1.Hash]int64{}}, nil
}

// refs returns the names pointing at image im now, sorted by full name as the engine's
// reference store does.
func (r *remover) refs(im *view.Image) []string {
	var out []string
	for _, e := range r.entries {
		if e.Name != "" && r.imageOf(e) == im {
			out = append(out, e.Name)
		}
	}
	sort.Strings(out)
	return out
}

func (r *remover) imageOf(e store.Entry) *view.Image {
	if e.Name != "" {
		if im := r.cat.ByName(e.Name); im != nil && im.Manifest.Digest == e.Descriptor.Digest {
			return im
		}
	}
	for _, im := range r.cat.Images {
		if im.Manifest.Digest == e.Descriptor.Digest {
			return im
		}
	}
	return nil
}

func (r *remover) present(im *view.Image) bool {
	for _, e := range r.entries {
		if r.imageOf(e) == im {
			return true
		}
	}
	return false
}

func (r *remover) untag(name string) {
	var keep []store.Entry
	for _, e := range r.entries {
		if e.Name != name {
			keep = append(keep, e)
		}
	}
	r.entries = keep
}

// keepUntagged keeps im in the index as an untagged image when its last name goes.
func (r *remover) keepUntagged(im *view.Image) {
	if r.present(im) {
		return
	}
	d := im.Manifest
	d.Annotations = nil
	r.entries = append(r.entries, store.Entry{Descriptor: d})
}

// remove is the engine's ImageDelete for one argument.
func (r *remover) remove(refOrID string, force, prune bool) ([]deleteRecord, error) {
	im, err := lookupImage(r.cat, refOrID)
	if err == nil && !r.present(im) {
		err = daemonError{&view.NotFoundError{Ref: refOrID}}
	}
	if err != nil {
		return nil, err
	}
	var records []deleteRecord
	repoRefs := r.refs(im)
	byID := strings.HasPrefix(im.ID.String(), refOrID) || strings.HasPrefix(im.ID.String(), "sha256:"+refOrID)
	if !byID {
		n, err := parseDaemonRef(refOrID)
		if err != nil {
			return nil, daemonError{err}
		}
		name := reference.TagNameOnly(n).String()
		r.untag(name)
		records = append(records, deleteRecord{Untagged: view.Familiar(name)})
		if len(r.refs(im)) > 0 {
			r.keepUntagged(im) // no-op: still tagged
			return records, nil
		}
		r.keepUntagged(im)
	} else if len(repoRefs) == 1 {
		r.untag(repoRefs[0])
		r.keepUntagged(im)
		records = append(records, deleteRecord{Untagged: view.Familiar(repoRefs[0])})
	}
	if !force && len(r.refs(im)) > 0 {
		return nil, daemonError{&conflictError{id: im.ID, message: "image is referenced in multiple repositories"}}
	}
	for _, name := range r.refs(im) {
		r.untag(name)
		records = append(records, deleteRecord{Untagged: view.Familiar(name)})
	}
	return append(records, r.deleteImage(im)...), nil
}

// deleteImage drops im from the index and reports it and the layers (chain IDs, top first)
// that no remaining image uses.
func (r *remover) deleteImage(im *view.Image) []deleteRecord {
	var keep []store.Entry
	for _, e := range r.entries {
		if r.imageOf(e) != im {
			keep = append(keep, e)
		}
	}
	r.entries = keep
	r.removed = append(r.removed, im)
	records := []deleteRecord{{Deleted: im.ID.String()}}
	inUse := map[v1.Hash]bool{}
	seen := map[*view.Image]bool{}
	for _, e := range r.entries {
		other := r.imageOf(e)
		if other == nil || seen[other] {
			continue
		}
		seen[other] = true
		for _, c := range view.ChainIDs(other.DiffIDs) {
			inUse[c] = true
		}
	}
	chains := view.ChainIDs(im.DiffIDs)
	for i := len(chains) - 1; i >= 0; i-- {
		c := chains[i]
		if inUse[c] {
			break // a layer's parents are in use too
		}
		if _, done := r.released[c]; done {
			continue
		}
		r.released[c] = im.LayerSizes[i]
		records = append(records, deleteRecord{Deleted: c.String()})
	}
	return records
}

// commit writes the new index and deletes the blobs of removed images that no remaining
// image needs.
func (r *remover) commit(ctx context.Context, s store.Store) error {
	entries := r.entries
	err := s.UpdateIndex(ctx, func([]store.Entry) ([]store.Entry, error) { return entries, nil })
	if err != nil {
		return fmt.Errorf("updating the image index: %w", err)
	}
	if len(r.removed) == 0 {
		return nil
	}
	needed := map[v1.Hash]bool{}
	for _, e := range entries {
		blobs, err := store.Closure(ctx, s, e.Descriptor)
		if err != nil {
			return err
		}
		for _, b := range blobs {
			needed[b] = true
		}
	}
	// All closures first: removed images share blobs, and each walk needs them present.
	var free []v1.Hash
	for _, im := range r.removed {
		blobs, err := store.Closure(ctx, s, im.Manifest)
		if err != nil {
			continue // already partly gone: nothing more to free
		}
		for _, b := range blobs {
			if !needed[b] {
				needed[b] = true // once
				free = append(free, b)
			}
		}
	}
	for _, b := range free {
		if err := s.DeleteBlob(ctx, b); err != nil {
			return fmt.Errorf("deleting blob %s: %w", b, err)
		}
	}
	return nil
}

// tagEntries points name at im in entries, stamping LastTagTime; an image that loses its
// last name stays as an untagged image.
func tagEntries(cat *view.Catalog, entries []store.Entry, im *view.Image, name string, now time.Time) []store.Entry {
	var out []store.Entry
	var lost []v1.Descriptor
	for _, e := range entries {
		if e.Name == name {
			if e.Descriptor.Digest != im.Manifest.Digest {
				lost = append(lost, e.Descriptor)
			}
			continue
		}
		if e.Name == "" && e.Descriptor.Digest == im.Manifest.Digest {
			continue // no longer untagged
		}
		out = append(out, e)
	}
	for _, d := range lost {
		still := false
		for _, e := range out {
			still = still || e.Descriptor.Digest == d.Digest
		}
		if !still {
			d.Annotations = nil
			out = append(out, store.Entry{Descriptor: d})
		}
	}
	d := im.Manifest
	ann := map[string]string{}
	for k, v := range d.Annotations {
		ann[k] = v
	}
	ann[view.LastTagTimeAnnotation] = now.UTC().Format(time.RFC3339Nano)
	d.Annotations = ann
	return append(out, store.Entry{Name: name, Descriptor: d})
}
