package layout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/store"
)

// Annotation keys naming a tagged image in index.json. Both hold the full normalized
// reference: the OCI one for skopeo and umoci, containerd's for Docker 25+ and BuildKit.
const (
	RefNameAnnotation        = "org.opencontainers.image.ref.name"
	ContainerdNameAnnotation = "io.containerd.image.name"
)

const layoutFile = `{"imageLayoutVersion":"1.0.0"}`

// Store is a store.Store kept as an OCI image layout in a directory.
type Store struct {
	dir string
	// mu orders this process's writers before they take the file lock, so that blocked
	// goroutines wait here rather than each holding a thread in flock.
	mu sync.Mutex
}

var _ store.Store = (*Store)(nil)

// Open opens the OCI image layout rooted at dir, creating it (and dir) when dir is missing
// or empty. A directory holding something else — another program's files, an unreadable
// oci-layout or index.json — is refused with an error naming the file, and left as it is.
func Open(dir string) (*Store, error) {
	s := &Store{dir: dir}
	if err := s.open(); err != nil {
		return nil, fmt.Errorf("opening store %s: %w", dir, err)
	}
	return s, nil
}

// Dir returns the layout's root directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

func (s *Store) blobPath(d v1.Hash) string { return s.path("blobs", "sha256", d.Hex) }

func (s *Store) open() error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	present := map[string]bool{}
	for _, e := range entries {
		present[e.Name()] = true
	}
	// Everything is checked before anything is created, so a refused directory is left
	// exactly as it was.
	if present["oci-layout"] {
		if err := s.checkLayoutFile(); err != nil {
			return err
		}
		if !present["index.json"] {
			return fmt.Errorf("%s: missing: an OCI image layout must have one", s.path("index.json"))
		}
	} else {
		// Only a layout this package began to create (and was killed creating: it writes
		// oci-layout last) may be completed; anything else is someone else's directory.
		for _, e := range entries {
			switch e.Name() {
			case "blobs", "index.json", "layerlab":
			default:
				return fmt.Errorf("%s is not empty and has no oci-layout file, so it is not an OCI image layout (found %q)", s.dir, e.Name())
			}
		}
	}
	if present["index.json"] {
		if _, _, err := s.readIndex(); err != nil {
			return err
		}
	}
	for _, d := range []string{"layerlab/tmp", "layerlab/records", "blobs/sha256"} {
		if err := os.MkdirAll(s.path(d), 0o755); err != nil {
			return err
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockFile(s.path("layerlab", "lock"))
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(s.path("index.json")); errors.Is(err, fs.ErrNotExist) {
		if err := s.writeIndex(&indexFile{}, nil); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if _, _, err := s.readIndex(); err != nil {
		return err
	}
	if _, err := os.Stat(s.path("oci-layout")); errors.Is(err, fs.ErrNotExist) {
		if err := s.writeFileAtomic(s.path("oci-layout"), []byte(layoutFile)); err != nil {
			return err
		}
	} else if err != nil {
		return err
	} else if err := s.checkLayoutFile(); err != nil {
		return err
	}
	s.removeLitter()
	return nil
}

func (s *Store) checkLayoutFile() error {
	name := s.path("oci-layout")
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var l struct {
		ImageLayoutVersion *string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("%s: not valid JSON: %v", name, err)
	}
	if l.ImageLayoutVersion == nil {
		return fmt.Errorf("%s: no imageLayoutVersion", name)
	}
	if *l.ImageLayoutVersion != "1.0.0" {
		return fmt.Errorf("%s: imageLayoutVersion is %q; only \"1.0.0\" is supported", name, *l.ImageLayoutVersion)
	}
	return nil
}

// removeLitter removes temporary files left by processes that no longer exist (killed in
// the middle of a write).
func (s *Store) removeLitter() {
	entries, err := os.ReadDir(s.path("layerlab", "tmp"))
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(strings.SplitN(e.Name(), ".", 2)[0])
		if err != nil || pid == os.Getpid() || !processGone(pid) {
			continue
		}
		os.Remove(s.path("layerlab", "tmp", e.Name()))
	}
}

// createTemp creates a temporary file in layerlab/tmp: on the layout's filesystem, so it
// can be renamed into place, and outside blobs/ so no reader mistakes it for a blob. Its
// name starts with the pid so that litter from dead processes can be recognised.
func (s *Store) createTemp() (*os.File, error) {
	var r [8]byte
	rand.Read(r[:])
	name := s.path("layerlab", "tmp", fmt.Sprintf("%d.%s.tmp", os.Getpid(), hex.EncodeToString(r[:])))
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
}

// commit makes f's content durable and renames it to dst, then makes the rename durable.
// f is closed; on error the temporary file is removed.
func commit(f *os.File, dst string) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), dst)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

func (s *Store) writeFileAtomic(dst string, b []byte) error {
	f, err := s.createTemp()
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	return commit(f, dst)
}

// PutBlob writes the blob to a temporary file, verifying it against d as it goes, and only
// renames it into blobs/sha256 once it is complete, verified and on disk.
func (s *Store) PutBlob(ctx context.Context, d v1.Hash, r io.Reader) error {
	if err := store.CheckAlgorithm(d); err != nil {
		return err
	}
	f, err := s.createTemp()
	if err != nil {
		return fmt.Errorf("writing blob %s: %w", d, err)
	}
	if _, err := io.Copy(f, store.VerifyingReader(&ctxReader{ctx, r}, d)); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("writing blob %s: %w", d, err)
	}
	if err := commit(f, s.blobPath(d)); err != nil {
		return fmt.Errorf("writing blob %s: %w", d, err)
	}
	return nil
}

