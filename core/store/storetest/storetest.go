package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/store"
)

// Corrupter is an optional ability of a store under test: damaging a stored blob behind the
// store's back, as a failing disk or another program would. When the store open returns
// implements it, Run checks that reads detect the damage. Implementations' tests provide it
// by wrapping their store; production stores need not implement it.
type Corrupter interface {
	// CorruptBlob changes the stored bytes of blob d (keeping or changing its length).
	CorruptBlob(t *testing.T, d v1.Hash)
}

// Run runs the conformance suite. open must return a fresh, empty store each time it is
// called; it is called once per subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Blobs", func(t *testing.T) { runBlobs(t, open) })
	t.Run("Index", func(t *testing.T) { runIndex(t, open) })
	t.Run("Records", func(t *testing.T) { runRecords(t, open) })
}

func digestOf(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

func put(t *testing.T, s store.Store, b []byte) v1.Hash {
	t.Helper()
	d, err := store.PutBytes(context.Background(), s, b)
	if err != nil {
		t.Fatalf("PutBytes(%d bytes): %v", len(b), err)
	}
	return d
}

func blobSet(t *testing.T, s store.Store) []string {
	t.Helper()
	ds, err := s.Blobs(context.Background())
	if err != nil {
		t.Fatalf("Blobs: %v", err)
	}
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.String())
	}
	sort.Strings(out)
	return out
}

func sortedStrings(ds ...v1.Hash) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.String())
	}
	sort.Strings(out)
	return out
}

