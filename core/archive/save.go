package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/layerlab/layerlab/core/store"
)

// SaveImage is one image to save: its manifest in the store (an image manifest, or an index
// of which the linux/amd64 image — else the first one present — is saved) and the
// normalized references to record for it (digest references are skipped, as Docker does).
type SaveImage struct {
	Names    []string
	Manifest v1.Descriptor
}

// SaveOption changes how Save writes.
type SaveOption func(*saveOptions)

type saveOptions struct {
	now time.Time
}

// WithTime sets the time written as the modification time of the members whose time Docker
// takes from its clock (index.json, the blobs/sha256/ directory, and the blobs of images
// without a created time). Without it Save uses the Unix epoch, so its output depends only
// on the images.
func WithTime(t time.Time) SaveOption {
	return func(o *saveOptions) { o.now = t }
}

// Save writes the images to w as the tar Docker 25+ `docker save` writes (the graph-driver
// image store's exporter, moby image/tarexport/save.go):
//
//   - members in the order of a walk of a directory tree (lexical within each directory):
//     blobs/, blobs/sha256/, blobs/sha256/<hex>..., index.json, manifest.json, oci-layout,
//     repositories (only when some image has a tag); no member for the root itself;
//   - each layer uncompressed, stored under its diff_id, media type
//     application/vnd.oci.image.layer.v1.tar (compressed layers from the store are
//     decompressed and checked against the diff_id), whatever the image was pulled as;
//   - the image config byte for byte (so the image ID is unchanged), and a new OCI image
//     manifest per image: {"schemaVersion":2,"mediaType":...,"config":{"mediaType":
//     "application/vnd.oci.image.config.v1+json","digest":...,"size":...},"layers":[...]},
//     compact JSON, descriptors in the OCI spec's field order (mediaType, digest, size);
//   - index.json: compact, no trailing newline, one entry per tag with annotations
//     io.containerd.image.name (full reference) and org.opencontainers.image.ref.name (the
//     tag), one entry without annotations for an image saved without a tag;
//   - manifest.json: [{"Config":"blobs/sha256/<id>","RepoTags":[familiar refs] or null,
//     "Layers":["blobs/sha256/<diff_id>",...]}] plus a newline (json.Encoder);
//   - repositories: {"<familiar name>":{"<tag>":"<top layer diff_id hex>"}} plus a newline;
//   - oci-layout: {"imageLayoutVersion": "1.0.0"} (with the space Docker writes);
//   - headers: PAX format (plain ustar blocks when nothing needs PAX records), uid/gid 0,
//     uname/gname root, mode 0100644 for files and 040755 for directories, whole-second
//     modification times: configs and layers the image's created time, manifests,
//     manifest.json, repositories and oci-layout the epoch, blobs/ the last image's created
//     time, index.json and blobs/sha256/ WithTime's.
//
// Deliberate differences from Docker: the images come in the order given (Docker's follow a
// Go map's random order); Docker also writes, for every layer, an unreferenced pre-1.10
// "v1 image" JSON blob that nothing reads, which Save does not; an untagged image saved with
// tagged ones gets its index.json entry (Docker 25-28 drop it); manifest.json has no Parent.
func Save(ctx context.Context, s store.Store, w io.Writer, images []SaveImage, opts ...SaveOption) error {
	o := saveOptions{now: time.Unix(0, 0)}
	for _, f := range opts {
		f(&o)
	}
	if len(images) == 0 {
		return errors.New("saving images: no image to save")
	}
	sv := &saver{ctx: ctx, s: s, now: o.now, layers: map[v1.Hash]*saveLayer{}, byID: map[v1.Hash]*saveImg{}}
	for _, im := range images {
		if err := sv.add(im); err != nil {
			return fmt.Errorf("saving %s: %w", describe(im), err)
		}
	}
	if err := sv.write(w); err != nil {
		return fmt.Errorf("writing the image archive: %w", err)
	}
	return nil
}

func describe(im SaveImage) string {
	if len(im.Names) > 0 {
		return im.Names[0]
	}
	return im.Manifest.Digest.String()
}

