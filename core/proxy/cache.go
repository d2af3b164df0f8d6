package proxy

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// WithCache keeps digest-addressed responses (blobs, manifests by digest) in dir, at most
// maxBytes in all (least recently used first out), so that a classroom behind one address
// downloads each blob from the upstream once. What is kept is verified against its digest
// first; concurrent requests for the same digest share one upstream download.
func WithCache(dir string, maxBytes int64) Option {
	return func(h *Handler) error {
		c, err := openCache(dir, maxBytes)
		if err != nil {
			return err
		}
		h.cache = c
		return nil
	}
}

// blobCache is content-addressed: DIR/sha256/<hex> holds the bytes, DIR/sha256/<hex>.json
// the media type. A file is renamed into place only once its digest is checked.
type blobCache struct {
	dir string
	max int64

	mu      sync.Mutex
	lru     *list.List // of *cacheEntry, most recently used first
	entries map[string]*list.Element
	size    int64
	flights map[string]*flight
}

type cacheEntry struct {
	digest    string
	size      int64
	mediaType string
}

type cacheMeta struct {
	MediaType string `json:"mediaType"`
}

// flight is one upstream download that other requests for the same digest wait for.
type flight struct {
	done chan struct{}
	ok   bool // the digest is in the cache now
	// uncacheable says the upstream's answer cannot be kept (too big, or the cache cannot
	// write): waiting for the next download would not help.
	uncacheable bool
}

func openCache(dir string, max int64) (*blobCache, error) {
	if max <= 0 {
		return nil, fmt.Errorf("proxy cache %s: the size must be more than 0", dir)
	}
	c := &blobCache{dir: dir, max: max, lru: list.New(), entries: map[string]*list.Element{}, flights: map[string]*flight{}}
	if err := os.MkdirAll(filepath.Join(dir, "sha256"), 0o755); err != nil {
		return nil, fmt.Errorf("opening the proxy cache: %w", err)
	}
	des, err := os.ReadDir(filepath.Join(dir, "sha256"))
	if err != nil {
		return nil, fmt.Errorf("opening the proxy cache: %w", err)
	}
	type found struct {
		e     cacheEntry
		atime time.Time
	}
	var all []found
	for _, de := range des {
		n := de.Name()
		if strings.HasPrefix(n, ".tmp-") {
			os.Remove(filepath.Join(dir, "sha256", n)) // an interrupted download
			continue
		}
		if len(n) != 64 || !de.Type().IsRegular() {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			continue
		}
		var m cacheMeta
		if b, err := os.ReadFile(filepath.Join(dir, "sha256", n+".json")); err == nil {
			json.Unmarshal(b, &m)
		}
		all = append(all, found{cacheEntry{digest: "sha256:" + n, size: fi.Size(), mediaType: m.MediaType}, fi.ModTime()})
	}
	// oldest last: the list is most recent first
	sort.Slice(all, func(i, j int) bool { return all[i].atime.After(all[j].atime) })
	for _, f := range all {
		e := f.e
		c.entries[e.digest] = c.lru.PushBack(&e)
		c.size += e.size
	}
	c.mu.Lock()
	c.evict()
	c.mu.Unlock()
	return c, nil
}

func (c *blobCache) path(digest string) string {
	return filepath.Join(c.dir, "sha256", strings.TrimPrefix(digest, "sha256:"))
}

// open returns the cached bytes for digest (marking it used) or nil. An entry evicted while
// it is being read stays readable: the open file outlives its name.
func (c *blobCache) open(digest string) (io.ReadSeekCloser, *cacheEntry) {
	c.mu.Lock()
	el, ok := c.entries[digest]
	if !ok {
		c.mu.Unlock()
		return nil, nil
	}
	c.lru.MoveToFront(el)
	e := *el.Value.(*cacheEntry)
	c.mu.Unlock()
	f, err := os.Open(c.path(digest))
	if err != nil {
		c.drop(digest)
		return nil, nil
	}
	now := time.Now()
	os.Chtimes(f.Name(), now, now) // the order survives a restart
	return f, &e
}

func (c *blobCache) drop(digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[digest]; ok {
		c.size -= el.Value.(*cacheEntry).size
		c.lru.Remove(el)
		delete(c.entries, digest)
	}
}

// evict removes least recently used entries until the cache fits; the caller holds mu.
func (c *blobCache) evict() {
	for c.size > c.max {
		el := c.lru.Back()
		if el == nil {
			return
		}
		e := el.Value.(*cacheEntry)
		c.lru.Remove(el)
		delete(c.entries, e.digest)
		c.size -= e.size
		os.Remove(c.path(e.digest))
		os.Remove(c.path(e.digest) + ".json")
	}
}

// join returns the flight for digest and whether the caller leads it (downloads).
func (c *blobCache) join(digest string) (*flight, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.flights[digest]; ok {
		return f, false
	}
	f := &flight{done: make(chan struct{})}
	c.flights[digest] = f
	return f, true
}

func (c *blobCache) land(digest string, f *flight, ok bool) {
	c.mu.Lock()
	delete(c.flights, digest)
	c.mu.Unlock()
	f.ok = ok
	close(f.done)
}

// writer is one download on its way into the cache: bytes go to a temporary file while
// they are hashed; commit keeps the file only if the hash is the digest.
type cacheWriter struct {
	c      *blobCache
	digest string
	f      *os.File
	h      hash.Hash
	n      int64
	err    error
}

func (c *blobCache) create(digest string) (*cacheWriter, error) {
	f, err := os.CreateTemp(filepath.Join(c.dir, "sha256"), ".tmp-*")
	if err != nil {
		return nil, err
	}
	return &cacheWriter{c: c, digest: digest, f: f, h: sha256.New()}, nil
}

func (w *cacheWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return len(p), nil // the client's copy goes on; this one is abandoned
	}
	w.h.Write(p)
	n, err := w.f.Write(p)
	w.n += int64(n)
	if err != nil {
		w.err = err
	}
	if w.n > w.c.max {
		w.err = fmt.Errorf("over the cache size")
	}
	return len(p), nil
}

func (w *cacheWriter) abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

// commit keeps the download if it is complete and its digest checks out.
func (w *cacheWriter) commit(mediaType string) bool {
	if w.err != nil || "sha256:"+hex.EncodeToString(w.h.Sum(nil)) != w.digest {
		w.abort()
		return false
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return false
	}
	dst := w.c.path(w.digest)
	if mediaType != "" {
		b, _ := json.Marshal(cacheMeta{MediaType: mediaType})
		if os.WriteFile(dst+".json", b, 0o644) != nil {
			os.Remove(w.f.Name())
			return false
		}
	}
	if os.Rename(w.f.Name(), dst) != nil {
		os.Remove(w.f.Name())
		return false
	}
	c := w.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[w.digest]; !ok {
		c.entries[w.digest] = c.lru.PushFront(&cacheEntry{digest: w.digest, size: w.n, mediaType: mediaType})
		c.size += w.n
	}
	c.evict()
	return true
}
