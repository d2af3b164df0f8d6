package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/layerlab/layerlab/core/layer"
	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/store"
)

// RepoDigestAnnotation is the index-entry annotation holding the repository digest an image
// was pulled by (docker.io/library/nginx@sha256:...; for a multi-platform image the index's
// digest): Docker's RepoDigests.
const RepoDigestAnnotation = "io.layerlab.repo-digest"

// PulledFromRecord is the store record kind, keyed by layer digest, holding the repository
// (registry/path) a layer was last pulled from: Push mounts it from there, as Docker does.
const PulledFromRecord = "pulled-from"

// DefaultPlatform is what Pull picks from a multi-platform image unless told otherwise.
var DefaultPlatform = v1.Platform{OS: "linux", Architecture: "amd64"}

// Option configures Pull and Push.
type Option func(*options)

type options struct {
	remote   []remote.Option
	platform v1.Platform
	progress func(Event)
	jobs     int
}

// WithRemote passes options (transport, auth) to go-containerregistry's remote.
func WithRemote(opts ...remote.Option) Option {
	return func(o *options) { o.remote = append(o.remote, opts...) }
}

// WithPlatform selects the image of a multi-platform image (default linux/amd64).
func WithPlatform(p v1.Platform) Option { return func(o *options) { o.platform = p } }

// WithProgress receives progress events, one at a time, in the order they happen.
func WithProgress(f func(Event)) Option { return func(o *options) { o.progress = f } }

// WithJobs sets how many layers move at once (Docker's default: 3 downloads, 5 uploads).
func WithJobs(n int) Option { return func(o *options) { o.jobs = n } }

func makeOptions(ctx context.Context, jobs int, opts []Option) *options {
	o := &options{platform: DefaultPlatform, jobs: jobs}
	for _, f := range opts {
		f(o)
	}
	if o.jobs < 1 {
		o.jobs = 1
	}
	f := o.progress
	var mu sync.Mutex
	o.progress = func(e Event) {
		if f == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		f(e)
	}
	o.remote = append(o.remote, remote.WithContext(ctx))
	return o
}

// Resolved is what a reference names in a registry, reported before any layer moves.
type Resolved struct {
	// Digest is what the reference resolved to: the index digest for a multi-platform image
	// (Docker's "Digest:" line).
	Digest v1.Hash
	// Manifest is the image manifest that will be stored (the platform's, for an index).
	Manifest v1.Descriptor
}

// PullResult says what Pull stored.
type PullResult struct {
	Resolved
	// Updated is true when the store's name for the reference changed (Docker's
	// "Downloaded newer image"), false when it already named this image ("Image is up to date").
	Updated bool
}

// ErrManifestUnknown is wrapped by Pull's error when the registry has no such tag or digest.
var ErrManifestUnknown = errors.New("manifest unknown")

// Pull fetches the image r names into s and names it r (a tag) or records it untagged with
// its repository digest (a digest reference). found, if not nil, is called with the digest r
// resolves to as soon as the registry has answered, before a platform is chosen from an index
// and before any layer is fetched (when docker prints "latest: Pulling from ...").
func Pull(ctx context.Context, s store.Store, r name.Reference, found func(v1.Hash), opts ...Option) (*PullResult, error) {
	o := makeOptions(ctx, 3, opts)
	res, manifest, err := resolve(ctx, r, o, found)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref.String(r), err)
	}
	if err := fetchImage(ctx, s, r, manifest, res.Manifest, o); err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref.String(r), err)
	}
	updated, err := record(ctx, s, r, res)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref.String(r), err)
	}
	return &PullResult{Resolved: res, Updated: updated}, nil
}

// resolve fetches r's manifest, choosing the platform's image from an index.
func resolve(ctx context.Context, r name.Reference, o *options, found func(v1.Hash)) (Resolved, []byte, error) {
	d, err := remote.Get(r, o.remote...)
	if err != nil {
		return Resolved{}, nil, wrapRemote(err)
	}
	if found != nil {
		found(d.Digest)
	}
	res := Resolved{Digest: d.Digest}
	switch d.MediaType {
	case types.OCIImageIndex, types.DockerManifestList:
		idx, err := v1.ParseIndexManifest(bytes.NewReader(d.Manifest))
		if err != nil {
			return Resolved{}, nil, fmt.Errorf("parsing the image index %s: %w", d.Digest, err)
		}
		child, ok := choose(idx.Manifests, o.platform)
		if !ok {
			return Resolved{}, nil, &NoMatchError{Platform: o.platform}
		}
		cd, err := remote.Get(r.Context().Digest(child.Digest.String()), o.remote...)
		if err != nil {
			return Resolved{}, nil, wrapRemote(err)
		}
		if cd.MediaType != types.OCIManifestSchema1 && cd.MediaType != types.DockerManifestSchema2 {
			return Resolved{}, nil, fmt.Errorf("manifest %s in index %s has unsupported media type %q", cd.Digest, d.Digest, cd.MediaType)
		}
		desc := cd.Descriptor
		desc.Platform = child.Platform
		res.Manifest = plain(desc)
		return res, cd.Manifest, nil
	case types.OCIManifestSchema1, types.DockerManifestSchema2:
		res.Manifest = plain(d.Descriptor)
		return res, d.Manifest, nil
	case types.DockerManifestSchema1, types.DockerManifestSchema1Signed:
		return Resolved{}, nil, fmt.Errorf("image manifest %s uses Docker's schema 1, which is no longer supported", d.Digest)
	default:
		return Resolved{}, nil, fmt.Errorf("manifest %s has unsupported media type %q", d.Digest, d.MediaType)
	}
}

