package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/layer"
	"github.com/layerlab/layerlab/core/store"
)

// Loaded is one image a Load stored, in the order the archive lists them: one per tag, or
// one with an empty Name for an image the archive carries without a tag.
type Loaded struct {
	// Name is the fully normalized reference (docker.io/library/nginx:latest), or "".
	Name string
	// ID is the image ID: the digest of the image config.
	ID v1.Hash
	// Manifest is what the store's index now holds for the image.
	Manifest v1.Descriptor
	// Replaced is the ID of the image Name named before this load, when that was another
	// image (docker load then prints "The image nginx:latest already exists, renaming the
	// old one with ID sha256:... to empty string" before "Loaded image: nginx:latest").
	// It is zero when the tag is new or already named this image.
	Replaced v1.Hash
}

// Well-known archive members.
const (
	manifestFile     = "manifest.json"
	indexFile        = "index.json"
	layoutFile       = "oci-layout"
	repositoriesFile = "repositories"

	// annotations Docker 25+ and containerd put on index.json entries.
	annotationImageName = "io.containerd.image.name"
	annotationRefName   = "org.opencontainers.image.ref.name"
	// BuildKit marks the attestation manifests of an image index this way.
	annotationRefType = "vnd.docker.reference.type"
)

// manifestItem is one element of manifest.json as Docker writes it.
type manifestItem struct {
	Config       string
	RepoTags     []string
	Layers       []string
	Parent       string                   `json:",omitempty"`
	LayerSources map[string]v1.Descriptor `json:",omitempty"`
}

// manifestDoc is the part of an image manifest or index Load reads.
type manifestDoc struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     types.MediaType `json:"mediaType"`
	Config        *v1.Descriptor  `json:"config"`
	Layers        []v1.Descriptor `json:"layers"`
	Manifests     []v1.Descriptor `json:"manifests"`
}

// Load stores the images of a `docker save` archive (either shape, see the package doc) and
// then tags them. Every blob is verified: OCI blobs against their digests, layers also
// against the diff_ids of the image config, configs against the image ID their name claims.
// On error nothing is tagged, and blobs this Load added that nothing refers to are removed.
func Load(ctx context.Context, s store.Store, r io.ReaderAt, size int64) ([]Loaded, error) {
	l := &loader{ctx: ctx, s: s, added: map[v1.Hash]bool{}, done: map[v1.Hash]bool{}}
	out, err := l.load(r, size)
	if err != nil {
		l.removeAdded()
		return nil, fmt.Errorf("loading image archive: %w", err)
	}
	return out, nil
}

type loader struct {
	ctx   context.Context
	s     store.Store
	ix    *tarIndex
	added map[v1.Hash]bool // blobs this load wrote that were not in the store before
	done  map[v1.Hash]bool // blobs already verified and present
	// oci maps image config digests to the index.json manifests that carry them.
	oci map[v1.Hash]v1.Descriptor
}

func (l *loader) load(r io.ReaderAt, size int64) ([]Loaded, error) {
	ix, err := indexTar(l.ctx, r, size)
	if err != nil {
		return nil, err
	}
	l.ix = ix
	var out []Loaded
	hasManifest, hasIndex := ix.has(manifestFile), ix.has(indexFile)
	var index *manifestDoc
	if hasIndex {
		if index, err = l.readIndexJSON(); err != nil {
			return nil, err
		}
	}
	switch {
	case hasManifest:
		if index != nil {
			if err := l.mapIndex(index); err != nil {
				return nil, err
			}
		}
		if out, err = l.loadManifestJSON(); err != nil {
			return nil, err
		}
	case hasIndex:
		if out, err = l.loadIndex(index); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("not a docker save archive: it has neither manifest.json nor index.json")
	}
	if err := l.tag(out); err != nil {
		return nil, err
	}
	return out, nil
}

