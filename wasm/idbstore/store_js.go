//go:build js && wasm

package idbstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"sync"
	"syscall/js"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hack-pad/go-indexeddb/idb"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/wasm/webcrypto"
)

// Store is the image store in IndexedDB.
type Store struct {
	d *DB
	// update serializes this connection's UpdateIndex calls, so that only writers in other
	// connections (tabs) ever make one retry. fn must not call UpdateIndex itself.
	update sync.Mutex
	// onIndex, when set, is called after each committed UpdateIndex.
	onIndex func()
}

var _ store.Store = (*Store)(nil)

// Open opens the image store in database name.
func Open(ctx context.Context, name string) (*Store, error) {
	d, err := OpenDB(ctx, name)
	if err != nil {
		return nil, err
	}
	return d.Store(), nil
}

// Store returns the image store of d.
func (d *DB) Store() *Store { return &Store{d: d} }

// Close closes the store's connection.
func (s *Store) Close() error { return s.d.Close() }

// DB returns the connection the store uses.
func (s *Store) DB() *DB { return s.d }

func blobKey(d v1.Hash) js.Value { return js.ValueOf(d.String()) }

func (s *Store) PutBlob(ctx context.Context, d v1.Hash, r io.Reader) error {
	if err := store.CheckAlgorithm(d); err != nil {
		return err
	}
	// WebCrypto hashes much faster than Go's sha256 in wasm (package webcrypto)
	h := webcrypto.SHA256()
	if _, err := s.BlobSize(ctx, d); err == nil {
		// Present: the offered bytes must still be the right ones, but need not be kept.
		if _, err := io.Copy(h, r); err != nil {
			return fmt.Errorf("writing blob %s: %w", d, err)
		}
		return verified(h, d)
	}
	c, err := s.d.writeChunks(ctx, io.TeeReader(r, h))
	if err != nil {
		return fmt.Errorf("writing blob %s: %w", d, err)
	}
	if err := verified(h, d); err != nil {
		s.d.dropChunks(c.ID)
		return err
	}
	err = s.d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
		v, err := get(ctx, t, blobsStore, blobKey(d))
		if err != nil {
			return err
		}
		if !v.IsUndefined() { // another writer stored it meanwhile
			return deleteChunks(ctx, t, c.ID)
		}
		return put(ctx, t, blobsStore, blobKey(d), js.ValueOf(c.js()))
	}, blobsStore, chunksStore)
	if err != nil {
		s.d.dropChunks(c.ID)
		return fmt.Errorf("writing blob %s: %w", d, s.d.quota(err))
	}
	return nil
}

// verified checks that the bytes h hashed are blob d.
func verified(h hash.Hash, d v1.Hash) error {
	if got := (v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}); got != d {
		return fmt.Errorf("writing blob %s: %w", d, &store.DigestMismatchError{Want: d, Got: got})
	}
	return nil
}

// blobIn reads blob d's record in t.
func blobIn(ctx context.Context, t *idb.Transaction, d v1.Hash) (content, error) {
	v, err := get(ctx, t, blobsStore, blobKey(d))
	if err != nil {
		return content{}, fmt.Errorf("blob %s: %w", d, err)
	}
	if v.IsUndefined() {
		return content{}, fmt.Errorf("blob %s: %w", d, store.ErrNotFound)
	}
	c, err := contentOf(v)
	if err != nil {
		return content{}, fmt.Errorf("blob %s: %w", d, err)
	}
	return c, nil
}

func (s *Store) blob(ctx context.Context, d v1.Hash) (content, error) {
	if err := store.CheckAlgorithm(d); err != nil {
		return content{}, err
	}
	var c content
	err := s.d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
		var err error
		c, err = blobIn(ctx, t, d)
		return err
	}, blobsStore)
	return c, err
}

func (s *Store) OpenBlob(ctx context.Context, d v1.Hash) (io.ReadCloser, error) {
	c, err := s.blob(ctx, d)
	if err != nil {
		return nil, err
	}
	h := webcrypto.SHA256()
	if c.Size > webcrypto.Limit {
		h = sha256.New() // WebCrypto would not keep it all
	}
	return io.NopCloser(&chunkReader{ctx: ctx, d: s.d, c: c, what: "blob " + d.String(), want: d, h: h}), nil
}

func (s *Store) BlobSize(ctx context.Context, d v1.Hash) (int64, error) {
	c, err := s.blob(ctx, d)
	return c.Size, err
}