// pattern returns n deterministic, non-repeating-looking bytes.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func runBlobs(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()

	t.Run("PutOpenSizeList", func(t *testing.T) {
		s := open(t)
		if got := blobSet(t, s); len(got) != 0 {
			t.Fatalf("Blobs of a new store = %q; want none", got)
		}
		contents := map[string][]byte{
			"empty": {},
			"small": []byte("hello, layers\n"),
			"large": pattern(3<<20+17, 1),
		}
		var all []v1.Hash
		for name, b := range contents {
			d := put(t, s, b)
			all = append(all, d)
			if want := digestOf(b); d != want {
				t.Fatalf("%s: PutBytes digest = %s; want %s", name, d, want)
			}
			size, err := s.BlobSize(ctx, d)
			if err != nil {
				t.Fatalf("%s: BlobSize: %v", name, err)
			}
			if size != int64(len(b)) {
				t.Errorf("%s: BlobSize = %d; want %d", name, size, len(b))
			}
			got, err := store.ReadBlob(ctx, s, d)
			if err != nil {
				t.Fatalf("%s: ReadBlob: %v", name, err)
			}
			if !bytes.Equal(got, b) {
				t.Errorf("%s: ReadBlob returned %d bytes that differ from the %d written", name, len(got), len(b))
			}
		}
		if got, want := blobSet(t, s), sortedStrings(all...); !reflect.DeepEqual(got, want) {
			t.Errorf("Blobs = %q; want %q", got, want)
		}
	})

	t.Run("PutTwice", func(t *testing.T) {
		s := open(t)
		b := []byte("twice")
		d := put(t, s, b)
		if err := s.PutBlob(ctx, d, bytes.NewReader(b)); err != nil {
			t.Fatalf("second PutBlob of the same blob: %v; want nil", err)
		}
		if got, want := blobSet(t, s), sortedStrings(d); !reflect.DeepEqual(got, want) {
			t.Errorf("Blobs = %q; want %q", got, want)
		}
	})

	t.Run("MismatchRefused", func(t *testing.T) {
		s := open(t)
		good := []byte("the bytes the digest names")
		bad := []byte("some other bytes")
		want, got := digestOf(good), digestOf(bad)
		err := s.PutBlob(ctx, want, bytes.NewReader(bad))
		if err == nil {
			t.Fatalf("PutBlob(%s, other bytes) = nil; want a digest mismatch error", want)
		}
		for _, d := range []v1.Hash{want, got} {
			if !strings.Contains(err.Error(), d.String()) {
				t.Errorf("error %q does not name digest %s", err, d)
			}
		}
		var mm *store.DigestMismatchError
		if !errors.As(err, &mm) {
			t.Errorf("error %q is not a *store.DigestMismatchError", err)
		} else if mm.Want != want || mm.Got != got {
			t.Errorf("DigestMismatchError{Want: %s, Got: %s}; want {%s, %s}", mm.Want, mm.Got, want, got)
		}
		if _, err := s.BlobSize(ctx, want); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("BlobSize after a refused put: %v; want ErrNotFound", err)
		}
		if got := blobSet(t, s); len(got) != 0 {
			t.Errorf("Blobs after a refused put = %q; want none", got)
		}

		// A wrong re-put of a present blob is refused too and leaves the blob intact.
		put(t, s, good)
		if err := s.PutBlob(ctx, want, bytes.NewReader(bad)); err == nil {
			t.Errorf("PutBlob of wrong bytes over a present blob = nil; want an error")
		}
		b, err := store.ReadBlob(ctx, s, want)
		if err != nil || !bytes.Equal(b, good) {
			t.Errorf("ReadBlob after a refused re-put = %q, %v; want %q, nil", b, err, good)
		}
	})

	t.Run("ReaderErrorStoresNothing", func(t *testing.T) {
		s := open(t)
		b := pattern(100000, 2)
		d := digestOf(b)
		boom := errors.New("connection reset")
		err := s.PutBlob(ctx, d, &errReader{r: bytes.NewReader(b), err: boom})
		if !errors.Is(err, boom) {
			t.Fatalf("PutBlob with a failing reader = %v; want an error wrapping %v", err, boom)
		}
		if _, err := s.BlobSize(ctx, d); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("BlobSize after a failed put: %v; want ErrNotFound", err)
		}
		if got := blobSet(t, s); len(got) != 0 {
			t.Errorf("Blobs after a failed put = %q; want none", got)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		d := digestOf([]byte("absent"))
		if _, err := s.OpenBlob(ctx, d); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("OpenBlob(absent) = %v; want an error wrapping ErrNotFound", err)
		} else if !strings.Contains(err.Error(), d.String()) {
			t.Errorf("OpenBlob(absent) error %q does not name %s", err, d)
		}
		if _, err := s.BlobSize(ctx, d); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("BlobSize(absent) = %v; want an error wrapping ErrNotFound", err)
		}
		if err := s.DeleteBlob(ctx, d); err != nil {
			t.Errorf("DeleteBlob(absent) = %v; want nil", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		a := put(t, s, []byte("a"))
		b := put(t, s, []byte("b"))
		if err := s.DeleteBlob(ctx, a); err != nil {
			t.Fatalf("DeleteBlob: %v", err)
		}
		if _, err := s.OpenBlob(ctx, a); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("OpenBlob after delete = %v; want ErrNotFound", err)
		}
		if got, want := blobSet(t, s), sortedStrings(b); !reflect.DeepEqual(got, want) {
			t.Errorf("Blobs after delete = %q; want %q", got, want)
		}
		put(t, s, []byte("a"))
		if got, want := blobSet(t, s), sortedStrings(a, b); !reflect.DeepEqual(got, want) {
			t.Errorf("Blobs after re-put = %q; want %q", got, want)
		}
	})

	t.Run("OnlySHA256", func(t *testing.T) {
		s := open(t)
		b := []byte("sha512 content")
		tests := []struct {
			name string
			d    v1.Hash
		}{
			{"sha512", v1.Hash{Algorithm: "sha512", Hex: strings.Repeat("ab", 64)}},
			{"short hex", v1.Hash{Algorithm: "sha256", Hex: "abcd"}},
			{"not hex", v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("zz", 32)}},
			{"path in hex", v1.Hash{Algorithm: "sha256", Hex: "../../../../etc/passwd" + strings.Repeat("a", 42)}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if err := s.PutBlob(ctx, tc.d, bytes.NewReader(b)); err == nil {
					t.Errorf("PutBlob(%s) = nil; want an error", tc.d)
				}
				if _, err := s.OpenBlob(ctx, tc.d); err == nil {
					t.Errorf("OpenBlob(%s) = nil error; want one", tc.d)
				}
				if _, err := s.BlobSize(ctx, tc.d); err == nil {
					t.Errorf("BlobSize(%s) = nil error; want one", tc.d)
				}
				err := s.UpdateIndex(ctx, func([]store.Entry) ([]store.Entry, error) {
					return []store.Entry{{Name: "docker.io/library/x:latest", Descriptor: v1.Descriptor{
						MediaType: types.OCIManifestSchema1, Digest: tc.d, Size: 2}}}, nil
				})
				if err == nil {
					t.Errorf("UpdateIndex naming %s = nil; want an error", tc.d)
				}
			})
		}
		if got := blobSet(t, s); len(got) != 0 {
			t.Errorf("Blobs = %q; want none", got)
		}
		assertIndex(t, s, nil)
	})

	t.Run("CorruptionDetectedOnRead", func(t *testing.T) {
		s := open(t)
		c, ok := s.(Corrupter)
		if !ok {
			t.Logf("%T offers no storetest.Corrupter: read-side verification is not exercised", s)
			return
		}
		for _, n := range []int{10, 1 << 20} {
			b := pattern(n, 3)
			d := put(t, s, b)
			c.CorruptBlob(t, d)
			_, err := store.ReadBlob(ctx, s, d)
			var mm *store.DigestMismatchError
			if !errors.As(err, &mm) {
				t.Fatalf("ReadBlob of a corrupted %d-byte blob = %v; want a *store.DigestMismatchError", n, err)
			}
			if !strings.Contains(err.Error(), d.String()) {
				t.Errorf("error %q does not name the blob %s", err, d)
			}
		}
	})
}