// readIndexJSON parses index.json, refusing what is not an OCI image index.
func (l *loader) readIndexJSON() (*manifestDoc, error) {
	if ix := l.ix; ix.has(layoutFile) {
		b, _, err := ix.readSmall(layoutFile, false)
		if err != nil {
			return nil, err
		}
		var lay struct {
			Version string `json:"imageLayoutVersion"`
		}
		if err := strictJSON(b, &lay); err != nil {
			return nil, fmt.Errorf("entry %q: %w", layoutFile, err)
		}
		if lay.Version != "1.0.0" {
			return nil, fmt.Errorf("entry %q: unsupported imageLayoutVersion %q (want \"1.0.0\")", layoutFile, lay.Version)
		}
	}
	b, _, err := l.ix.readSmall(indexFile, false)
	if err != nil {
		return nil, err
	}
	var idx manifestDoc
	if err := strictJSON(b, &idx); err != nil {
		return nil, fmt.Errorf("entry %q: %w", indexFile, err)
	}
	if idx.SchemaVersion != 2 {
		return nil, fmt.Errorf("entry %q: unsupported schemaVersion %d (want 2)", indexFile, idx.SchemaVersion)
	}
	if idx.MediaType != "" && idx.MediaType != types.OCIImageIndex {
		return nil, fmt.Errorf("entry %q: unknown media type %q for an image index", indexFile, idx.MediaType)
	}
	if idx.Config != nil || idx.Layers != nil {
		return nil, fmt.Errorf("entry %q: is an image manifest, not an image index", indexFile)
	}
	return &idx, nil
}

// strictJSON decodes one JSON value and refuses trailing garbage.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("invalid JSON: trailing data after the document")
	}
	return nil
}

// blobPath is where an OCI layout keeps blob d.
func blobPath(d v1.Hash) string { return "blobs/" + d.Algorithm + "/" + d.Hex }

// readBlob reads a small blob (manifest, config) from blobs/, verified against d.
func (l *loader) readBlob(d v1.Descriptor) ([]byte, error) {
	if err := store.CheckAlgorithm(d.Digest); err != nil {
		return nil, err
	}
	p := blobPath(d.Digest)
	b, _, err := l.ix.readSmall(p, false)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != d.Size {
		return nil, fmt.Errorf("entry %q: size %d does not match the descriptor's size %d", p, len(b), d.Size)
	}
	if got := sha(b); got != d.Digest {
		return nil, fmt.Errorf("entry %q: content hashes to %s, not its digest (corrupt blob)", p, got)
	}
	return b, nil
}

