package view

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/layer"
	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/store"
)

// LastTagTimeAnnotation is where an index entry keeps Docker's Metadata.LastTagTime.
const LastTagTimeAnnotation = "io.layerlab.last-tag-time"

// Image is one image as Docker sees it: identified by its config digest, named by every
// index entry whose manifest has that config.
type Image struct {
	// ID is the config digest: Docker's image ID.
	ID v1.Hash
	// Manifest is the manifest of the first index entry naming the image.
	Manifest v1.Descriptor
	// Names are the full normalized references of the image's tags, sorted as the engine
	// sorts them (lexically by full name).
	Names []string
	// Config is the parsed image config; RawConfig its bytes.
	Config    *Config
	RawConfig []byte
	// DiffIDs are the config's rootfs diff_ids; LayerSizes Docker's size of each.
	DiffIDs    []v1.Hash
	LayerSizes []int64
	// Size is Docker's image size: the sum of LayerSizes.
	Size int64
	// LastTagTime is when a tag last pointed at the image (zero if never recorded).
	LastTagTime time.Time
}

// Created is the image's creation time, zero if the config has none.
func (im *Image) Created() time.Time {
	if im.Config.Created == nil {
		return time.Time{}
	}
	return *im.Config.Created
}

// Dangling reports whether the image has no tag (Docker's <none>:<none>).
func (im *Image) Dangling() bool { return len(im.Names) == 0 }

// Catalog is every image a store holds, newest first as Engine 20.10 lists them.
type Catalog struct {
	Images []*Image
	byID   map[v1.Hash]*Image
	byName map[string]*Image
}

// Config is the part of an image config the views read. Engine 20.10 keeps the container
// configuration in a struct whose every field it prints, so Config.Config is kept raw and
// decoded by the inspect view.
type Config struct {
	Architecture  string          `json:"architecture"`
	Variant       string          `json:"variant,omitempty"`
	OS            string          `json:"os"`
	OSVersion     string          `json:"os.version,omitempty"`
	Author        string          `json:"author,omitempty"`
	Comment       string          `json:"comment,omitempty"`
	Created       *time.Time      `json:"created,omitempty"`
	DockerVersion string          `json:"docker_version,omitempty"`
	Parent        string          `json:"parent,omitempty"`
	Config        json.RawMessage `json:"config,omitempty"`
	History       []History       `json:"history,omitempty"`
	RootFS        struct {
		Type    string    `json:"type"`
		DiffIDs []v1.Hash `json:"diff_ids"`
	} `json:"rootfs"`
}

