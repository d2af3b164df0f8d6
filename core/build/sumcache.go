package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"reflect"
)

// The context checksum cache: the content digest of each build-context file, keyed by its
// path, size, modification time and mode, kept in the store between builds (record kind
// "contextsums"). A cached rebuild then reads only the files whose metadata changed, as
// BuildKit's context transfer (fsutil) sends only those. Files whose modification time has
// no sub-second part (extracted from an archive, or set by SOURCE_DATE_EPOCH tools) are
// hashed every time: for them equal metadata says too little about equal content.
const (
	sumCacheKind   = "contextsums"
	sumCacheKey    = "v1"
	sumCacheLimit  = 50000 // entries; a bigger map starts again empty
	sumCacheFormat = 1
)

type sumEntry struct {
	Size  int64  `json:"s"`
	MTime int64  `json:"t"` // unix nanoseconds
	Mode  uint32 `json:"m"`
	Sum   string `json:"d"` // hex sha256 of the content
}

type sumCache struct {
	loaded bool
	dirty  bool
	m      map[string]sumEntry
	// seen are this build's digests of context files (a context does not change while it
	// is built), so a file is read once per build whatever its modification time
	seen map[string][32]byte
}

func (c *sumCache) load(ctx context.Context, b *builder) {
	if c.loaded {
		return
	}
	c.loaded = true
	c.m = map[string]sumEntry{}
	data, err := b.s.Record(ctx, sumCacheKind, sumCacheKey)
	if err != nil {
		return // none yet, or unreadable: start empty
	}
	var doc struct {
		Format  int                 `json:"format"`
		Entries map[string]sumEntry `json:"entries"`
	}
	if json.Unmarshal(data, &doc) == nil && doc.Format == sumCacheFormat && doc.Entries != nil {
		c.m = doc.Entries
	}
}

// save writes the cache back when this build added to it. It is only a speed-up: a store
// that cannot keep it does not fail the build.
func (c *sumCache) save(ctx context.Context, b *builder) {
	if !c.dirty {
		return
	}
	if len(c.m) > sumCacheLimit {
		c.m = map[string]sumEntry{}
	}
	data, err := json.Marshal(struct {
		Format  int                 `json:"format"`
		Entries map[string]sumEntry `json:"entries"`
	}{sumCacheFormat, c.m})
	if err == nil {
		_ = b.s.PutRecord(ctx, sumCacheKind, sumCacheKey, data)
	}
}

// contentSum is the sha256 of a regular file of fsys; files of the build context go
// through the cache.
func (b *builder) contentSum(ctx context.Context, fsys fs.FS, p string, info fs.FileInfo) ([32]byte, error) {
	isContext := sameFS(fsys, b.o.Context)
	if sum, ok := b.sums.seen[p]; ok && isContext {
		return sum, nil
	}
	cacheable := isContext && info.ModTime().Nanosecond() != 0
	if cacheable {
		b.sums.load(ctx, b)
		if e, ok := b.sums.m[p]; ok && e.Size == info.Size() && e.MTime == info.ModTime().UnixNano() && e.Mode == uint32(info.Mode()) {
			var sum [32]byte
			if n, err := hex.Decode(sum[:], []byte(e.Sum)); err == nil && n == len(sum) {
				return sum, nil
			}
		}
	}
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return [32]byte{}, err
	}
	sum := sha256.Sum256(data)
	if isContext {
		if b.sums.seen == nil {
			b.sums.seen = map[string][32]byte{}
		}
		b.sums.seen[p] = sum
	}
	if cacheable && int64(len(data)) == info.Size() {
		b.sums.m[p] = sumEntry{Size: info.Size(), MTime: info.ModTime().UnixNano(), Mode: uint32(info.Mode()), Sum: hex.EncodeToString(sum[:])}
		b.sums.dirty = true
	}
	return sum, nil
}

// sameFS says a and b are the same file system value (an fs.FS of a type that cannot be
// compared is never the same: == on it would panic).
func sameFS(a, b fs.FS) bool {
	ta := reflect.TypeOf(a)
	if ta == nil || ta != reflect.TypeOf(b) || !ta.Comparable() {
		return false
	}
	return a == b
}
