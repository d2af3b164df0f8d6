//go:build js && wasm

package idbstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall/js"
	"time"

	"github.com/hack-pad/go-indexeddb/idb"
)

// ChunkSize is the most bytes one chunk holds: large enough that a 100 MB layer is 100
// transactions, small enough that reading a blob never holds more than a chunk or two.
const ChunkSize = 1 << 20

const (
	dbVersion    = 1
	blobsStore   = "blobs"
	filesStore   = "files"
	chunksStore  = "chunks"
	metaStore    = "meta"
	recordsStore = "records"
)

// orphanAge is how old unnamed chunks must be before Open deletes them: younger ones may
// belong to a write still running in another tab.
const orphanAge = time.Hour

// DB is one connection to the layerlab database.
type DB struct {
	db   *idb.Database
	name string
	// superseded is closed when a tab running a newer layerlab needs the database upgraded:
	// this connection then closes (it would block the upgrade) and every call fails with
	// errSuperseded.
	superseded chan struct{}
}

// errSuperseded is what every call returns once a newer layerlab in another tab took over.
var errSuperseded = errors.New("layerlab was updated in another tab: reload this page")

// versionChannel is where connections announce the database version they open, so that
// older ones step aside. (IndexedDB's own versionchange event is not reachable through
// go-indexeddb.)
func versionChannel(name string) js.Value {
	bc := js.Global().Get("BroadcastChannel")
	if bc.Type() != js.TypeFunction {
		return js.Undefined()
	}
	return bc.New("layerlab-db-" + name)
}

// watchVersions makes d step aside when a connection to a newer version is announced, and
// announces d's own version.
func (d *DB) watchVersions(version int) {
	ch := versionChannel(d.name)
	if ch.IsUndefined() {
		return
	}
	var once sync.Once
	ch.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := args[0].Get("data").Get("version")
		if v.Type() == js.TypeNumber && v.Int() > version {
			once.Do(func() {
				close(d.superseded)
				d.db.Close()
				ch.Call("close")
			})
		}
		return nil
	}))
	ch.Call("postMessage", map[string]any{"version": version})
}

// OpenDB opens (creating or upgrading) the database name and sweeps chunks left behind by
// writes that never finished.
func OpenDB(ctx context.Context, name string) (*DB, error) {
	req, err := idb.Global().Open(ctx, name, dbVersion, func(db *idb.Database, oldVersion, newVersion uint) error {
		for _, s := range []string{blobsStore, filesStore, chunksStore, metaStore, recordsStore} {
			if _, err := db.CreateObjectStore(s, idb.ObjectStoreOptions{}); err != nil {
				return fmt.Errorf("creating object store %s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("opening IndexedDB database %s: %w", name, err)
	}
	db, err := req.Await(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening IndexedDB database %s: %w", name, err)
	}
	d := &DB{db: db, name: name, superseded: make(chan struct{})}
	d.watchVersions(dbVersion)
	if err := d.sweep(ctx, time.Now().Add(-orphanAge)); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening IndexedDB database %s: %w", name, err)
	}
	return d, nil
}

// Close closes the connection.
func (d *DB) Close() error { return d.db.Close() }

// Delete deletes the database name (all images, files and records).
func Delete(ctx context.Context, name string) error {
	req, err := idb.Global().DeleteDatabase(name)
	if err != nil {
		return fmt.Errorf("deleting IndexedDB database %s: %w", name, err)
	}
	if err := req.Await(ctx); err != nil {
		return fmt.Errorf("deleting IndexedDB database %s: %w", name, err)
	}
	return nil
}

// content is where some bytes are kept: n chunks named id, size bytes in all.
type content struct {
	Size int64
	ID   string
	N    int
}

func (c content) js() map[string]any {
	return map[string]any{"size": float64(c.Size), "id": c.ID, "n": c.N}
}

func contentOf(v js.Value) (content, error) {
	if v.Type() != js.TypeObject || v.Get("id").Type() != js.TypeString || v.Get("size").Type() != js.TypeNumber || v.Get("n").Type() != js.TypeNumber {
		return content{}, errors.New("malformed content record")
	}
	return content{Size: int64(v.Get("size").Float()), ID: v.Get("id").String(), N: v.Get("n").Int()}, nil
}

// newID names the chunks of one write. Its hex timestamp prefix lets sweep tell old orphans
// from a write still under way.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("%012x-%s", time.Now().UnixMilli(), hex.EncodeToString(b[:]))
}

func chunkKey(id string, i int) js.Value { return js.ValueOf(fmt.Sprintf("%s/%08x", id, i)) }

// chunkRange is an IDBKeyRange covering every chunk of id: "/" < "0" in key order.
func chunkRange(id string) js.Value {
	return js.Global().Get("IDBKeyRange").Call("bound", id+"/", id+"0", false, true)
}

func toJS(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

func fromJS(v js.Value) ([]byte, error) {
	if !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, fmt.Errorf("stored value is a %s, not bytes", v.Type())
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b, nil
}

// tx runs fn in a transaction over stores and waits for it to commit. fn's requests must be
// issued without waiting on anything but those requests (IndexedDB commits a transaction
// as soon as it has nothing left to do). An error from fn aborts the transaction.
func (d *DB) tx(ctx context.Context, mode idb.TransactionMode, fn func(t *idb.Transaction) error, stores ...string) error {
	select {
	case <-d.superseded:
		return errSuperseded
	default:
	}
	t, err := d.db.Transaction(mode, stores[0], stores[1:]...)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- t.Await(ctx) }()
	if err := fn(t); err != nil {
		t.Abort()
		<-done
		return err
	}
	return <-done
}

func objectStore(t *idb.Transaction, name string) *idb.ObjectStore {
	s, err := t.ObjectStore(name)
	if err != nil {
		panic(fmt.Sprintf("object store %s: %v", name, err)) // the upgrader created them all
	}
	return s
}

// get reads key from store s in t; an absent key gives undefined.
func get(ctx context.Context, t *idb.Transaction, s string, key js.Value) (js.Value, error) {
	req, err := objectStore(t, s).Get(key)
	if err != nil {
		return js.Undefined(), err
	}
	return req.Await(ctx)
}

func put(ctx context.Context, t *idb.Transaction, s string, key, value js.Value) error {
	req, err := objectStore(t, s).PutKey(key, value)
	if err != nil {
		return err
	}
	_, err = req.Await(ctx)
	return err
}

func del(ctx context.Context, t *idb.Transaction, s string, key js.Value) error {
	req, err := objectStore(t, s).Delete(key)
	if err != nil {
		return err
	}
	return req.Await(ctx)
}

func deleteChunks(ctx context.Context, t *idb.Transaction, id string) error {
	req, err := objectStore(t, chunksStore).Delete(chunkRange(id))
	if err != nil {
		return err
	}
	return req.Await(ctx)
}

// writeChunks writes what r yields as chunks under a new id, one transaction per chunk, and
// returns where it is. On any error (r's, or the browser's) the chunks written are deleted.
func (d *DB) writeChunks(ctx context.Context, r io.Reader) (content, error) {
	c := content{ID: newID()}
	buf := make([]byte, ChunkSize)
	// Up to writesInFlight chunk transactions commit while the next chunks are read (and
	// hashed by the caller's reader): the browser's IndexedDB works beside the wasm.
	sem := make(chan struct{}, writesInFlight)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var werr error
	failed := func() error {
		mu.Lock()
		defer mu.Unlock()
		return werr
	}
	finish := func(err error) (content, error) {
		wg.Wait()
		if err == nil {
			err = failed()
		}
		if err != nil {
			d.dropChunks(c.ID)
			return content{}, d.quota(err)
		}
		return c, nil
	}
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if err := failed(); err != nil {
				return finish(nil)
			}
			v := toJS(buf[:n]) // a copy: buf is read into again while v is written
			key := chunkKey(c.ID, c.N)
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				err := d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
					return put(ctx, t, chunksStore, key, v)
				}, chunksStore)
				if err != nil {
					mu.Lock()
					if werr == nil {
						werr = err
					}
					mu.Unlock()
				}
			}()
			c.N++
			c.Size += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return finish(nil)
		}
		if rerr != nil {
			return finish(rerr)
		}
	}
}

// writesInFlight bounds the chunk writes writeChunks has started and not seen committed.
const writesInFlight = 4

// dropChunks deletes the chunks of a write that failed, even when the caller's context is
// done: they must not stay behind.
func (d *DB) dropChunks(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
		return deleteChunks(ctx, t, id)
	}, chunksStore)
}

// readChunk reads chunk i of c.
func (d *DB) readChunk(ctx context.Context, c content, i int) ([]byte, error) {
	var v js.Value
	err := d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
		var err error
		v, err = get(ctx, t, chunksStore, chunkKey(c.ID, i))
		return err
	}, chunksStore)
	if err != nil {
		return nil, err
	}
	if v.IsUndefined() {
		return nil, errChunkGone
	}
	return fromJS(v)
}

var errChunkGone = errors.New("its content was deleted or replaced while being read")

// sweep deletes chunks that no blob or file names and that were written before cutoff.
func (d *DB) sweep(ctx context.Context, cutoff time.Time) error {
	named := map[string]bool{}
	var orphans []string
	err := d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
		for _, s := range []string{blobsStore, filesStore} {
			req, err := objectStore(t, s).OpenCursor(idb.CursorNext)
			if err != nil {
				return err
			}
			err = req.Iter(ctx, func(c *idb.CursorWithValue) error {
				v, err := c.Value()
				if err != nil {
					return err
				}
				if id := v.Get("id"); id.Type() == js.TypeString {
					named[id.String()] = true
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		req, err := objectStore(t, chunksStore).GetAllKeys()
		if err != nil {
			return err
		}
		keys, err := req.Await(ctx)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, k := range keys {
			key := k.String()
			id := key
			if i := len(key) - 9; i > 0 && key[i] == '/' {
				id = key[:i]
			}
			if named[id] || seen[id] {
				continue
			}
			seen[id] = true
			var ms int64
			if _, err := fmt.Sscanf(id, "%012x-", &ms); err == nil && time.UnixMilli(ms).Before(cutoff) {
				orphans = append(orphans, id)
			}
		}
		return nil
	}, blobsStore, filesStore, chunksStore)
	if err != nil || len(orphans) == 0 {
		return err
	}
	return d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
		for _, id := range orphans {
			if err := deleteChunks(ctx, t, id); err != nil {
				return err
			}
		}
		return nil
	}, chunksStore)
}
