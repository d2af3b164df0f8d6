package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/store"
)

// Record types, as BuildKit's UsageInfo names them.
const (
	RecordRegular    = "regular"         // a step's layer
	RecordCacheMount = "exec.cachemount" // a RUN --mount=type=cache directory
)

// CacheUsage is one build cache record as `docker builder du` lists it: BuildKit's
// client.UsageInfo for layerlab's records.
type CacheUsage struct {
	ID          string // the record's id: the first 25 characters of its key (BuildKit's are 25 too)
	Key         string // the store record key
	Type        string // RecordRegular or RecordCacheMount
	Mutable     bool   // cache mounts are, step layers are not
	Shared      bool   // an image in the store uses the layer (kept by prune without --all)
	Size        int64
	CreatedAt   time.Time
	LastUsedAt  *time.Time
	UsageCount  int
	Description string
	Blob        v1.Hash // the layer, or the cache mount's tar
}

// DiskUsage lists the build cache, largest first (BuildKit's client sorts so).
func DiskUsage(ctx context.Context, s store.Store) ([]CacheUsage, error) {
	used, err := imageBlobs(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("reading the images' blobs: %w", err)
	}
	var out []CacheUsage
	keys, err := s.Records(ctx, CacheKind)
	if err != nil {
		return nil, fmt.Errorf("listing the build cache: %w", err)
	}
	for _, k := range keys {
		raw, err := s.Record(ctx, CacheKind, k)
		if err != nil {
			continue // deleted meanwhile
		}
		var rec cacheRecord
		if json.Unmarshal(raw, &rec) != nil {
			continue
		}
		u := CacheUsage{ID: recordID(k), Key: k, Type: RecordRegular, Shared: used[rec.Digest], Size: rec.size(),
			CreatedAt: rec.Created, UsageCount: max(rec.Uses, 1), Description: rec.Description, Blob: rec.Digest}
		if !rec.LastUsed.IsZero() {
			t := rec.LastUsed
			u.LastUsedAt = &t
		}
		out = append(out, u)
	}
	mkeys, err := s.Records(ctx, MountKind)
	if err != nil {
		return nil, fmt.Errorf("listing the cache mounts: %w", err)
	}
	for _, k := range mkeys {
		raw, err := s.Record(ctx, MountKind, k)
		if err != nil {
			continue
		}
		var rec mountRecord
		if json.Unmarshal(raw, &rec) != nil {
			continue
		}
		t := rec.LastUsed
		out = append(out, CacheUsage{ID: recordID(hashKey("mount", k)), Key: k, Type: RecordCacheMount, Mutable: true, Size: rec.Size,
			CreatedAt: rec.Created, LastUsedAt: &t, UsageCount: 1, Description: rec.Desc, Blob: rec.Blob})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Size == out[j].Size {
			return out[i].ID > out[j].ID
		}
		return out[i].Size > out[j].Size
	})
	return out, nil
}

func recordID(key string) string {
	if len(key) > 25 {
		return key[:25]
	}
	return key
}

// PruneOptions say what `docker builder prune` removes.
type PruneOptions struct {
	All          bool          // --all: also the records whose layers images use
	KeepDuration time.Duration // --filter until=D: keep what was used in the last D
	KeepBytes    int64         // --keep-storage: keep the most recently used records up to this size
	Filters      []PruneFilter // --filter id=, type=, description=, shared, private, inuse, parent=
	Now          time.Time
}

// PruneFilter is one of BuildKit's cache filters (the engine passes "id~=X" and "F==X").
type PruneFilter struct{ Field, Value string }

// MatchFilters reports whether u passes every filter: id is a substring match, the
// others exact; shared and private select by sharing; nothing is in use or has a parent.
func MatchFilters(u CacheUsage, fs []PruneFilter) bool {
	for _, f := range fs {
		var ok bool
		switch f.Field {
		case "id":
			ok = strings.Contains(u.ID, f.Value)
		case "type":
			ok = u.Type == f.Value
		case "description":
			ok = u.Description == f.Value
		case "shared":
			ok = u.Shared
		case "private":
			ok = !u.Shared
		case "inuse":
			ok = f.Value == "false"
		case "parent":
			ok = false
		case "until", "unused-for":
			ok = true // handled by KeepDuration
		}
		if !ok {
			return false
		}
	}
	return true
}

// Prune deletes build cache records as BuildKit's cache manager does and the blobs no image
// and no remaining record needs; images are never touched. Without All it keeps the records
// whose layers images use ("shared"), as BuildKit keeps those by default. It returns what
// it removed.
func Prune(ctx context.Context, s store.Store, o PruneOptions) ([]CacheUsage, error) {
	all, err := DiskUsage(ctx, s)
	if err != nil {
		return nil, err
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	var gone, kept []CacheUsage
	for _, u := range all {
		if o.match(u) {
			gone = append(gone, u)
		} else {
			kept = append(kept, u)
		}
	}
	if o.KeepBytes > 0 {
		// Keep the most recently used of the candidates while they fit in KeepBytes.
		sort.SliceStable(gone, func(i, j int) bool { return lastUsed(gone[i]).After(lastUsed(gone[j])) })
		var size int64
		for _, u := range kept {
			size += u.Size
		}
		n := 0
		for n < len(gone) && size+gone[n].Size <= o.KeepBytes {
			size += gone[n].Size
			n++
		}
		kept, gone = append(kept, gone[:n]...), gone[n:]
	}
	for _, u := range gone {
		kind := CacheKind
		if u.Type == RecordCacheMount {
			kind = MountKind
		}
		if err := s.DeleteRecord(ctx, kind, u.Key); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("deleting build cache record %s: %w", u.ID, err)
		}
	}
	needed, err := imageBlobs(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, u := range kept {
		needed[u.Blob] = true
	}
	for _, u := range gone {
		if u.Blob == (v1.Hash{}) || needed[u.Blob] {
			continue
		}
		needed[u.Blob] = true // once
		if err := s.DeleteBlob(ctx, u.Blob); err != nil {
			return nil, fmt.Errorf("deleting blob %s: %w", u.Blob, err)
		}
	}
	return gone, nil
}

func (o PruneOptions) match(u CacheUsage) bool {
	if !o.All && u.Shared {
		return false
	}
	if o.KeepDuration > 0 && u.LastUsedAt != nil && u.LastUsedAt.After(o.Now.Add(-o.KeepDuration)) {
		return false
	}
	return MatchFilters(u, o.Filters)
}

func lastUsed(u CacheUsage) time.Time {
	if u.LastUsedAt != nil {
		return *u.LastUsedAt
	}
	return u.CreatedAt
}