func plain(d v1.Descriptor) v1.Descriptor {
	return v1.Descriptor{MediaType: d.MediaType, Size: d.Size, Digest: d.Digest, Platform: d.Platform}
}

// choose picks want's image from an index, skipping attestation manifests.
func choose(ms []v1.Descriptor, want v1.Platform) (v1.Descriptor, bool) {
	for _, m := range ms {
		if m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" || m.Platform == nil {
			continue
		}
		p := m.Platform
		if p.OS != want.OS || p.Architecture != want.Architecture {
			continue
		}
		if want.Variant != "" && p.Variant != want.Variant {
			continue
		}
		return m, true
	}
	return v1.Descriptor{}, false
}

// NoMatchError says an index has no image for the wanted platform.
type NoMatchError struct{ Platform v1.Platform }

func (e *NoMatchError) Error() string {
	return fmt.Sprintf("no matching manifest for %s in the manifest list entries", platformString(e.Platform))
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func has(ctx context.Context, s store.Store, d v1.Hash) bool {
	_, err := s.BlobSize(ctx, d)
	return err == nil
}

// fetchImage stores the config, the layers and last the manifest, each verified.
func fetchImage(ctx context.Context, s store.Store, r name.Reference, raw []byte, desc v1.Descriptor, o *options) error {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("parsing manifest %s: %w", desc.Digest, err)
	}
	complete := has(ctx, s, m.Config.Digest)
	for _, l := range m.Layers {
		complete = complete && has(ctx, s, l.Digest)
	}
	if complete {
		// The image (its config and layers) is here, perhaps under another manifest media
		// type: Docker, too, shows no layers then.
		if err := s.PutBlob(ctx, desc.Digest, bytes.NewReader(raw)); err != nil {
			return fmt.Errorf("storing manifest %s: %w", desc.Digest, err)
		}
		return nil
	}
	if !has(ctx, s, m.Config.Digest) {
		if _, _, err := fetchBlob(ctx, s, r, m.Config, nil, o.remote, false); err != nil {
			return fmt.Errorf("fetching config %s: %w", m.Config.Digest, err)
		}
	}
	cfgb, err := store.ReadBlob(ctx, s, m.Config.Digest)
	if err != nil {
		return err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cfgb))
	if err != nil {
		return fmt.Errorf("parsing config %s: %w", m.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return fmt.Errorf("config %s lists %d diff_ids for %d layers in manifest %s", m.Config.Digest, len(cfg.RootFS.DiffIDs), len(m.Layers), desc.Digest)
	}

	// Like Docker's distribution metadata, and only when the image was not already here.
	for _, l := range m.Layers {
		if err := s.PutRecord(ctx, PulledFromRecord, l.Digest.String(), []byte(r.Context().Name())); err != nil {
			return fmt.Errorf("recording where layer %s came from: %w", l.Digest, err)
		}
	}

	// Docker reports layers once each: a layer listed twice is fetched once.
	var missing []v1.Descriptor
	seen := map[v1.Hash]bool{}
	for _, l := range m.Layers {
		if seen[l.Digest] {
			continue
		}
		seen[l.Digest] = true
		if has(ctx, s, l.Digest) {
			o.progress(Event{Phase: PhaseAlreadyExists, Layer: l.Digest})
		} else {
			missing = append(missing, l)
			o.progress(Event{Phase: PhasePullingFSLayer, Layer: l.Digest})
		}
	}
	for i, l := range missing {
		if i >= o.jobs {
			o.progress(Event{Phase: PhaseWaiting, Layer: l.Digest})
		}
	}
	diffIDs := make([]v1.Hash, len(missing))
	sizes := make([]int64, len(missing)) // Docker's sizes of the layers, -1 where unknown
	errs := parallel(ctx, len(missing), o.jobs, func(i int) error {
		l := missing[i]
		d, n, err := fetchBlob(ctx, s, r, l, o.progress, o.remote, true)
		if err != nil {
			return err
		}
		diffIDs[i], sizes[i] = d, n
		o.progress(Event{Phase: PhaseDownloadComplete, Layer: l.Digest})
		return nil
	})
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("fetching layer %s: %w", missing[i].Digest, err)
		}
	}
	// Extraction, in layer order: the uncompressed content must hash to the config's diff_id.
	for i, l := range m.Layers {
		if !seen[l.Digest] {
			continue
		}
		delete(seen, l.Digest)
		j := index(missing, l.Digest)
		if j < 0 {
			continue
		}
		// The content was hashed as it arrived; the engine extracts here, layerlab only
		// compares.
		o.progress(Event{Phase: PhaseExtracting, Layer: l.Digest, Current: l.Size, Total: l.Size})
		if want := cfg.RootFS.DiffIDs[i]; diffIDs[j] != want {
			return fmt.Errorf("extracting layer %s: its content hashes to %s but the config's diff_id is %s", l.Digest, diffIDs[j], want)
		}
		// docker images shows sizes: worked out as the layer arrived, so never read again
		if err := layer.Remember(ctx, s, cfg.RootFS.DiffIDs[i], sizes[j]); err != nil {
			return err
		}
		o.progress(Event{Phase: PhasePullComplete, Layer: l.Digest})
	}
	if err := s.PutBlob(ctx, desc.Digest, bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("storing manifest %s: %w", desc.Digest, err)
	}
	return nil
}