// History is one entry of an image config's history.
type History struct {
	Created    *time.Time `json:"created,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
	Author     string     `json:"author,omitempty"`
	Comment    string     `json:"comment,omitempty"`
	EmptyLayer bool       `json:"empty_layer,omitempty"`
}

type manifest struct {
	Config v1.Descriptor   `json:"config"`
	Layers []v1.Descriptor `json:"layers"`
}

// Load reads every image the store's index names. Layer sizes are computed once per
// diff_id and cached in the store (see layer.DiffSize).
func Load(ctx context.Context, s store.Store) (*Catalog, error) {
	entries, err := s.Index(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the image index: %w", err)
	}
	c := &Catalog{byID: map[v1.Hash]*Image{}, byName: map[string]*Image{}}
	byManifest := map[v1.Hash]*Image{}
	for _, e := range entries {
		im := byManifest[e.Descriptor.Digest]
		if im == nil {
			im, err = readImage(ctx, s, e.Descriptor)
			if err != nil {
				return nil, err
			}
			if have := c.byID[im.ID]; have != nil {
				im = have
			} else {
				c.byID[im.ID] = im
				c.Images = append(c.Images, im)
			}
			byManifest[e.Descriptor.Digest] = im
		}
		if t, err := time.Parse(time.RFC3339Nano, e.Descriptor.Annotations[LastTagTimeAnnotation]); err == nil && t.After(im.LastTagTime) {
			im.LastTagTime = t
		}
		if e.Name != "" {
			im.Names = append(im.Names, e.Name)
			c.byName[e.Name] = im
		}
	}
	for _, im := range c.Images {
		sort.Strings(im.Names)
		im.Names = compact(im.Names)
	}
	// Engine 20.10 sorts by creation time in whole seconds, newest first; equal seconds keep
	// no defined order there, here they keep index order.
	sort.SliceStable(c.Images, func(i, j int) bool {
		return c.Images[i].Created().Unix() > c.Images[j].Created().Unix()
	})
	return c, nil
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func readImage(ctx context.Context, s store.Store, d v1.Descriptor) (*Image, error) {
	if d.MediaType.IsIndex() {
		return nil, fmt.Errorf("image %s: multi-platform image indexes are not supported yet", d.Digest)
	}
	mb, err := store.ReadBlob(ctx, s, d.Digest)
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", d.Digest, err)
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", d.Digest, err)
	}
	cb, err := store.ReadBlob(ctx, s, m.Config.Digest)
	if err != nil {
		return nil, fmt.Errorf("reading config of manifest %s: %w", d.Digest, err)
	}
	var cfg Config
	if err := json.Unmarshal(cb, &cfg); err != nil {
		return nil, fmt.Errorf("parsing image config %s: %w", m.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("image %s: config lists %d layers, manifest %s has %d",
			m.Config.Digest, len(cfg.RootFS.DiffIDs), d.Digest, len(m.Layers))
	}
	im := &Image{ID: m.Config.Digest, Manifest: d, Config: &cfg, RawConfig: cb, DiffIDs: cfg.RootFS.DiffIDs}
	for i, l := range m.Layers {
		n, err := layer.DiffSize(ctx, s, cfg.RootFS.DiffIDs[i], l.Digest)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", m.Config.Digest, err)
		}
		im.LayerSizes = append(im.LayerSizes, n)
		im.Size += n
	}
	return im, nil
}

// ErrNoSuchImage is wrapped by Lookup's error when nothing matches.
var ErrNoSuchImage = errors.New("no such image")

// NotFoundError is the engine's "No such image: nosuch:latest".
type NotFoundError struct {
	// Ref is how the engine names what it looked for: the familiar reference with its
	// default tag, or the ID as given.
	Ref string
}

func (e *NotFoundError) Error() string { return "No such image: " + e.Ref }
func (e *NotFoundError) Unwrap() error { return ErrNoSuchImage }

// Lookup finds an image the way Engine 20.10's GetImage does: a full "sha256:..." ID, a
// reference (a missing tag means latest), or a prefix of an image ID.
func (c *Catalog) Lookup(refOrID string) (*Image, error) {
	if strings.HasPrefix(refOrID, "sha256:") {
		h, err := v1.NewHash(refOrID)
		if err == nil {
			if im := c.byID[h]; im != nil {
				return im, nil
			}
		}
		return nil, &NotFoundError{Ref: refOrID}
	}
	named, err := reference.ParseAnyReference(refOrID)
	if err != nil {
		return nil, err
	}
	if dg, ok := named.(reference.Digested); ok {
		if _, isNamed := named.(reference.Named); !isNamed {
			// a bare 64-hex ID
			h, _ := v1.NewHash(dg.Digest().String())
			if im := c.byID[h]; im != nil {
				return im, nil
			}
			return nil, &NotFoundError{Ref: refOrID}
		}
	}
	if n, ok := named.(reference.Named); ok {
		if _, isDigested := n.(reference.Canonical); isDigested {
			return nil, &NotFoundError{Ref: reference.FamiliarString(n)}
		}
		n = reference.TagNameOnly(n)
		if im := c.byName[n.String()]; im != nil {
			return im, nil
		}
		// An ID prefix parses as a repository name; the engine tries it as an ID next.
		if im := c.byIDPrefix(refOrID); im != nil {
			return im, nil
		}
		return nil, &NotFoundError{Ref: reference.FamiliarString(n)}
	}
	return nil, &NotFoundError{Ref: refOrID}
}

func (c *Catalog) byIDPrefix(p string) *Image {
	if p == "" || strings.Trim(p, "0123456789abcdef") != "" {
		return nil
	}
	var found *Image
	for _, im := range c.Images {
		if strings.HasPrefix(im.ID.Hex, p) {
			if found != nil {
				return nil // ambiguous
			}
			found = im
		}
	}
	return found
}

// ByID returns the image with config digest id, or nil.
func (c *Catalog) ByID(id v1.Hash) *Image { return c.byID[id] }

// ByName returns the image a full normalized reference names, or nil.
func (c *Catalog) ByName(name string) *Image { return c.byName[name] }

// Familiar shortens a full normalized reference as Docker prints it
// (docker.io/library/nginx:latest -> nginx:latest).
func Familiar(name string) string { return ref.FamiliarString(name) }
