package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Memory is a Store held in memory: for tests, and for the parts of the browser that
// need no persistence.
type Memory struct {
	mu      sync.Mutex
	blobs   map[v1.Hash][]byte
	index   []Entry
	records map[string]map[string][]byte
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{blobs: map[v1.Hash][]byte{}, records: map[string]map[string][]byte{}}
}

func (m *Memory) PutBlob(ctx context.Context, d v1.Hash, r io.Reader) error {
	if err := CheckAlgorithm(d); err != nil {
		return err
	}
	b, err := io.ReadAll(VerifyingReader(r, d))
	if err != nil {
		return fmt.Errorf("writing blob %s: %w", d, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blobs[d]; !ok {
		m.blobs[d] = b
	}
	return nil
}

func (m *Memory) OpenBlob(ctx context.Context, d v1.Hash) (io.ReadCloser, error) {
	m.mu.Lock()
	b, ok := m.blobs[d]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	return io.NopCloser(VerifyingReader(bytes.NewReader(b), d)), nil
}

func (m *Memory) BlobSize(ctx context.Context, d v1.Hash) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[d]
	if !ok {
		return 0, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	return int64(len(b)), nil
}

func (m *Memory) DeleteBlob(ctx context.Context, d v1.Hash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, d)
	return nil
}

func (m *Memory) Blobs(ctx context.Context) ([]v1.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]v1.Hash, 0, len(m.blobs))
	for d := range m.blobs {
		out = append(out, d)
	}
	return out, nil
}

func (m *Memory) Index(ctx context.Context) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Entry(nil), m.index...), nil
}

func (m *Memory) UpdateIndex(ctx context.Context, fn func([]Entry) ([]Entry, error)) error {
	// Held across fn and the check so that a concurrent DeleteBlob cannot slip between them.
	m.mu.Lock()
	cur := append([]Entry(nil), m.index...)
	m.mu.Unlock()
	next, err := fn(cur)
	if err != nil {
		return err
	}
	next = Normalize(next)
	if err := CheckEntries(ctx, m, next); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !sameEntries(m.index, cur) {
		// Someone else updated the index meanwhile: start again from theirs.
		m.mu.Unlock()
		err := m.UpdateIndex(ctx, fn)
		m.mu.Lock()
		return err
	}
	m.index = next
	return nil
}

func (m *Memory) PutRecord(ctx context.Context, kind, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.records[kind] == nil {
		m.records[kind] = map[string][]byte{}
	}
	m.records[kind][key] = append([]byte(nil), value...)
	return nil
}

func (m *Memory) Record(ctx context.Context, kind, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.records[kind][key]
	if !ok {
		return nil, fmt.Errorf("record %s/%s: %w", kind, key, ErrNotFound)
	}
	return append([]byte(nil), v...), nil
}

func (m *Memory) Records(ctx context.Context, kind string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.records[kind] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

func (m *Memory) DeleteRecord(ctx context.Context, kind, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.records[kind], key)
	return nil
}

// Normalize orders entries the way every store returns them (by name, untagged images last
// by digest) and drops exact duplicates and untagged entries for a manifest that also has a
// tag. A name appears at most once: the last entry for it wins.
func Normalize(entries []Entry) []Entry {
	byName := map[string]Entry{}
	tagged := map[v1.Hash]bool{}
	untagged := map[v1.Hash]Entry{}
	for _, e := range entries {
		if e.Name == "" {
			untagged[e.Descriptor.Digest] = e
			continue
		}
		byName[e.Name] = e
	}
	out := make([]Entry, 0, len(entries))
	for _, e := range byName {
		tagged[e.Descriptor.Digest] = true
		out = append(out, e)
	}
	for d, e := range untagged {
		if !tagged[d] {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Name == "") != (b.Name == "") {
			return a.Name != ""
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Descriptor.Digest.String() < b.Descriptor.Digest.String()
	})
	return out
}

func sameEntries(a, b []Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Descriptor.Digest != b[i].Descriptor.Digest {
			return false
		}
	}
	return true
}