// ctxReader stops a long copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// OpenBlob opens blob d; the reader verifies it and names the file when it does not match.
func (s *Store) OpenBlob(ctx context.Context, d v1.Hash) (io.ReadCloser, error) {
	if err := store.CheckAlgorithm(d); err != nil {
		return nil, err
	}
	p := s.blobPath(d)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", d, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("opening blob %s: %w", d, err)
	}
	return &blobReader{r: store.VerifyingReader(f, d), f: f}, nil
}

type blobReader struct {
	r io.Reader
	f *os.File
}

func (b *blobReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %w", b.f.Name(), err)
	}
	return n, err
}

func (b *blobReader) Close() error { return b.f.Close() }

func (s *Store) BlobSize(ctx context.Context, d v1.Hash) (int64, error) {
	if err := store.CheckAlgorithm(d); err != nil {
		return 0, err
	}
	fi, err := os.Stat(s.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("blob %s: %w", d, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", d, err)
	}
	return fi.Size(), nil
}

// DeleteBlob removes blob d under the index lock, so that it cannot vanish between an
// UpdateIndex's check and its commit.
func (s *Store) DeleteBlob(ctx context.Context, d v1.Hash) error {
	if err := store.CheckAlgorithm(d); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockFile(s.path("layerlab", "lock"))
	if err != nil {
		return fmt.Errorf("deleting blob %s: %w", d, err)
	}
	defer unlock()
	if err := os.Remove(s.blobPath(d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting blob %s: %w", d, err)
	}
	return syncDir(s.path("blobs", "sha256"))
}

// Blobs lists blobs/sha256, ignoring any name that is not a sha256 hex digest.
func (s *Store) Blobs(ctx context.Context) ([]v1.Hash, error) {
	entries, err := os.ReadDir(s.path("blobs", "sha256"))
	if err != nil {
		return nil, fmt.Errorf("listing blobs: %w", err)
	}
	var out []v1.Hash
	for _, e := range entries {
		d := v1.Hash{Algorithm: "sha256", Hex: e.Name()}
		if !e.Type().IsRegular() || store.CheckAlgorithm(d) != nil || strings.ToLower(d.Hex) != d.Hex {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Store) Index(ctx context.Context) ([]store.Entry, error) {
	entries, _, err := s.readIndex()
	return entries, err
}

// UpdateIndex holds the lock across reading index.json, fn, the check and the rewrite, so
// fn is called exactly once. fn may read the store but must not write to it.
func (s *Store) UpdateIndex(ctx context.Context, fn func([]store.Entry) ([]store.Entry, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockFile(s.path("layerlab", "lock"))
	if err != nil {
		return fmt.Errorf("updating index: %w", err)
	}
	defer unlock()
	cur, top, err := s.readIndex()
	if err != nil {
		return err
	}
	next, err := fn(cur)
	if err != nil {
		return err
	}
	next = store.Normalize(next)
	if err := store.CheckEntries(ctx, s, next); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.writeIndex(top, next); err != nil {
		return fmt.Errorf("updating index: %w", err)
	}
	return nil
}

func (s *Store) readIndex() ([]store.Entry, *indexFile, error) {
	name := s.path("index.json")
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, nil, fmt.Errorf("reading index: %w", err)
	}
	entries, top, err := parseIndex(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return entries, top, nil
}

func (s *Store) writeIndex(top *indexFile, entries []store.Entry) error {
	b, err := marshalIndex(top, entries)
	if err != nil {
		return err
	}
	return s.writeFileAtomic(s.path("index.json"), b)
}

func (s *Store) recordPath(kind, key string) (string, error) {
	k, n := escapeName(kind), escapeName(key)
	if len(k) > maxNameLen || len(n) > maxNameLen {
		return "", fmt.Errorf("record %s/%s: name too long for a file name (%d bytes escaped; at most %d)", kind, key, max(len(k), len(n)), maxNameLen)
	}
	return s.path("layerlab", "records", k, n), nil
}

func (s *Store) PutRecord(ctx context.Context, kind, key string, value []byte) error {
	p, err := s.recordPath(kind, key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing record %s/%s: %w", kind, key, err)
	}
	if err := s.writeFileAtomic(p, value); err != nil {
		return fmt.Errorf("writing record %s/%s: %w", kind, key, err)
	}
	return nil
}

func (s *Store) Record(ctx context.Context, kind, key string) ([]byte, error) {
	p, err := s.recordPath(kind, key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("record %s/%s: %w", kind, key, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading record %s/%s: %w", kind, key, err)
	}
	return b, nil
}

func (s *Store) Records(ctx context.Context, kind string) ([]string, error) {
	k := escapeName(kind)
	if len(k) > maxNameLen {
		return nil, nil
	}
	entries, err := os.ReadDir(s.path("layerlab", "records", k))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing records %s: %w", kind, err)
	}
	var keys []string
	for _, e := range entries {
		if key, ok := unescapeName(e.Name()); ok && e.Type().IsRegular() {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

func (s *Store) DeleteRecord(ctx context.Context, kind, key string) error {
	p, err := s.recordPath(kind, key)
	if err != nil {
		return nil
	}
	err = os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting record %s/%s: %w", kind, key, err)
	}
	return syncDir(filepath.Dir(p))
}
