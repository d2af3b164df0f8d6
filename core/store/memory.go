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
	update  sync.Mutex // serializes UpdateIndex; taken before mu
	mu      sync.Mutex // guards the fields below
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
	return copyEntries(m.index), nil
}

// UpdateIndex runs one update at a time (m.update), so the index fn sees is still the index
// when its result is committed and no retry is needed. fn runs without m.mu held, so it may
// read the store; it must not call UpdateIndex itself.
func (m *Memory) UpdateIndex(ctx context.Context, fn func([]Entry) ([]Entry, error)) error {
	m.update.Lock()
	defer m.update.Unlock()
	m.mu.Lock()
	cur := copyEntries(m.index)
	m.mu.Unlock()
	next, err := fn(cur)
	if err != nil {
		return err
	}
	next = Normalize(copyEntries(next))
	// m.mu is held across the check and the commit so that a concurrent DeleteBlob cannot
	// remove a blob between them; heldMemory reads blobs without taking it again.
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := CheckEntries(ctx, heldMemory{m}, next); err != nil {
		return err
	}
	m.index = next
	return nil
}

// heldMemory is m seen by a caller that already holds m.mu: only the reads CheckEntries
// makes are available.
type heldMemory struct{ *Memory }

func (h heldMemory) BlobSize(ctx context.Context, d v1.Hash) (int64, error) {
	b, ok := h.blobs[d]
	if !ok {
		return 0, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	return int64(len(b)), nil
}

func (h heldMemory) OpenBlob(ctx context.Context, d v1.Hash) (io.ReadCloser, error) {
	b, ok := h.blobs[d]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	return io.NopCloser(VerifyingReader(bytes.NewReader(b), d)), nil
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

// copyEntries deep-copies entries so that callers and the store never share maps or slices.
func copyEntries(es []Entry) []Entry {
	if es == nil {
		return nil
	}
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{Name: e.Name, Descriptor: CopyDescriptor(e.Descriptor)}
	}
	return out
}

// CopyDescriptor returns a deep copy of d.
func CopyDescriptor(d v1.Descriptor) v1.Descriptor {
	if d.URLs != nil {
		d.URLs = append([]string(nil), d.URLs...)
	}
	if d.Annotations != nil {
		a := make(map[string]string, len(d.Annotations))
		for k, v := range d.Annotations {
			a[k] = v
		}
		d.Annotations = a
	}
	if d.Data != nil {
		d.Data = append([]byte(nil), d.Data...)
	}
	if d.Platform != nil {
		p := *d.Platform
		if p.OSFeatures != nil {
			p.OSFeatures = append([]string(nil), p.OSFeatures...)
		}
		if p.Features != nil {
			p.Features = append([]string(nil), p.Features...)
		}
		d.Platform = &p
	}
	return d
}
