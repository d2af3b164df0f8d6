package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/store"
)

// PushResult says what Push wrote.
type PushResult struct {
	// Digest and Size are the pushed manifest's (Docker's "latest: digest: ... size: N").
	Digest v1.Hash
	Size   int64
}

// Push uploads the image manifest names from s to the tag t. Layers the repository already
// has are not sent again; a layer the store knows came from another repository of the same
// registry (the PulledFromRecord Pull keeps) is mounted from there. Events name
// layers by diff_id, top layer first, as docker push does.
func Push(ctx context.Context, s store.Store, t name.Tag, manifest v1.Descriptor, opts ...Option) (*PushResult, error) {
	o := makeOptions(ctx, 5, opts)
	res, err := push(ctx, s, t, manifest, o)
	if err != nil {
		return nil, fmt.Errorf("pushing %s: %w", t, err)
	}
	return res, nil
}

type pushLayer struct {
	desc   v1.Descriptor
	diffID v1.Hash
}

func push(ctx context.Context, s store.Store, t name.Tag, desc v1.Descriptor, o *options) (*PushResult, error) {
	raw, err := store.ReadBlob(ctx, s, desc.Digest)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", desc.Digest, err)
	}
	cfgb, err := store.ReadBlob(ctx, s, m.Config.Digest)
	if err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cfgb))
	if err != nil {
		return nil, fmt.Errorf("parsing config %s: %w", m.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("config %s lists %d diff_ids for %d layers", m.Config.Digest, len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	var layers []pushLayer
	seen := map[v1.Hash]bool{}
	for i := len(m.Layers) - 1; i >= 0; i-- {
		if seen[m.Layers[i].Digest] {
			continue
		}
		seen[m.Layers[i].Digest] = true
		layers = append(layers, pushLayer{m.Layers[i], cfg.RootFS.DiffIDs[i]})
	}
	for _, l := range layers {
		o.progress(Event{Phase: PhasePreparing, Layer: l.diffID})
	}
	for i, l := range layers {
		if i >= o.jobs {
			o.progress(Event{Phase: PhaseWaiting, Layer: l.diffID})
		}
	}
	errs := parallel(ctx, len(layers), o.jobs, func(i int) error {
		return pushLayerBlob(ctx, s, t.Context(), layers[i], o)
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("pushing layer %s: %w", layers[i].desc.Digest, err)
		}
	}
	if err := pushBlob(ctx, s, t.Context(), m.Config, o, nil); err != nil {
		return nil, fmt.Errorf("pushing config %s: %w", m.Config.Digest, err)
	}
	if err := remote.Put(t, rawManifest{raw, desc.MediaType}, o.remote...); err != nil {
		return nil, fmt.Errorf("putting manifest %s: %w", desc.Digest, wrapRemote(err))
	}
	return &PushResult{Digest: desc.Digest, Size: int64(len(raw))}, nil
}

// PushedToRecord is the store record kind, keyed by registry host, a space and layer digest,
// holding the repository of that registry a layer was last pushed to: the next push of the
// layer to another repository there mounts it from there, as Docker does.
const PushedToRecord = "pushed-to"

func pushedToKey(repo name.Repository, layer v1.Hash) string {
	return repo.RegistryStr() + " " + layer.String()
}

// mountSource returns another repository of repo's registry that has the layer, as Docker's
// distribution metadata knows it: where it was last pushed to there, else where it was last
// pulled from.
func mountSource(ctx context.Context, s store.Store, repo name.Repository, layer v1.Hash) (name.Repository, bool) {
	for _, k := range [][2]string{{PushedToRecord, pushedToKey(repo, layer)}, {PulledFromRecord, layer.String()}} {
		b, err := s.Record(ctx, k[0], k[1])
		if err != nil {
			continue
		}
		r, err := name.NewRepository(string(b))
		if err != nil || r.RegistryStr() != repo.RegistryStr() || r.RepositoryStr() == repo.RepositoryStr() {
			continue
		}
		return r, true
	}
	return name.Repository{}, false
}

// pushedTo remembers that repo holds the layer.
func pushedTo(ctx context.Context, s store.Store, repo name.Repository, layer v1.Hash) error {
	if err := s.PutRecord(ctx, PushedToRecord, pushedToKey(repo, layer), []byte(repo.Name())); err != nil {
		return fmt.Errorf("recording where layer %s was pushed: %w", layer, err)
	}
	return nil
}

type existser interface{ Exists() (bool, error) }

func blobExists(repo name.Repository, d v1.Hash, o *options) (bool, error) {
	l, err := remote.Layer(repo.Digest(d.String()), o.remote...)
	if err != nil {
		return false, err
	}
	e, ok := l.(existser)
	if !ok {
		return false, nil
	}
	ok, err = e.Exists()
	return ok, wrapRemote(err)
}

func pushLayerBlob(ctx context.Context, s store.Store, repo name.Repository, l pushLayer, o *options) error {
	ok, err := blobExists(repo, l.desc.Digest, o)
	if err != nil {
		return err
	}
	if ok {
		o.progress(Event{Phase: PhaseLayerAlreadyExists, Layer: l.diffID})
		return pushedTo(ctx, s, repo, l.desc.Digest)
	}
	if src, ok := mountSource(ctx, s, repo, l.desc.Digest); ok {
		if ok, err := blobExists(src, l.desc.Digest, o); err == nil && ok {
			if err := pushBlob(ctx, s, repo, l.desc, o, &src); err != nil {
				return err
			}
			o.progress(Event{Phase: PhaseMounted, Layer: l.diffID, From: src.RepositoryStr()})
			return pushedTo(ctx, s, repo, l.desc.Digest)
		}
	}
	pushing := func(n int64) {
		o.progress(Event{Phase: PhasePushing, Layer: l.diffID, Current: n, Total: l.desc.Size})
	}
	if err := pushBlob(ctx, s, repo, l.desc, o, nil, pushing); err != nil {
		return err
	}
	o.progress(Event{Phase: PhasePushed, Layer: l.diffID})
	return pushedTo(ctx, s, repo, l.desc.Digest)
}

// pushBlob uploads one stored blob (mounting it from src when given), telling sent, if given,
// how many bytes have left.
func pushBlob(ctx context.Context, s store.Store, repo name.Repository, d v1.Descriptor, o *options, src *name.Repository, sent ...func(int64)) error {
	b := &storeBlob{ctx: ctx, s: s, d: d}
	if len(sent) > 0 {
		b.sent = sent[0]
	}
	var l v1.Layer = b
	if src != nil {
		l = &remote.MountableLayer{Layer: l, Reference: src.Digest(d.Digest.String())}
	}
	return wrapRemote(remote.WriteLayer(repo, l, o.remote...))
}

// storeBlob is a stored blob as the v1.Layer go-containerregistry uploads.
type storeBlob struct {
	ctx  context.Context
	s    store.Store
	d    v1.Descriptor
	sent func(int64)
}

func (b *storeBlob) Digest() (v1.Hash, error) { return b.d.Digest, nil }
func (b *storeBlob) DiffID() (v1.Hash, error) {
	return v1.Hash{}, fmt.Errorf("diff_id of %s is not needed to push it", b.d.Digest)
}
func (b *storeBlob) Compressed() (io.ReadCloser, error) {
	rc, err := b.s.OpenBlob(b.ctx, b.d.Digest)
	if err != nil || b.sent == nil {
		return rc, err
	}
	return struct {
		io.Reader
		io.Closer
	}{&counter{r: rc, total: b.d.Size, emit: b.sent, done: func() {}}, rc}, nil
}
func (b *storeBlob) Uncompressed() (io.ReadCloser, error) {
	return nil, fmt.Errorf("uncompressed %s is not needed to push it", b.d.Digest)
}
func (b *storeBlob) Size() (int64, error)                { return b.d.Size, nil }
func (b *storeBlob) MediaType() (types.MediaType, error) { return b.d.MediaType, nil }

// rawManifest is a stored manifest as the remote.Taggable go-containerregistry puts.
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.b, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }
