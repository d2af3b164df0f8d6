package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/layer"
	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

func mustParse(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := ref.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// recorder collects events as "phase short-id" strings.
type recorder struct {
	mu sync.Mutex
	ev []registry.Event
}

func (r *recorder) add(e registry.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ev = append(r.ev, e)
}

// phases returns, per layer (short id), its phases except Downloading/Extracting.
func (r *recorder) phases() map[string][]registry.Phase {
	out := map[string][]registry.Phase{}
	for _, e := range r.ev {
		if e.Phase == registry.PhaseDownloading || e.Phase == registry.PhaseExtracting {
			continue
		}
		id := e.Layer.Hex[:12]
		out[id] = append(out[id], e.Phase)
	}
	return out
}

func layerIDs(t *testing.T, img v1.Image) []string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range ls {
		d, _ := l.Digest()
		ids = append(ids, d.Hex[:12])
	}
	return ids
}

func digest(t *testing.T, x interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	d, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPullFromDistribution(t *testing.T) {
	ctx := context.Background()
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	testimage.Push(t, testimage.PullTest(), reg.Host+"/library/pulltest:latest")
	testimage.Push(t, testimage.PullTestChild(), reg.Host+"/library/pulltestchild:latest")
	s := store.NewMemory()

	rec := &recorder{}
	var resolved v1.Hash
	res, err := registry.Pull(ctx, s, mustParse(t, reg.Host+"/library/pulltest"), func(d v1.Hash) { resolved = d }, registry.WithProgress(rec.add))
	if err != nil {
		t.Fatal(err)
	}
	want := digest(t, testimage.PullTest())
	if res.Digest != want || res.Manifest.Digest != want || resolved != want {
		t.Errorf("got digest %s, manifest %s, resolved %s; want %s", res.Digest, res.Manifest.Digest, resolved, want)
	}
	if !res.Updated {
		t.Errorf("first pull: got Updated false; want true")
	}
	ids := layerIDs(t, testimage.PullTest())
	ph := rec.phases()
	full := []registry.Phase{registry.PhasePullingFSLayer, registry.PhaseVerifyingChecksum, registry.PhaseDownloadComplete, registry.PhasePullComplete}
	waiting := []registry.Phase{registry.PhasePullingFSLayer, registry.PhaseWaiting, registry.PhaseVerifyingChecksum, registry.PhaseDownloadComplete, registry.PhasePullComplete}
	for i, id := range ids {
		w := full
		if i >= 3 {
			w = waiting
		}
		if fmt.Sprint(ph[id]) != fmt.Sprint(w) {
			t.Errorf("layer %s: got phases %v; want %v", id, ph[id], w)
		}
	}
	es, err := s.Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Name != reg.Host+"/library/pulltest:latest" || es[0].Descriptor.Digest != want {
		t.Fatalf("got index %+v; want one entry naming %s", es, want)
	}
	if got, w := es[0].Descriptor.Annotations[registry.RepoDigestAnnotation], reg.Host+"/library/pulltest@"+want.String(); got != w {
		t.Errorf("got repo digest %q; want %q", got, w)
	}
	if err := store.CheckEntries(ctx, s, es); err != nil {
		t.Errorf("stored image is incomplete: %v", err)
	}
	// The pull worked out each layer's size for docker images as it arrived.
	ls, err := testimage.PullTest().Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		diffID, _ := l.DiffID()
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		want, err := layer.Size(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b, err := s.Record(ctx, layer.RecordKind, diffID.String()); err != nil || string(b) != strconv.FormatInt(want, 10) {
			t.Errorf("layer %s: size record %q (%v); want %d", diffID, b, err, want)
		}
	}

	// Again: up to date, no layer events.
	rec = &recorder{}
	res, err = registry.Pull(ctx, s, mustParse(t, reg.Host+"/library/pulltest:latest"), nil, registry.WithProgress(rec.add))
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated || len(rec.ev) != 0 {
		t.Errorf("second pull: got Updated %v and %d events; want false and none", res.Updated, len(rec.ev))
	}

	// The child shares three layers.
	rec = &recorder{}
	if _, err := registry.Pull(ctx, s, mustParse(t, reg.Host+"/library/pulltestchild"), nil, registry.WithProgress(rec.add)); err != nil {
		t.Fatal(err)
	}
	ph = rec.phases()
	for i, id := range layerIDs(t, testimage.PullTestChild()) {
		w := full
		if i < 3 {
			w = []registry.Phase{registry.PhaseAlreadyExists}
		}
		if fmt.Sprint(ph[id]) != fmt.Sprint(w) {
			t.Errorf("child layer %s: got phases %v; want %v", id, ph[id], w)
		}
	}

	// By digest: recorded untagged with its repository digest.
	s2 := store.NewMemory()
	byDigest := reg.Host + "/library/pulltest@" + want.String()
	res, err = registry.Pull(ctx, s2, mustParse(t, byDigest), nil)
	if err != nil {
		t.Fatal(err)
	}
	es, _ = s2.Index(ctx)
	if !res.Updated || len(es) != 1 || es[0].Name != "" || es[0].Descriptor.Annotations[registry.RepoDigestAnnotation] != byDigest {
		t.Errorf("pull by digest: got updated %v, index %+v; want one untagged entry with repo digest %s", res.Updated, es, byDigest)
	}
	res, err = registry.Pull(ctx, s2, mustParse(t, byDigest), nil)
	if err != nil || res.Updated {
		t.Errorf("second pull by digest: got updated %v, err %v; want up to date", res != nil && res.Updated, err)
	}

	// Missing tag and repository.
	for _, r := range []string{reg.Host + "/library/pulltest:nosuchtag", reg.Host + "/library/nosuchrepo"} {
		_, err := registry.Pull(ctx, s2, mustParse(t, r), nil)
		var nf *registry.NotFoundError
		if !errors.As(err, &nf) || nf.Detail != "manifest unknown: manifest unknown" {
			t.Errorf("pull %s: got %v; want a NotFoundError with detail %q", r, err, "manifest unknown: manifest unknown")
		}
	}
}

func TestPullIndex(t *testing.T) {
	ctx := context.Background()
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	idx := testimage.MultiPlatform()
	testimage.Push(t, idx, reg.Host+"/library/multi:latest")
	amd := digest(t, testimage.OCI(testimage.PullTest()))
	arm := digest(t, testimage.OCI(testimage.Platform(testimage.Image(2000, "arm-one", "arm-two"), "linux", "arm64", "v8")))
	tests := []struct {
		name     string
		platform *v1.Platform
		want     v1.Hash
		err      string
	}{
		{"default", nil, amd, ""},
		{"arm64", &v1.Platform{OS: "linux", Architecture: "arm64"}, arm, ""},
		{"arm64/v8", &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, arm, ""},
		{"s390x", &v1.Platform{OS: "linux", Architecture: "s390x"}, v1.Hash{}, "no matching manifest for linux/s390x in the manifest list entries"},
		{"attestation", &v1.Platform{OS: "unknown", Architecture: "unknown"}, v1.Hash{}, "no matching manifest for unknown/unknown in the manifest list entries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := store.NewMemory()
			var opts []registry.Option
			if tc.platform != nil {
				opts = append(opts, registry.WithPlatform(*tc.platform))
			}
			res, err := registry.Pull(ctx, s, mustParse(t, reg.Host+"/library/multi"), nil, opts...)
			if tc.err != "" {
				if err == nil || !strings.HasSuffix(err.Error(), tc.err) {
					t.Fatalf("got error %v; want one ending %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Manifest.Digest != tc.want || res.Digest != digest(t, idx) {
				t.Errorf("got manifest %s, digest %s; want %s, %s", res.Manifest.Digest, res.Digest, tc.want, digest(t, idx))
			}
			es, _ := s.Index(ctx)
			if err := store.CheckEntries(ctx, s, es); err != nil {
				t.Error(err)
			}
		})
	}
}

// failing refuses GETs of one blob, as a broken connection would.
type failing struct {
	base http.RoundTripper
	blob string
}

func (f failing) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/blobs/"+f.blob) {
		return nil, errors.New("connection reset by test")
	}
	return f.base.RoundTrip(r)
}

func TestPullInterruptedKeepsVerifiedBlobsAndNoTag(t *testing.T) {
	ctx := context.Background()
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	img := testimage.PullTest()
	testimage.Push(t, img, reg.Host+"/library/pulltest:latest")
	ls, _ := img.Layers()
	last := digest(t, ls[4])
	s := store.NewMemory()
	r := mustParse(t, reg.Host+"/library/pulltest")
	_, err := registry.Pull(ctx, s, r, nil, registry.WithJobs(1), registry.WithRemote(
		remote.WithTransport(failing{http.DefaultTransport, last.String()}),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1})))
	if err == nil || !strings.Contains(err.Error(), "fetching layer "+last.String()) {
		t.Fatalf("got %v; want an error fetching layer %s", err, last)
	}
	es, _ := s.Index(ctx)
	if len(es) != 0 {
		t.Errorf("interrupted pull tagged %+v; want no entries", es)
	}
	for _, l := range ls[:4] {
		if _, err := s.BlobSize(ctx, digest(t, l)); err != nil {
			t.Errorf("layer %s was downloaded but not kept: %v", digest(t, l), err)
		}
	}
	rec := &recorder{}
	if _, err := registry.Pull(ctx, s, r, nil, registry.WithProgress(rec.add)); err != nil {
		t.Fatal(err)
	}
	ph := rec.phases()
	for i, id := range layerIDs(t, img) {
		want := "[" + fmt.Sprint(registry.PhaseAlreadyExists) + "]"
		if i == 4 {
			want = fmt.Sprint([]registry.Phase{registry.PhasePullingFSLayer, registry.PhaseVerifyingChecksum, registry.PhaseDownloadComplete, registry.PhasePullComplete})
		}
		if fmt.Sprint(ph[id]) != want {
			t.Errorf("resumed pull, layer %s: got %v; want %v", id, ph[id], want)
		}
	}
}