// image is a small image written to a store: its manifest descriptor and blobs.
type image struct {
	desc   v1.Descriptor
	config v1.Hash
	layers []v1.Hash
}

func manifestFor(t *testing.T, config v1.Descriptor, layers []v1.Descriptor) []byte {
	t.Helper()
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: config, Layers: layers}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newImage builds an image from seed without storing anything.
func newImage(t *testing.T, seed string, nlayers int) (img image, blobs map[v1.Hash][]byte) {
	t.Helper()
	blobs = map[v1.Hash][]byte{}
	var layers []v1.Descriptor
	for i := 0; i < nlayers; i++ {
		b := []byte(fmt.Sprintf("layer %d of %s", i, seed))
		d := digestOf(b)
		blobs[d] = b
		img.layers = append(img.layers, d)
		layers = append(layers, v1.Descriptor{MediaType: types.OCILayer, Digest: d, Size: int64(len(b))})
	}
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","config":{"Labels":{"seed":%q}},"rootfs":{"type":"layers","diff_ids":[]}}`, seed))
	img.config = digestOf(cfg)
	blobs[img.config] = cfg
	mb := manifestFor(t, v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: img.config, Size: int64(len(cfg))}, layers)
	md := digestOf(mb)
	blobs[md] = mb
	img.desc = v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: md, Size: int64(len(mb))}
	return img, blobs
}

// putImage builds and stores a complete image.
func putImage(t *testing.T, s store.Store, seed string, nlayers int) image {
	t.Helper()
	img, blobs := newImage(t, seed, nlayers)
	for _, b := range blobs {
		put(t, s, b)
	}
	return img
}

func index(t *testing.T, s store.Store) []store.Entry {
	t.Helper()
	es, err := s.Index(context.Background())
	if err != nil {
		t.Fatalf("Index: %v", err)
	}
	return es
}

func show(es []store.Entry) string {
	b, _ := json.Marshal(es)
	return string(b)
}

func assertIndex(t *testing.T, s store.Store, want []store.Entry) {
	t.Helper()
	got := index(t, s)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Index =\n  %s\nwant\n  %s", show(got), show(want))
	}
}

func set(entries ...store.Entry) func([]store.Entry) ([]store.Entry, error) {
	return func([]store.Entry) ([]store.Entry, error) { return entries, nil }
}

func update(t *testing.T, s store.Store, fn func([]store.Entry) ([]store.Entry, error)) {
	t.Helper()
	if err := s.UpdateIndex(context.Background(), fn); err != nil {
		t.Fatalf("UpdateIndex: %v", err)
	}
}