func index(ds []v1.Descriptor, d v1.Hash) int {
	for i, x := range ds {
		if x.Digest == d {
			return i
		}
	}
	return -1
}

// fetchBlob streams blob d from r's repository into s; s.PutBlob verifies the digest before
// the blob becomes visible. With layer set, the blob is decompressed as it arrives and the
// hash of its content (the diff_id it must have) returned, with Docker's size of the content
// (-1 when unknown).
func fetchBlob(ctx context.Context, s store.Store, r name.Reference, d v1.Descriptor, progress func(Event), opts []remote.Option, isLayer bool) (v1.Hash, int64, error) {
	if err := store.CheckAlgorithm(d.Digest); err != nil {
		return v1.Hash{}, 0, err
	}
	l, err := remote.Layer(r.Context().Digest(d.Digest.String()), opts...)
	if err != nil {
		return v1.Hash{}, 0, wrapRemote(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return v1.Hash{}, 0, wrapRemote(err)
	}
	defer rc.Close()
	var src io.Reader = rc
	if progress != nil {
		src = &counter{r: rc, total: d.Size, emit: func(n int64) {
			progress(Event{Phase: PhaseDownloading, Layer: d.Digest, Current: n, Total: d.Size})
		}, done: func() { progress(Event{Phase: PhaseVerifyingChecksum, Layer: d.Digest}) }}
	}
	// A registry sending more than the descriptor's size is refused, not stored.
	sized := &sizeCheck{r: io.LimitReader(src, d.Size+1), want: d.Size, digest: d.Digest}
	src = sized
	var pw *io.PipeWriter
	var diff chan diffResult
	if isLayer {
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		diff = make(chan diffResult, 1)
		go func() {
			h, n, err := contentDigest(pr, d)
			io.Copy(io.Discard, pr) // whatever follows the compressed stream
			pr.Close()
			diff <- diffResult{h, n, err}
		}()
		src = io.TeeReader(src, pw)
	}
	err = s.PutBlob(ctx, d.Digest, src)
	if pw != nil {
		pw.CloseWithError(err)
	}
	if err != nil {
		if sized.err != nil {
			return v1.Hash{}, 0, sized.err
		}
		return v1.Hash{}, 0, wrapRemote(err)
	}
	if !isLayer {
		return v1.Hash{}, 0, nil
	}
	res := <-diff
	if res.err != nil {
		return v1.Hash{}, 0, fmt.Errorf("extracting layer %s: %w", d.Digest, res.err)
	}
	return res.h, res.n, nil
}

type diffResult struct {
	h   v1.Hash
	n   int64
	err error
}

// sizeCheck fails the read that goes past want bytes, or ends short of it.
type sizeCheck struct {
	r      io.Reader
	n      int64
	want   int64
	digest v1.Hash
	err    error
}

func (c *sizeCheck) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.want || (err == io.EOF && c.n != c.want) {
		c.err = fmt.Errorf("blob %s is %d bytes or more; the manifest says %d", c.digest, c.n, c.want)
		if c.n < c.want {
			c.err = fmt.Errorf("blob %s is %d bytes; the manifest says %d", c.digest, c.n, c.want)
		}
		return n, c.err
	}
	return n, err
}

// counter reports bytes read, at most every 512 KiB, and calls done at EOF.
type counter struct {
	r           io.Reader
	n, last     int64
	total       int64
	emit        func(int64)
	done        func()
	doneAlready bool
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n-c.last >= 512<<10 || (err == io.EOF && c.n != c.last) {
		c.last = c.n
		c.emit(c.n)
	}
	if err == io.EOF && !c.doneAlready {
		c.doneAlready = true
		c.done()
	}
	return n, err
}