// tampering flips a byte in one blob's body, as a bad mirror or proxy would.
type tampering struct {
	base http.RoundTripper
	blob string
}

func (f tampering) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := f.base.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/blobs/"+f.blob) || r.Method != http.MethodGet {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	b[len(b)/2] ^= 0xff
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func TestPullRefusesCorruptBlob(t *testing.T) {
	ctx := context.Background()
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	img := testimage.PullTest()
	testimage.Push(t, img, reg.Host+"/library/pulltest:latest")
	ls, _ := img.Layers()
	bad := digest(t, ls[2])
	s := store.NewMemory()
	_, err := registry.Pull(ctx, s, mustParse(t, reg.Host+"/library/pulltest"), nil, registry.WithRemote(
		remote.WithTransport(tampering{http.DefaultTransport, bad.String()})))
	if err == nil || !strings.Contains(err.Error(), bad.String()) {
		t.Fatalf("got %v; want an error naming %s", err, bad)
	}
	if _, err := s.BlobSize(ctx, bad); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("corrupt blob %s: got %v; want it not stored", bad, err)
	}
	if es, _ := s.Index(ctx); len(es) != 0 {
		t.Errorf("got index %+v; want nothing tagged", es)
	}
}

// cutting counts blob GETs per digest and, while cut is set, ends that blob's first
// response body halfway through, as a dropped connection does.
type cutting struct {
	base http.RoundTripper
	mu   sync.Mutex
	gets map[string]int
	cut  string
}

func (c *cutting) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	_, blob, isBlob := strings.Cut(r.URL.Path, "/blobs/")
	if err != nil || !isBlob || r.Method != http.MethodGet || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets[blob]++
	if blob == c.cut {
		c.cut = ""
		resp.Body = &halfBody{rc: resp.Body, left: resp.ContentLength / 2}
	}
	return resp, nil
}

type halfBody struct {
	rc   io.ReadCloser
	left int64
}

func (h *halfBody) Read(p []byte) (int, error) {
	if h.left <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > h.left {
		p = p[:h.left]
	}
	n, err := h.rc.Read(p)
	h.left -= int64(n)
	return n, err
}

func (h *halfBody) Close() error { return h.rc.Close() }

// A pull cut in the middle of a blob keeps the blobs that arrived whole and verified, stores
// nothing of the cut one and tags nothing; the next pull downloads only what is missing
// (counted at the upstream) and tags the image.
func TestPullCutMidBlobResumes(t *testing.T) {
	ctx := context.Background()
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	img := testimage.PullTest()
	testimage.Push(t, img, reg.Host+"/library/pulltest:latest")
	ls, _ := img.Layers()
	cut := digest(t, ls[2])
	s := store.NewMemory()
	r := mustParse(t, reg.Host+"/library/pulltest")
	tr := &cutting{base: http.DefaultTransport, gets: map[string]int{}, cut: cut.String()}
	opts := []registry.Option{registry.WithRemote(remote.WithTransport(tr), remote.WithRetryBackoff(remote.Backoff{Steps: 1}))}
	_, err := registry.Pull(ctx, s, r, nil, append(opts, registry.WithJobs(1))...)
	if err == nil || !strings.Contains(err.Error(), "fetching layer "+cut.String()) {
		t.Fatalf("got %v; want an error fetching layer %s", err, cut)
	}
	if es, _ := s.Index(ctx); len(es) != 0 {
		t.Errorf("cut pull tagged %+v; want no entries", es)
	}
	if _, err := s.BlobSize(ctx, cut); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cut blob %s: got %v; want it not stored", cut, err)
	}
	cfg, _ := img.ConfigName()
	blobs := []v1.Hash{cfg}
	for _, l := range ls {
		blobs = append(blobs, digest(t, l))
	}
	kept := map[v1.Hash]bool{}
	for _, b := range blobs {
		if _, err := s.BlobSize(ctx, b); err == nil {
			kept[b] = true
			rc, _ := s.OpenBlob(ctx, b)
			h, _, err := v1.SHA256(rc)
			rc.Close()
			if err != nil || h != b {
				t.Errorf("kept blob %s hashes to %s (%v)", b, h, err)
			}
		}
	}
	if !kept[cfg] || !kept[digest(t, ls[0])] || !kept[digest(t, ls[1])] {
		t.Errorf("kept %v; want at least the config and the two layers before the cut one", kept)
	}

	first := tr.gets
	tr.mu.Lock()
	tr.gets = map[string]int{}
	tr.mu.Unlock()
	res, err := registry.Pull(ctx, s, r, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Updated {
		t.Error("resumed pull: got Updated false; want true")
	}
	for _, b := range blobs {
		want := 1
		if kept[b] {
			want = 0
		}
		if got := tr.gets[b.String()]; got != want {
			t.Errorf("resumed pull fetched %s %d times; want %d (first pull: %d)", b, got, want, first[b.String()])
		}
	}
	es, _ := s.Index(ctx)
	if len(es) != 1 {
		t.Fatalf("got index %+v; want the image tagged", es)
	}
	if err := store.CheckEntries(ctx, s, es); err != nil {
		t.Error(err)
	}
}