func runIndex(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()

	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		if got := index(t, s); len(got) != 0 {
			t.Errorf("Index of a new store = %s; want none", show(got))
		}
	})

	t.Run("TagsAndUntagged", func(t *testing.T) {
		s := open(t)
		a := putImage(t, s, "a", 2)
		b := putImage(t, s, "b", 1)
		c := putImage(t, s, "c", 0)
		withMeta := a.desc
		withMeta.Annotations = map[string]string{"io.layerlab.last-tag-time": "2026-11-22T05:13:15.123456789Z", "x.other": "kept"}
		withPlatform := b.desc
		withPlatform.Platform = &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
		update(t, s, set(
			store.Entry{Name: "docker.io/library/nginx:latest", Descriptor: withMeta},
			store.Entry{Descriptor: c.desc},
			store.Entry{Name: "localhost:5000/x/y:1.0", Descriptor: withPlatform},
			store.Entry{Name: "docker.io/library/alpine:3", Descriptor: a.desc},
		))
		want := []store.Entry{
			{Name: "docker.io/library/alpine:3", Descriptor: a.desc},
			{Name: "docker.io/library/nginx:latest", Descriptor: withMeta},
			{Name: "localhost:5000/x/y:1.0", Descriptor: withPlatform},
			{Descriptor: c.desc},
		}
		assertIndex(t, s, want)

		// fn sees the current index.
		update(t, s, func(cur []store.Entry) ([]store.Entry, error) {
			if !reflect.DeepEqual(cur, want) {
				t.Errorf("UpdateIndex passed fn\n  %s\nwant\n  %s", show(cur), show(want))
			}
			return cur, nil
		})
		assertIndex(t, s, want)
	})

	t.Run("Normalized", func(t *testing.T) {
		s := open(t)
		a := putImage(t, s, "a", 1)
		b := putImage(t, s, "b", 1)
		c := putImage(t, s, "c", 1)
		update(t, s, set(
			store.Entry{Descriptor: a.desc}, // dropped: a is tagged
			store.Entry{Name: "docker.io/library/t:1", Descriptor: b.desc},
			store.Entry{Descriptor: c.desc},
			store.Entry{Descriptor: c.desc}, // duplicate
			store.Entry{Name: "docker.io/library/t:2", Descriptor: a.desc},
			store.Entry{Name: "docker.io/library/t:1", Descriptor: a.desc}, // last wins
		))
		// b was only named by a tag that moved: it is no longer in the index.
		assertIndex(t, s, []store.Entry{
			{Name: "docker.io/library/t:1", Descriptor: a.desc},
			{Name: "docker.io/library/t:2", Descriptor: a.desc},
			{Descriptor: c.desc},
		})
	})

	t.Run("RetagAndRemove", func(t *testing.T) {
		s := open(t)
		a := putImage(t, s, "a", 1)
		b := putImage(t, s, "b", 1)
		update(t, s, set(store.Entry{Name: "docker.io/library/app:latest", Descriptor: a.desc}))
		update(t, s, func(cur []store.Entry) ([]store.Entry, error) {
			return append(cur, store.Entry{Name: "docker.io/library/app:latest", Descriptor: b.desc}, store.Entry{Descriptor: a.desc}), nil
		})
		assertIndex(t, s, []store.Entry{
			{Name: "docker.io/library/app:latest", Descriptor: b.desc},
			{Descriptor: a.desc},
		})
		update(t, s, set())
		assertIndex(t, s, nil)
	})

	t.Run("MissingBlobsRefused", func(t *testing.T) {
		tests := []struct {
			name    string
			missing func(img image) v1.Hash
		}{
			{"manifest", func(img image) v1.Hash { return img.desc.Digest }},
			{"config", func(img image) v1.Hash { return img.config }},
			{"first layer", func(img image) v1.Hash { return img.layers[0] }},
			{"last layer", func(img image) v1.Hash { return img.layers[2] }},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				old := putImage(t, s, "old", 1)
				before := []store.Entry{{Name: "docker.io/library/keep:1", Descriptor: old.desc}}
				update(t, s, set(before...))

				img, blobs := newImage(t, "new", 3)
				missing := tc.missing(img)
				for d, b := range blobs {
					if d != missing {
						put(t, s, b)
					}
				}
				err := s.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
					return append(cur, store.Entry{Name: "docker.io/library/new:latest", Descriptor: img.desc}), nil
				})
				if err == nil {
					t.Fatalf("UpdateIndex naming an image whose %s is missing = nil; want an error", tc.name)
				}
				if !strings.Contains(err.Error(), missing.String()) {
					t.Errorf("error %q does not name the missing blob %s", err, missing)
				}
				assertIndex(t, s, before)
			})
		}
	})

	t.Run("FnErrorChangesNothing", func(t *testing.T) {
		s := open(t)
		a := putImage(t, s, "a", 1)
		before := []store.Entry{{Name: "docker.io/library/a:1", Descriptor: a.desc}}
		update(t, s, set(before...))
		boom := errors.New("no such image")
		err := s.UpdateIndex(ctx, func([]store.Entry) ([]store.Entry, error) { return nil, boom })
		if !errors.Is(err, boom) {
			t.Errorf("UpdateIndex = %v; want fn's error", err)
		}
		assertIndex(t, s, before)
	})

	t.Run("IndexWithAbsentChildren", func(t *testing.T) {
		s := open(t)
		amd := putImage(t, s, "amd64", 1)
		arm, _ := newImage(t, "arm64", 1) // never stored
		broken, brokenBlobs := newImage(t, "broken", 2)
		for d, b := range brokenBlobs {
			if d != broken.layers[1] {
				put(t, s, b)
			}
		}
		mkIndex := func(children ...v1.Descriptor) v1.Descriptor {
			b, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: children})
			if err != nil {
				t.Fatal(err)
			}
			d := put(t, s, b)
			return v1.Descriptor{MediaType: types.OCIImageIndex, Digest: d, Size: int64(len(b))}
		}
		withPlatform := func(d v1.Descriptor, arch string) v1.Descriptor {
			d.Platform = &v1.Platform{OS: "linux", Architecture: arch}
			return d
		}
		partial := mkIndex(withPlatform(amd.desc, "amd64"), withPlatform(arm.desc, "arm64"))
		update(t, s, set(store.Entry{Name: "docker.io/library/multi:latest", Descriptor: partial}))
		want := []store.Entry{{Name: "docker.io/library/multi:latest", Descriptor: partial}}
		assertIndex(t, s, want)

		// A child that is present must be complete.
		bad := mkIndex(withPlatform(amd.desc, "amd64"), withPlatform(broken.desc, "arm64"))
		err := s.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
			return append(cur, store.Entry{Name: "docker.io/library/bad:latest", Descriptor: bad}), nil
		})
		if err == nil {
			t.Fatalf("UpdateIndex naming an index whose present child lacks a layer = nil; want an error")
		}
		if !strings.Contains(err.Error(), broken.layers[1].String()) {
			t.Errorf("error %q does not name the missing layer %s", err, broken.layers[1])
		}
		assertIndex(t, s, want)
	})

	t.Run("ConcurrentUpdatesNeverLost", func(t *testing.T) {
		s := open(t)
		img := putImage(t, s, "shared", 1)
		counter := img.desc
		counter.Annotations = map[string]string{"count": "0"}
		update(t, s, set(store.Entry{Name: "docker.io/library/counter:latest", Descriptor: counter}))

		const n = 24
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := 0; i < n; i++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				errs <- s.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
					return append(cur, store.Entry{Name: fmt.Sprintf("docker.io/library/tag:%d", i), Descriptor: img.desc}), nil
				})
			}()
			go func() {
				defer wg.Done()
				errs <- s.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
					out := make([]store.Entry, 0, len(cur))
					for _, e := range cur {
						if e.Name == "docker.io/library/counter:latest" {
							var c int
							fmt.Sscan(e.Descriptor.Annotations["count"], &c)
							e.Descriptor.Annotations = map[string]string{"count": fmt.Sprint(c + 1)}
						}
						out = append(out, e)
					}
					return out, nil
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent UpdateIndex: %v", err)
			}
		}
		got := index(t, s)
		names := map[string]bool{}
		for _, e := range got {
			names[e.Name] = true
			if e.Name == "docker.io/library/counter:latest" {
				if c := e.Descriptor.Annotations["count"]; c != fmt.Sprint(n) {
					t.Errorf("counter after %d concurrent increments = %s; want %d", n, c, n)
				}
			}
		}
		for i := 0; i < n; i++ {
			if name := fmt.Sprintf("docker.io/library/tag:%d", i); !names[name] {
				t.Errorf("tag %s was lost", name)
			}
		}
		if len(got) != n+1 {
			t.Errorf("Index has %d entries; want %d", len(got), n+1)
		}
	})

	t.Run("ReturnedEntriesAreCopies", func(t *testing.T) {
		s := open(t)
		a := putImage(t, s, "a", 1)
		d := a.desc
		d.Annotations = map[string]string{"k": "v"}
		update(t, s, set(store.Entry{Name: "docker.io/library/a:1", Descriptor: d}))
		d.Annotations["k"] = "changed by caller after update"
		got := index(t, s)
		got[0].Descriptor.Annotations["k"] = "changed by caller after Index"
		got[0].Name = "docker.io/library/other:1"
		want := a.desc
		want.Annotations = map[string]string{"k": "v"}
		assertIndex(t, s, []store.Entry{{Name: "docker.io/library/a:1", Descriptor: want}})
	})
}