type saver struct {
	ctx    context.Context
	s      store.Store
	now    time.Time
	images []*saveImg
	byID   map[v1.Hash]*saveImg
	layers map[v1.Hash]*saveLayer // by diff_id
}

type saveImg struct {
	id       v1.Hash
	config   []byte
	created  time.Time
	diffIDs  []v1.Hash
	refs     []reference.NamedTagged
	manifest []byte
}

type saveLayer struct {
	diffID  v1.Hash
	src     v1.Descriptor // the blob in the store
	comp    string        // "", "gzip" or "zstd"
	size    int64         // uncompressed size
	modTime time.Time
}

// add resolves one requested image: its config, its layers' uncompressed sizes, its refs.
func (sv *saver) add(im SaveImage) error {
	ctx := sv.ctx
	md := im.Manifest
	mb, err := store.ReadBlob(ctx, sv.s, md.Digest)
	if err != nil {
		return err
	}
	var m manifestDoc
	if err := json.Unmarshal(mb, &m); err != nil {
		return fmt.Errorf("manifest %s: %w", md.Digest, err)
	}
	if md.MediaType.IsIndex() || (md.MediaType == "" && m.Manifests != nil) {
		child, err := sv.pickStored(m.Manifests)
		if err != nil {
			return fmt.Errorf("index %s: %w", md.Digest, err)
		}
		return sv.add(SaveImage{Names: im.Names, Manifest: child})
	}
	if m.Config == nil {
		return fmt.Errorf("manifest %s has no config", md.Digest)
	}
	id := m.Config.Digest
	img := sv.byID[id]
	if img == nil {
		cfg, err := store.ReadBlob(ctx, sv.s, id)
		if err != nil {
			return err
		}
		var c struct {
			Created time.Time `json:"created"`
		}
		_ = json.Unmarshal(cfg, &c) // a config without a valid time is saved with WithTime's
		diffIDs, err := parseDiffIDs(cfg, "config "+id.String())
		if err != nil {
			return err
		}
		if len(diffIDs) == 0 {
			// Docker refuses these too, with these words.
			return errors.New("empty export - not implemented")
		}
		if len(diffIDs) != len(m.Layers) {
			return fmt.Errorf("manifest %s lists %d layers but its config has %d diff_ids", md.Digest, len(m.Layers), len(diffIDs))
		}
		img = &saveImg{id: id, config: cfg, created: c.Created, diffIDs: diffIDs}
		if img.created.IsZero() {
			img.created = sv.now
		}
		for i, ly := range m.Layers {
			if err := sv.addLayer(ly, diffIDs[i], img.created); err != nil {
				return err
			}
		}
		sv.byID[id] = img
		sv.images = append(sv.images, img)
	}
	for _, n := range im.Names {
		r, err := reference.ParseNormalizedNamed(n)
		if err != nil {
			return fmt.Errorf("invalid reference %q: %w", n, err)
		}
		if _, ok := r.(reference.Canonical); ok {
			continue
		}
		t, ok := reference.TagNameOnly(r).(reference.NamedTagged)
		if !ok {
			continue
		}
		dup := false
		for _, have := range img.refs {
			dup = dup || have.String() == t.String()
		}
		if !dup {
			img.refs = append(img.refs, t)
		}
	}
	return nil
}

// pickStored chooses the image of an index to save: linux/amd64 if the store has it, else
// the first image manifest the store has.
func (sv *saver) pickStored(ms []v1.Descriptor) (v1.Descriptor, error) {
	var first *v1.Descriptor
	for i, c := range ms {
		if !c.MediaType.IsImage() || c.Annotations[annotationRefType] != "" {
			continue
		}
		if _, err := sv.s.BlobSize(sv.ctx, c.Digest); err != nil {
			continue
		}
		if c.Platform != nil && c.Platform.OS == "linux" && c.Platform.Architecture == "amd64" {
			return c, nil
		}
		if first == nil {
			first = &ms[i]
		}
	}
	if first == nil {
		return v1.Descriptor{}, errors.New("the store holds none of its images")
	}
	return *first, nil
}

// addLayer records a layer to write, learning its uncompressed size (which the tar header
// needs before the bytes) by decompressing it once.
func (sv *saver) addLayer(ly v1.Descriptor, diffID v1.Hash, created time.Time) error {
	if sv.layers[diffID] != nil {
		return nil
	}
	if !ly.MediaType.IsDistributable() {
		return fmt.Errorf("layer %s: foreign (non-distributable) layers cannot be saved", ly.Digest)
	}
	rc, err := sv.s.OpenBlob(sv.ctx, ly.Digest)
	if err != nil {
		return fmt.Errorf("layer %s: %w", ly.Digest, err)
	}
	defer rc.Close()
	var head [4]byte
	n, _ := io.ReadFull(rc, head[:])
	comp := compressionOf(head[:n])
	sl := &saveLayer{diffID: diffID, src: ly, comp: comp, modTime: created}
	if comp == "" {
		if ly.Digest != diffID {
			return fmt.Errorf("layer %s is uncompressed but its config lists diff_id %s", ly.Digest, diffID)
		}
		size, err := sv.s.BlobSize(sv.ctx, ly.Digest)
		if err != nil {
			return err
		}
		sl.size = size
	} else {
		zr, closeZ, err := decompress(io.MultiReader(bytes.NewReader(head[:n]), rc), comp)
		if err != nil {
			return fmt.Errorf("layer %s: %w", ly.Digest, err)
		}
		defer closeZ()
		h := sha256.New()
		size, err := io.Copy(h, zr)
		if err != nil {
			return fmt.Errorf("layer %s: decompressing: %w", ly.Digest, err)
		}
		if got := (v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}); got != diffID {
			return fmt.Errorf("layer %s decompresses to %s, but its config lists diff_id %s", ly.Digest, got, diffID)
		}
		sl.size = size
	}
	sv.layers[diffID] = sl
	return nil
}

func decompress(r io.Reader, comp string) (io.Reader, func(), error) {
	switch comp {
	case "gzip":
		g, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("decompressing: %w", err)
		}
		return g, func() { g.Close() }, nil
	case "zstd":
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, fmt.Errorf("decompressing: %w", err)
		}
		return z, z.Close, nil
	}
	return r, func() {}, nil
}