func (s *Store) DeleteBlob(ctx context.Context, d v1.Hash) error {
	if err := store.CheckAlgorithm(d); err != nil {
		return err
	}
	err := s.d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
		c, err := blobIn(ctx, t, d)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := del(ctx, t, blobsStore, blobKey(d)); err != nil {
			return err
		}
		return deleteChunks(ctx, t, c.ID)
	}, blobsStore, chunksStore)
	if err != nil {
		return fmt.Errorf("deleting blob %s: %w", d, err)
	}
	return nil
}

func (s *Store) Blobs(ctx context.Context) ([]v1.Hash, error) {
	var keys []js.Value
	err := s.d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
		req, err := objectStore(t, blobsStore).GetAllKeys()
		if err != nil {
			return err
		}
		keys, err = req.Await(ctx)
		return err
	}, blobsStore)
	if err != nil {
		return nil, fmt.Errorf("listing blobs: %w", err)
	}
	out := make([]v1.Hash, 0, len(keys))
	for _, k := range keys {
		h, err := v1.NewHash(k.String())
		if err != nil {
			return nil, fmt.Errorf("listing blobs: bad key %q: %w", k.String(), err)
		}
		out = append(out, h)
	}
	return out, nil
}

// chunkReader reads a blob chunk by chunk, each in its own transaction, and at its end
// returns a *store.DigestMismatchError instead of io.EOF unless the bytes hash to want.
type chunkReader struct {
	ctx  context.Context
	d    *DB
	c    content
	what string
	want v1.Hash
	h    hash.Hash
	i    int    // next chunk
	buf  []byte // unread rest of chunk i-1
	err  error  // what every Read returns after the end
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	for len(r.buf) == 0 {
		if r.i >= r.c.N {
			r.err = io.EOF
			if got := (v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(r.h.Sum(nil))}); got != r.want {
				r.err = &store.DigestMismatchError{Want: r.want, Got: got}
			}
			return 0, r.err
		}
		b, err := r.d.readChunk(r.ctx, r.c, r.i)
		if err != nil {
			return 0, fmt.Errorf("reading %s: %w", r.what, err)
		}
		r.h.Write(b)
		r.buf = b
		r.i++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// index is the stored form of the image index.
type index struct {
	Version int64         `json:"version"`
	Entries []store.Entry `json:"entries"`
}

var indexKey = js.ValueOf("index")

func indexIn(ctx context.Context, t *idb.Transaction) (index, error) {
	v, err := get(ctx, t, metaStore, indexKey)
	if err != nil || v.IsUndefined() {
		return index{}, err
	}
	var ix index
	if v.Type() != js.TypeString {
		return index{}, fmt.Errorf("the stored image index is a %s, not JSON text", v.Type())
	}
	if err := json.Unmarshal([]byte(v.String()), &ix); err != nil {
		return index{}, fmt.Errorf("the stored image index is corrupt: %w", err)
	}
	return ix, nil
}

func (s *Store) readIndex(ctx context.Context) (index, error) {
	var ix index
	err := s.d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
		var err error
		ix, err = indexIn(ctx, t)
		return err
	}, metaStore)
	if err != nil {
		return index{}, fmt.Errorf("reading the image index: %w", err)
	}
	return ix, nil
}

func (s *Store) Index(ctx context.Context) ([]store.Entry, error) {
	ix, err := s.readIndex(ctx)
	return ix.Entries, err
}

// errRaced says another writer changed the index between reading it and writing it.
var errRaced = errors.New("the index changed meanwhile")

// UpdateIndex compares and swaps: fn runs outside any transaction (it may read the store);
// the transaction that writes its result first checks that the index is still the version
// fn saw and that every blob the result needs is present, all inside the same transaction,
// which IndexedDB runs alone against every other writer of these object stores, in this tab
// or another.
func (s *Store) UpdateIndex(ctx context.Context, fn func([]store.Entry) ([]store.Entry, error)) error {
	s.update.Lock()
	defer s.update.Unlock()
	for {
		cur, err := s.readIndex(ctx)
		if err != nil {
			return err
		}
		next, err := fn(cur.Entries)
		if err != nil {
			return err
		}
		next = store.Normalize(copyEntries(next))
		text, err := json.Marshal(index{Version: cur.Version + 1, Entries: next})
		if err != nil {
			return fmt.Errorf("encoding the image index: %w", err)
		}
		err = s.d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
			now, err := indexIn(ctx, t)
			if err != nil {
				return err
			}
			if now.Version != cur.Version {
				return errRaced
			}
			if err := store.CheckEntries(ctx, txStore{s, t}, next); err != nil {
				return err
			}
			return put(ctx, t, metaStore, indexKey, js.ValueOf(string(text)))
		}, metaStore, blobsStore, chunksStore)
		if errors.Is(err, errRaced) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("updating the image index: %w", s.d.quota(err))
		}
		if s.onIndex != nil {
			s.onIndex()
		}
		return nil
	}
}

// OnIndex sets fn to be called after each index update this Store commits.
func (s *Store) OnIndex(fn func()) { s.onIndex = fn }

// txStore is s seen from inside transaction t: the reads CheckEntries makes use t.
type txStore struct {
	*Store
	t *idb.Transaction
}

func (x txStore) BlobSize(ctx context.Context, d v1.Hash) (int64, error) {
	if err := store.CheckAlgorithm(d); err != nil {
		return 0, err
	}
	c, err := blobIn(ctx, x.t, d)
	return c.Size, err
}

func (x txStore) OpenBlob(ctx context.Context, d v1.Hash) (io.ReadCloser, error) {
	if err := store.CheckAlgorithm(d); err != nil {
		return nil, err
	}
	c, err := blobIn(ctx, x.t, d)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for i := 0; i < c.N; i++ {
		v, err := get(ctx, x.t, chunksStore, chunkKey(c.ID, i))
		if err != nil {
			return nil, err
		}
		if v.IsUndefined() {
			return nil, fmt.Errorf("blob %s: chunk %d is missing", d, i)
		}
		p, err := fromJS(v)
		if err != nil {
			return nil, fmt.Errorf("blob %s: %w", d, err)
		}
		b.Write(p)
	}
	return io.NopCloser(store.VerifyingReader(&b, d)), nil
}

func copyEntries(es []store.Entry) []store.Entry {
	out := make([]store.Entry, len(es))
	for i, e := range es {
		out[i] = store.Entry{Name: e.Name, Descriptor: store.CopyDescriptor(e.Descriptor)}
	}
	return out
}

func recordKey(kind, key string) js.Value { return js.ValueOf([]any{kind, key}) }

func (s *Store) PutRecord(ctx context.Context, kind, key string, value []byte) error {
	err := s.d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
		return put(ctx, t, recordsStore, recordKey(kind, key), toJS(value))
	}, recordsStore)
	if err != nil {
		return fmt.Errorf("writing record %s/%s: %w", kind, key, s.d.quota(err))
	}
	return nil
}

func (s *Store) Record(ctx context.Context, kind, key string) ([]byte, error) {
	var v js.Value
	err := s.d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
		var err error
		v, err = get(ctx, t, recordsStore, recordKey(kind, key))
		return err
	}, recordsStore)
	if err != nil {
		return nil, fmt.Errorf("reading record %s/%s: %w", kind, key, err)
	}
	if v.IsUndefined() {
		return nil, fmt.Errorf("record %s/%s: %w", kind, key, store.ErrNotFound)
	}
	b, err := fromJS(v)
	if err != nil {
		return nil, fmt.Errorf("reading record %s/%s: %w", kind, key, err)
	}
	return b, nil
}

func (s *Store) Records(ctx context.Context, kind string) ([]string, error) {
	var keys []js.Value
	err := s.d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
		// [kind] sorts before every [kind, key]; [kind, []] after (arrays sort after strings).
		r, err := idb.NewKeyRangeBound(js.ValueOf([]any{kind}), js.ValueOf([]any{kind, []any{}}), true, true)
		if err != nil {
			return err
		}
		req, err := objectStore(t, recordsStore).GetAllKeysRange(r, 0)
		if err != nil {
			return err
		}
		keys, err = req.Await(ctx)
		return err
	}, recordsStore)
	if err != nil {
		return nil, fmt.Errorf("listing records %s: %w", kind, err)
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k.Index(1).String())
	}
	sort.Strings(out)
	return out, nil
}

func (s *Store) DeleteRecord(ctx context.Context, kind, key string) error {
	err := s.d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
		return del(ctx, t, recordsStore, recordKey(kind, key))
	}, recordsStore)
	if err != nil {
		return fmt.Errorf("deleting record %s/%s: %w", kind, key, err)
	}
	return nil
}