func runRecords(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()

	t.Run("PutGetListDelete", func(t *testing.T) {
		s := open(t)
		keys := []string{"", ".", "..", "../../etc/passwd", "a/b", "sha256:" + strings.Repeat("0", 64), "with space", "ünïcödé", "%41", "UPPER", "upper"}
		for i, k := range keys {
			if err := s.PutRecord(ctx, "buildcache", k, []byte(fmt.Sprintf("value %d", i))); err != nil {
				t.Fatalf("PutRecord(buildcache, %q): %v", k, err)
			}
		}
		if err := s.PutRecord(ctx, "config", "a/b", []byte("other kind")); err != nil {
			t.Fatalf("PutRecord(config, a/b): %v", err)
		}
		for i, k := range keys {
			got, err := s.Record(ctx, "buildcache", k)
			if want := fmt.Sprintf("value %d", i); err != nil || string(got) != want {
				t.Errorf("Record(buildcache, %q) = %q, %v; want %q, nil", k, got, err, want)
			}
		}
		got, err := s.Records(ctx, "buildcache")
		want := append([]string(nil), keys...)
		sort.Strings(want)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Records(buildcache) = %q, %v; want %q, nil", got, err, want)
		}
		if got, err := s.Records(ctx, "config"); err != nil || !reflect.DeepEqual(got, []string{"a/b"}) {
			t.Errorf("Records(config) = %q, %v; want [\"a/b\"], nil", got, err)
		}
		if got, err := s.Records(ctx, "nothing-here"); err != nil || len(got) != 0 {
			t.Errorf("Records(nothing-here) = %q, %v; want none, nil", got, err)
		}

		if err := s.PutRecord(ctx, "buildcache", "a/b", []byte("overwritten")); err != nil {
			t.Fatalf("PutRecord overwrite: %v", err)
		}
		if got, err := s.Record(ctx, "buildcache", "a/b"); err != nil || string(got) != "overwritten" {
			t.Errorf("Record after overwrite = %q, %v; want %q, nil", got, err, "overwritten")
		}
		if got, err := s.Record(ctx, "config", "a/b"); err != nil || string(got) != "other kind" {
			t.Errorf("Record(config, a/b) = %q, %v; want %q, nil: kinds must not share keys", got, err, "other kind")
		}

		if err := s.DeleteRecord(ctx, "buildcache", "a/b"); err != nil {
			t.Fatalf("DeleteRecord: %v", err)
		}
		if _, err := s.Record(ctx, "buildcache", "a/b"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Record after delete = %v; want an error wrapping ErrNotFound", err)
		}
		if err := s.DeleteRecord(ctx, "buildcache", "a/b"); err != nil {
			t.Errorf("DeleteRecord of an absent record = %v; want nil", err)
		}
		if err := s.DeleteRecord(ctx, "never-written", "x"); err != nil {
			t.Errorf("DeleteRecord in an unknown kind = %v; want nil", err)
		}
		got, _ = s.Records(ctx, "buildcache")
		if len(got) != len(keys)-1 {
			t.Errorf("Records after delete = %q; want %d keys", got, len(keys)-1)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Record(ctx, "config", "config.json")
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Record of an absent record = %v; want an error wrapping ErrNotFound", err)
		}
		if !strings.Contains(err.Error(), "config.json") {
			t.Errorf("error %q does not name the key", err)
		}
	})

	t.Run("EmptyAndBinaryValues", func(t *testing.T) {
		s := open(t)
		values := map[string][]byte{"empty": {}, "binary": {0, 1, 2, 255, '\n', 0}, "big": pattern(1<<20, 4)}
		for k, v := range values {
			if err := s.PutRecord(ctx, "k", k, v); err != nil {
				t.Fatalf("PutRecord(%q): %v", k, err)
			}
		}
		for k, v := range values {
			got, err := s.Record(ctx, "k", k)
			if err != nil || !bytes.Equal(got, v) {
				t.Errorf("Record(%q) = %d bytes, %v; want the %d bytes written", k, len(got), err, len(v))
			}
		}
	})

	t.Run("ValuesAreCopies", func(t *testing.T) {
		s := open(t)
		v := []byte("original")
		if err := s.PutRecord(ctx, "k", "x", v); err != nil {
			t.Fatal(err)
		}
		copy(v, "CHANGED!")
		got, _ := s.Record(ctx, "k", "x")
		copy(got, "CHANGED!")
		if got, err := s.Record(ctx, "k", "x"); err != nil || string(got) != "original" {
			t.Errorf("Record = %q, %v; want %q: the store must copy values in and out", got, err, "original")
		}
	})
}