// OCI structures with the field order of the image-spec Go types Docker marshals.
type ociDescriptor struct {
	MediaType   types.MediaType   `json:"mediaType"`
	Digest      v1.Hash           `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type ociManifest struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     types.MediaType `json:"mediaType"`
	Config        ociDescriptor   `json:"config"`
	Layers        []ociDescriptor `json:"layers"`
}

type ociIndex struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     types.MediaType `json:"mediaType"`
	Manifests     []ociDescriptor `json:"manifests"`
}

// member is one tar entry to write.
type member struct {
	name    string
	dir     bool
	size    int64
	modTime time.Time
	data    []byte                // small members
	stream  func(io.Writer) error // layers
}

func (sv *saver) write(w io.Writer) error {
	files := map[string]*member{}
	addBytes := func(name string, b []byte, mt time.Time) {
		if _, ok := files[name]; !ok {
			files[name] = &member{name: name, size: int64(len(b)), modTime: mt, data: b}
		}
	}
	epoch := time.Unix(0, 0)
	var items []manifestItem
	var index []ociDescriptor
	repos := map[string]map[string]string{}
	for _, img := range sv.images {
		m := ociManifest{
			SchemaVersion: 2,
			MediaType:     types.OCIManifestSchema1,
			Config:        ociDescriptor{MediaType: types.OCIConfigJSON, Digest: img.id, Size: int64(len(img.config))},
		}
		it := manifestItem{Config: blobPath(img.id)}
		for _, d := range img.diffIDs {
			l := sv.layers[d]
			m.Layers = append(m.Layers, ociDescriptor{MediaType: types.OCIUncompressedLayer, Digest: d, Size: l.size})
			it.Layers = append(it.Layers, blobPath(d))
			if _, ok := files[blobPath(d)]; !ok {
				files[blobPath(d)] = &member{name: blobPath(d), size: l.size, modTime: l.modTime, stream: sv.layerWriter(l)}
			}
		}
		mb, err := json.Marshal(m)
		if err != nil {
			return err
		}
		md := sha(mb)
		addBytes(blobPath(img.id), img.config, img.created)
		addBytes(blobPath(md), mb, epoch)
		desc := ociDescriptor{MediaType: types.OCIManifestSchema1, Digest: md, Size: int64(len(mb))}
		top := img.diffIDs[len(img.diffIDs)-1].Hex
		for _, r := range img.refs {
			fam := reference.FamiliarName(r)
			if repos[fam] == nil {
				repos[fam] = map[string]string{}
			}
			repos[fam][r.Tag()] = top
			it.RepoTags = append(it.RepoTags, reference.FamiliarString(r))
			d := desc
			d.Annotations = map[string]string{annotationImageName: r.String(), annotationRefName: r.Tag()}
			index = append(index, d)
		}
		if len(img.refs) == 0 {
			index = append(index, desc)
		}
		items = append(items, it)
	}
	last := sv.images[len(sv.images)-1]
	files["blobs"] = &member{name: "blobs", dir: true, modTime: last.created}
	files["blobs/sha256"] = &member{name: "blobs/sha256", dir: true, modTime: sv.now}

	ib, err := json.Marshal(ociIndex{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: index})
	if err != nil {
		return err
	}
	addBytes(indexFile, ib, sv.now)
	mj, err := encodeJSON(items)
	if err != nil {
		return err
	}
	addBytes(manifestFile, mj, epoch)
	addBytes(layoutFile, []byte(`{"imageLayoutVersion": "1.0.0"}`), epoch)
	if len(repos) > 0 {
		rb, err := encodeJSON(repos)
		if err != nil {
			return err
		}
		addBytes(repositoriesFile, rb, epoch)
	}

	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	// A directory walk's order: lexical within each directory, a directory before its
	// contents. Comparing paths component-wise gives exactly that.
	sort.Slice(names, func(i, j int) bool { return walkLess(names[i], names[j]) })
	tw := tar.NewWriter(w)
	for _, n := range names {
		if err := sv.ctx.Err(); err != nil {
			return err
		}
		f := files[n]
		h := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.name,
			Size:     f.size,
			Mode:     0o100644,
			ModTime:  f.modTime.Truncate(time.Second),
			Uname:    "root",
			Gname:    "root",
			Format:   tar.FormatPAX,
		}
		if f.dir {
			h.Typeflag, h.Name, h.Size, h.Mode = tar.TypeDir, f.name+"/", 0, 0o40755
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		switch {
		case f.stream != nil:
			if err := f.stream(tw); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		case f.data != nil:
			if _, err := tw.Write(f.data); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		}
	}
	return tw.Close()
}

// walkLess orders paths as a sorted directory walk visits them.
func walkLess(a, b string) bool {
	for {
		ai, bi := indexSlash(a), indexSlash(b)
		ah, bh := a[:ai], b[:bi]
		if ah != bh {
			return ah < bh
		}
		if ai == len(a) || bi == len(b) {
			return ai == len(a) && bi != len(b)
		}
		a, b = a[ai+1:], b[bi+1:]
	}
}

func indexSlash(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return i
		}
	}
	return len(s)
}

// encodeJSON marshals v as json.Encoder does (HTML-escaped, one trailing newline).
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// layerWriter streams layer l uncompressed, checking it against its diff_id as it goes.
func (sv *saver) layerWriter(l *saveLayer) func(io.Writer) error {
	return func(w io.Writer) error {
		rc, err := sv.s.OpenBlob(sv.ctx, l.src.Digest)
		if err != nil {
			return err
		}
		defer rc.Close()
		zr, closeZ, err := decompress(rc, l.comp)
		if err != nil {
			return err
		}
		defer closeZ()
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, h), zr)
		if err != nil {
			return err
		}
		if n != l.size {
			return fmt.Errorf("layer %s changed while saving: %d bytes, expected %d", l.src.Digest, n, l.size)
		}
		if got := (v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}); got != l.diffID {
			return fmt.Errorf("layer %s decompresses to %s, not its diff_id %s", l.src.Digest, got, l.diffID)
		}
		return nil
	}
}