func sha(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// readManifest reads and checks the manifest or index d names.
// from names the archive entry whose descriptor d is, for errors.
func (l *loader) readManifest(d v1.Descriptor, from string) ([]byte, *manifestDoc, error) {
	if !d.MediaType.IsImage() && !d.MediaType.IsIndex() {
		return nil, nil, fmt.Errorf("entry %q: manifest %s has unknown media type %q", from, d.Digest, d.MediaType)
	}
	b, err := l.readBlob(d)
	if err != nil {
		return nil, nil, err
	}
	var m manifestDoc
	if err := strictJSON(b, &m); err != nil {
		return nil, nil, fmt.Errorf("entry %q: %w", blobPath(d.Digest), err)
	}
	if m.MediaType != "" && m.MediaType != d.MediaType {
		return nil, nil, fmt.Errorf("entry %q: media type %q does not match its descriptor's %q", blobPath(d.Digest), m.MediaType, d.MediaType)
	}
	if m.SchemaVersion != 2 {
		return nil, nil, fmt.Errorf("entry %q: unsupported schemaVersion %d (want 2)", blobPath(d.Digest), m.SchemaVersion)
	}
	if d.MediaType.IsImage() {
		if m.Config == nil {
			return nil, nil, fmt.Errorf("entry %q: image manifest without a config", blobPath(d.Digest))
		}
		if !m.Config.MediaType.IsConfig() {
			return nil, nil, fmt.Errorf("entry %q: unknown media type %q for an image config", blobPath(d.Digest), m.Config.MediaType)
		}
		for _, ly := range m.Layers {
			if !knownLayer(ly.MediaType) {
				return nil, nil, fmt.Errorf("entry %q: layer %s has unknown media type %q", blobPath(d.Digest), ly.Digest, ly.MediaType)
			}
		}
	}
	return b, &m, nil
}

func knownLayer(mt types.MediaType) bool {
	switch mt {
	case types.OCILayer, types.OCILayerZStd, types.OCIUncompressedLayer, types.OCIRestrictedLayer,
		types.OCIUncompressedRestrictedLayer, types.DockerLayer, types.DockerUncompressedLayer, types.DockerForeignLayer:
		return true
	}
	return false
}

// mapIndex records, for every image manifest index.json reaches inside the archive, which
// top-level descriptor it came from, keyed by config digest (how manifest.json names images).
func (l *loader) mapIndex(idx *manifestDoc) error {
	l.oci = map[v1.Hash]v1.Descriptor{}
	for _, d := range idx.Manifests {
		if _, ok := l.oci[d.Digest]; ok {
			continue
		}
		img, cfg, err := l.pickImage(d, indexFile)
		if err != nil {
			return err
		}
		if _, ok := l.oci[cfg]; !ok {
			l.oci[cfg] = img
		}
	}
	return nil
}

// pickImage resolves d (an image manifest, or an index of them) to the image manifest to use
// and its config digest: for an index, the linux/amd64 image if present, else the first
// image present in the archive. Attestation manifests are never picked.
func (l *loader) pickImage(d v1.Descriptor, from string) (v1.Descriptor, v1.Hash, error) {
	_, m, err := l.readManifest(d, from)
	if err != nil {
		return v1.Descriptor{}, v1.Hash{}, err
	}
	if d.MediaType.IsImage() {
		return d, m.Config.Digest, nil
	}
	var first *v1.Descriptor
	for i, c := range m.Manifests {
		if !c.MediaType.IsImage() || c.Annotations[annotationRefType] != "" || !l.ix.has(blobPath(c.Digest)) {
			continue
		}
		if c.Platform != nil && c.Platform.OS == "linux" && c.Platform.Architecture == "amd64" {
			first = &m.Manifests[i]
			break
		}
		if first == nil {
			first = &m.Manifests[i]
		}
	}
	if first == nil {
		return v1.Descriptor{}, v1.Hash{}, fmt.Errorf("image index %s: none of its image manifests is in the archive", d.Digest)
	}
	return l.pickImage(*first, blobPath(d.Digest))
}

// loadManifestJSON loads the images manifest.json lists, in its order, tagged with its
// RepoTags. An image index.json also carries is stored as that manifest; the others (the
// legacy shape) get a Docker schema 2 manifest built for them.
func (l *loader) loadManifestJSON() ([]Loaded, error) {
	b, _, err := l.ix.readSmall(manifestFile, true)
	if err != nil {
		return nil, err
	}
	var items []manifestItem
	if err := strictJSON(b, &items); err != nil {
		return nil, fmt.Errorf("entry %q: %w", manifestFile, err)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("entry %q: lists no images", manifestFile)
	}
	var out []Loaded
	for i, it := range items {
		if err := l.ctx.Err(); err != nil {
			return nil, err
		}
		names := make([]string, 0, len(it.RepoTags))
		for _, t := range it.RepoTags {
			n, err := normalizeTag(t)
			if err != nil {
				return nil, fmt.Errorf("entry %q: image %d: RepoTags: %w", manifestFile, i+1, err)
			}
			names = append(names, n)
		}
		if it.Config == "" {
			return nil, fmt.Errorf("entry %q: image %d has no Config", manifestFile, i+1)
		}
		cfg, _, err := l.ix.readSmall(it.Config, true)
		if err != nil {
			return nil, fmt.Errorf("entry %q: image %d: config: %w", manifestFile, i+1, err)
		}
		id := sha(cfg)
		if claimed, ok := claimedDigest(it.Config); ok && claimed != id.Hex {
			return nil, fmt.Errorf("entry %q: content hashes to %s, not the image ID its name claims (corrupt config)", it.Config, id)
		}
		var desc v1.Descriptor
		if d, ok := l.oci[id]; ok {
			if desc, err = l.storeOCI(d, indexFile); err != nil {
				return nil, err
			}
		} else if desc, err = l.storeLegacy(it, cfg, id); err != nil {
			return nil, err
		}
		if len(names) == 0 {
			out = append(out, Loaded{ID: id, Manifest: desc})
		}
		for _, n := range names {
			out = append(out, Loaded{Name: n, ID: id, Manifest: desc})
		}
	}
	return out, nil
}

var hexName = regexp.MustCompile(`^(?:blobs/sha256/)?([a-f0-9]{64})(?:\.json)?$`)

// claimedDigest returns the digest a config's file name claims (<hex>.json, blobs/sha256/<hex>).
func claimedDigest(name string) (string, bool) {
	m := hexName.FindStringSubmatch(path.Clean(name))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// normalizeTag turns a RepoTags element (familiar, nginx:latest) into a full reference.
func normalizeTag(t string) (string, error) {
	r, err := reference.ParseNormalizedNamed(t)
	if err != nil {
		return "", fmt.Errorf("invalid tag %q: %w", t, err)
	}
	if _, ok := r.(reference.Canonical); ok {
		return "", fmt.Errorf("invalid tag %q: a digest reference is not a tag", t)
	}
	return reference.TagNameOnly(r).String(), nil
}

// loadIndex loads an archive with index.json but no manifest.json (an OCI layout tar),
// naming images from the index's annotations.
func (l *loader) loadIndex(idx *manifestDoc) ([]Loaded, error) {
	if len(idx.Manifests) == 0 {
		return nil, fmt.Errorf("entry %q: lists no images", indexFile)
	}
	var out []Loaded
	for _, d := range idx.Manifests {
		_, cfg, err := l.pickImage(d, indexFile)
		if err != nil {
			return nil, err
		}
		desc, err := l.storeOCI(d, indexFile)
		if err != nil {
			return nil, err
		}
		name := ""
		if n := d.Annotations[annotationImageName]; n != "" {
			name = n
		} else if n := d.Annotations[annotationRefName]; strings.ContainsAny(n, ":/") {
			name = n
		}
		if name != "" {
			if name, err = normalizeTag(name); err != nil {
				return nil, fmt.Errorf("entry %q: manifest %s: annotation: %w", indexFile, d.Digest, err)
			}
		}
		out = append(out, Loaded{Name: name, ID: cfg, Manifest: desc})
	}
	return out, nil
}

// storeOCI stores the manifest or index d and everything it needs from blobs/, verified.
// Child manifests of an index that are not in the archive are skipped (an image pulled for
// one platform), as are attestation manifests.
func (l *loader) storeOCI(d v1.Descriptor, from string) (v1.Descriptor, error) {
	out := v1.Descriptor{MediaType: d.MediaType, Size: d.Size, Digest: d.Digest, Platform: d.Platform}
	if l.done[d.Digest] {
		return out, nil
	}
	raw, m, err := l.readManifest(d, from)
	if err != nil {
		return v1.Descriptor{}, err
	}
	if d.MediaType.IsIndex() {
		for _, c := range m.Manifests {
			if !c.MediaType.IsImage() && !c.MediaType.IsIndex() {
				return v1.Descriptor{}, fmt.Errorf("entry %q: manifest %s has unknown media type %q", blobPath(d.Digest), c.Digest, c.MediaType)
			}
			if c.Annotations[annotationRefType] != "" || !l.ix.has(blobPath(c.Digest)) {
				continue
			}
			if _, err := l.storeOCI(c, blobPath(d.Digest)); err != nil {
				return v1.Descriptor{}, err
			}
		}
	} else {
		cfg, err := l.readBlob(*m.Config)
		if err != nil {
			return v1.Descriptor{}, err
		}
		diffIDs, err := parseDiffIDs(cfg, blobPath(m.Config.Digest))
		if err != nil {
			return v1.Descriptor{}, err
		}
		if len(diffIDs) != len(m.Layers) {
			return v1.Descriptor{}, fmt.Errorf("entry %q: manifest lists %d layers but its config has %d diff_ids", blobPath(d.Digest), len(m.Layers), len(diffIDs))
		}
		for i, ly := range m.Layers {
			if !ly.MediaType.IsDistributable() {
				continue
			}
			if err := l.storeOCILayer(ly, diffIDs[i]); err != nil {
				return v1.Descriptor{}, err
			}
		}
		if err := l.put(m.Config.Digest, bytes.NewReader(cfg), blobPath(m.Config.Digest)); err != nil {
			return v1.Descriptor{}, err
		}
	}
	if err := l.put(d.Digest, bytes.NewReader(raw), blobPath(d.Digest)); err != nil {
		return v1.Descriptor{}, err
	}
	return out, nil
}

// parseDiffIDs reads rootfs.diff_ids from an image config.
func parseDiffIDs(cfg []byte, name string) ([]v1.Hash, error) {
	var c struct {
		RootFS *struct {
			Type    string    `json:"type"`
			DiffIDs []v1.Hash `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := strictJSON(cfg, &c); err != nil {
		return nil, fmt.Errorf("entry %q: image config: %w", name, err)
	}
	if c.RootFS == nil {
		return nil, fmt.Errorf("entry %q: image config has no rootfs", name)
	}
	if c.RootFS.Type != "layers" {
		return nil, fmt.Errorf("entry %q: image config has rootfs type %q (want \"layers\")", name, c.RootFS.Type)
	}
	for _, d := range c.RootFS.DiffIDs {
		if err := store.CheckAlgorithm(d); err != nil {
			return nil, fmt.Errorf("entry %q: image config: diff_id: %w", name, err)
		}
	}
	return c.RootFS.DiffIDs, nil
}

// storeOCILayer streams one layer blob into the store, checking its digest, its size, and
// that it decompresses to the diff_id the config lists.
func (l *loader) storeOCILayer(ly v1.Descriptor, diffID v1.Hash) error {
	if err := store.CheckAlgorithm(ly.Digest); err != nil {
		return err
	}
	p := blobPath(ly.Digest)
	if l.done[ly.Digest] {
		return nil
	}
	if l.present(ly.Digest) {
		l.done[ly.Digest] = true
		return nil
	}
	e, err := l.ix.lookup(p, false)
	if err != nil {
		return err
	}
	if e.size != ly.Size {
		return fmt.Errorf("entry %q: size %d does not match the manifest's size %d for this layer", p, e.size, ly.Size)
	}
	comp := compressionOf(l.ix.magic(e))
	switch ly.MediaType {
	case types.OCIUncompressedLayer, types.DockerUncompressedLayer, types.OCIUncompressedRestrictedLayer:
		if comp != "" {
			return fmt.Errorf("entry %q: layer is %s-compressed but its media type %q says uncompressed", p, comp, ly.MediaType)
		}
	case types.OCILayerZStd:
		if comp != "zstd" {
			return fmt.Errorf("entry %q: layer is not zstd-compressed but its media type is %q", p, ly.MediaType)
		}
	default:
		if comp != "gzip" {
			return fmt.Errorf("entry %q: layer is not gzip-compressed but its media type is %q", p, ly.MediaType)
		}
	}
	return l.putLayer(e, ly.Digest, comp, diffID)
}

func compressionOf(magic []byte) string {
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		return "gzip"
	case bytes.HasPrefix(magic, zstdMagic):
		return "zstd"
	}
	return ""
}

// putLayer stores the layer at e under digest d while hashing its uncompressed content, and
// refuses it (storing nothing) unless that hash is diffID.
func (l *loader) putLayer(e *entry, d v1.Hash, comp string, diffID v1.Hash) error {
	if comp == "" {
		if d != diffID {
			return fmt.Errorf("entry %q: uncompressed layer %s does not match the config's diff_id %s", e.name, d, diffID)
		}
		return l.putAs(d, l.ix.open(e), e.name, "its digest "+d.String())
	}
	// Hash the uncompressed stream beside the store's write. The store only makes the blob
	// visible once it has read all of it; if the diff_id then turns out wrong the blob is
	// deleted again below.
	pr, pw := io.Pipe()
	res := make(chan error, 1)
	var size int64
	go func() {
		got, n, err := diffIDOf(pr, comp)
		io.Copy(io.Discard, pr) // keep the tee flowing whatever happened
		if err == nil && got != diffID {
			err = fmt.Errorf("layer content (uncompressed) hashes to %s, but the image config lists diff_id %s", got, diffID)
		}
		size = n
		res <- err
	}()
	err := l.put(d, io.TeeReader(l.ix.open(e), pw), e.name)
	pw.CloseWithError(err)
	derr := <-res
	pr.Close()
	if err != nil {
		return err
	}
	if derr != nil {
		if l.added[d] {
			_ = l.s.DeleteBlob(context.WithoutCancel(l.ctx), d)
			delete(l.added, d)
			delete(l.done, d)
		}
		return fmt.Errorf("entry %q: %w", e.name, derr)
	}
	return layer.Remember(l.ctx, l.s, diffID, size)
}

// diffIDOf hashes the decompressed content of r, and works out Docker's size of it while the
// bytes pass (-1 when the content is not a tar it can read), so that docker images need not
// read the layer again.
func diffIDOf(r io.Reader, comp string) (v1.Hash, int64, error) {
	zr, closeZ, err := decompress(r, comp)
	if err != nil {
		return v1.Hash{}, 0, fmt.Errorf("layer: %w", err)
	}
	defer closeZ()
	h, n, err := layer.DigestAndSize(zr)
	if err != nil {
		return v1.Hash{}, 0, fmt.Errorf("decompressing layer: %w", err)
	}
	return h, n, nil
}

// present reports whether the store already holds d.
func (l *loader) present(d v1.Hash) bool {
	_, err := l.s.BlobSize(l.ctx, d)
	return err == nil
}

// put stores r under d unless the store has it, remembering what it added. what names the
// archive entry the bytes came from, for the error.
func (l *loader) put(d v1.Hash, r io.Reader, what string) error {
	return l.putAs(d, r, what, "its digest "+d.String())
}

// putAs is put with the mismatch error saying what d is (a digest, a diff_id).
func (l *loader) putAs(d v1.Hash, r io.Reader, what, want string) error {
	if l.done[d] {
		return nil
	}
	if l.present(d) {
		l.done[d] = true
		return nil
	}
	if err := l.s.PutBlob(l.ctx, d, r); err != nil {
		var mm *store.DigestMismatchError
		if errors.As(err, &mm) {
			return fmt.Errorf("entry %q: content hashes to %s, not %s (corrupt or tampered)", what, mm.Got, want)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("entry %q: truncated: %w", what, err)
		}
		return fmt.Errorf("entry %q: storing blob %s: %w", what, d, err)
	}
	l.added[d] = true
	l.done[d] = true
	return nil
}

// storeLegacy stores an image of the legacy shape: a config file and one layer.tar per
// layer, uncompressed or gzip. Each layer is checked against the config's diff_id, then an
// OCI image manifest is written for it, as Docker 25+ does when it saves such an image: the
// image ID (the config digest) stays what it was, and OCI-layout readers (skopeo, umoci),
// which only look at OCI media types in index.json, find the tag.
func (l *loader) storeLegacy(it manifestItem, cfg []byte, id v1.Hash) (v1.Descriptor, error) {
	diffIDs, err := parseDiffIDs(cfg, it.Config)
	if err != nil {
		return v1.Descriptor{}, err
	}
	if len(diffIDs) != len(it.Layers) {
		return v1.Descriptor{}, fmt.Errorf("entry %q: image %s lists %d layers but its config %q has %d diff_ids", manifestFile, id, len(it.Layers), it.Config, len(diffIDs))
	}
	m := ociManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        ociDescriptor{MediaType: types.OCIConfigJSON, Digest: id, Size: int64(len(cfg))},
		Layers:        []ociDescriptor{},
	}
	for i, p := range it.Layers {
		if err := l.ctx.Err(); err != nil {
			return v1.Descriptor{}, err
		}
		desc, err := l.storeLegacyLayer(p, diffIDs[i])
		if err != nil {
			return v1.Descriptor{}, err
		}
		m.Layers = append(m.Layers, desc)
	}
	if err := l.put(id, bytes.NewReader(cfg), it.Config); err != nil {
		return v1.Descriptor{}, err
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return v1.Descriptor{}, err
	}
	md := sha(raw)
	if err := l.put(md, bytes.NewReader(raw), "the manifest built for "+id.String()); err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: int64(len(raw)), Digest: md}, nil
}

// storeLegacyLayer stores the layer file p, which must decompress to diffID.
func (l *loader) storeLegacyLayer(p string, diffID v1.Hash) (ociDescriptor, error) {
	e, err := l.ix.lookup(p, true)
	if err != nil {
		return ociDescriptor{}, err
	}
	switch comp := compressionOf(l.ix.magic(e)); comp {
	case "":
		if err := l.putAs(diffID, l.ix.open(e), p, "the diff_id "+diffID.String()+" the image config lists"); err != nil {
			return ociDescriptor{}, err
		}
		return ociDescriptor{MediaType: types.OCIUncompressedLayer, Digest: diffID, Size: e.size}, nil
	case "gzip":
		// The blob digest is that of the compressed bytes, unknown until read: one pass
		// hashes both forms, a second streams the bytes into the store.
		raw := store.NewSHA256()
		got, size, err := diffIDOf(io.TeeReader(l.ix.open(e), raw), comp)
		if err != nil {
			return ociDescriptor{}, fmt.Errorf("entry %q: %w", p, err)
		}
		if got != diffID {
			return ociDescriptor{}, fmt.Errorf("entry %q: layer content hashes to %s, but the image config lists diff_id %s", p, got, diffID)
		}
		d := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(raw.Sum(nil))}
		if err := l.put(d, l.ix.open(e), p); err != nil {
			return ociDescriptor{}, err
		}
		if err := layer.Remember(l.ctx, l.s, diffID, size); err != nil {
			return ociDescriptor{}, err
		}
		return ociDescriptor{MediaType: types.OCILayer, Digest: d, Size: e.size}, nil
	default:
		return ociDescriptor{}, fmt.Errorf("entry %q: %s-compressed layers are not supported in a legacy archive (only uncompressed or gzip)", p, comp)
	}
}