// contentDigest hashes a layer's uncompressed content as it is read, and works out Docker's
// size of it (-1 when the content is not a tar it can read).
func contentDigest(r io.Reader, l v1.Descriptor) (v1.Hash, int64, error) {
	var u io.Reader
	switch l.MediaType {
	case types.DockerLayer, types.OCILayer, types.DockerForeignLayer, types.OCIRestrictedLayer:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return v1.Hash{}, 0, err
		}
		defer zr.Close()
		u = zr
	case types.OCILayerZStd:
		zr, err := zstd.NewReader(r)
		if err != nil {
			return v1.Hash{}, 0, err
		}
		defer zr.Close()
		u = zr
	case types.DockerUncompressedLayer, types.OCIUncompressedLayer, types.OCIUncompressedRestrictedLayer:
		u = r
	default:
		return v1.Hash{}, 0, fmt.Errorf("unsupported media type %q", l.MediaType)
	}
	return layer.DigestAndSize(u)
}

// record names the pulled image in the index and reports whether that changed anything.
func record(ctx context.Context, s store.Store, r name.Reference, res Resolved) (bool, error) {
	repoDigest := ref.Repository(r) + "@" + res.Digest.String()
	updated := false
	err := s.UpdateIndex(ctx, func(es []store.Entry) ([]store.Entry, error) {
		updated = false
		desc := res.Manifest
		desc.Annotations = map[string]string{RepoDigestAnnotation: repoDigest}
		out := make([]store.Entry, 0, len(es)+1)
		if _, isDigest := r.(name.Digest); isDigest {
			for _, e := range es {
				if e.Descriptor.Digest == res.Manifest.Digest && e.Descriptor.Annotations[RepoDigestAnnotation] == repoDigest {
					return es, nil
				}
			}
			updated = true
			return append(append(out, es...), store.Entry{Descriptor: desc}), nil
		}
		full := ref.String(r)
		var old *store.Entry
		for i, e := range es {
			if e.Name == full {
				old = &es[i]
				continue
			}
			out = append(out, e)
		}
		if old != nil && old.Descriptor.Digest == res.Manifest.Digest {
			return es, nil
		}
		updated = true
		if old != nil {
			// The image the tag named before stays, untagged, unless something else names it.
			named := false
			for _, e := range out {
				named = named || e.Descriptor.Digest == old.Descriptor.Digest
			}
			if !named {
				d := old.Descriptor
				out = append(out, store.Entry{Descriptor: d})
			}
		}
		return append(out, store.Entry{Name: full, Descriptor: desc}), nil
	})
	return updated, err
}

// NotFoundError is a registry's answer that the manifest a reference names does not exist.
type NotFoundError struct {
	// Detail is the registry's error in Docker's form: "manifest unknown: manifest unknown".
	Detail string
	err    error
}

func (e *NotFoundError) Error() string { return e.err.Error() }
func (e *NotFoundError) Unwrap() []error {
	return []error{ErrManifestUnknown, e.err}
}

// UnauthorizedError is a registry's 401: no or wrong credentials.
type UnauthorizedError struct {
	// Detail is the registry's error in Docker's form ("unauthorized: authentication required").
	Detail string
	// Token says the refused request carried a bearer token: the registry runs a token
	// service (Docker Hub, the practice hub) and refused that token's scope, where docker
	// words a pull's refusal "pull access denied for ...".
	Token bool
	err   error
}

func (e *UnauthorizedError) Error() string { return e.err.Error() }
func (e *UnauthorizedError) Unwrap() error { return e.err }

// wrapRemote turns a registry's 404 into a *NotFoundError and 401 into *UnauthorizedError.
func wrapRemote(err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		return err
	}
	if te.StatusCode == http401 {
		detail := "unauthorized"
		if len(te.Errors) > 0 {
			d := te.Errors[0]
			detail = strings.ToLower(strings.ReplaceAll(string(d.Code), "_", " ")) + ": " + d.Message
		}
		token := te.Request != nil && strings.HasPrefix(te.Request.Header.Get("Authorization"), "Bearer ")
		return &UnauthorizedError{Detail: detail, Token: token, err: err}
	}
	if te.StatusCode != http404 {
		return err
	}
	detail := "manifest unknown"
	if len(te.Errors) > 0 {
		d := te.Errors[0]
		detail = strings.ToLower(strings.ReplaceAll(string(d.Code), "_", " ")) + ": " + d.Message
	}
	return &NotFoundError{Detail: detail, err: err}
}

// http404 is net/http's StatusNotFound (this package does not import net/http).
const (
	http401 = 401
	http404 = 404
)
