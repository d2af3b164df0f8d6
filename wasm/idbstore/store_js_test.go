//go:build js && wasm

package idbstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hack-pad/go-indexeddb/idb"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/store/storetest"
	"github.com/layerlab/layerlab/wasm/webcrypto"
)

var dbSeq atomic.Int64

// testDB returns a fresh database name, deleted when the test ends.
func testDB(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("layerlab-test-%d-%d", time.Now().UnixNano(), dbSeq.Add(1))
	t.Cleanup(func() {
		if err := Delete(context.Background(), name); err != nil {
			t.Errorf("deleting %s: %v", name, err)
		}
	})
	return name
}

func openStore(t *testing.T, name string) *Store {
	t.Helper()
	s, err := Open(context.Background(), name)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	// Closed before testDB's cleanup deletes the database (cleanups run last first).
	t.Cleanup(func() { s.Close() })
	return s
}

// corruptible is the store with storetest.Corrupter: it rewrites a chunk behind the store's back.
type corruptible struct{ *Store }

func (c corruptible) CorruptBlob(t *testing.T, d v1.Hash) {
	ctx := context.Background()
	cont, err := c.blob(ctx, d)
	if err != nil {
		t.Fatalf("corrupting %s: %v", d, err)
	}
	err = c.d.tx(ctx, idb.TransactionReadWrite, func(tx *idb.Transaction) error {
		v, err := get(ctx, tx, chunksStore, chunkKey(cont.ID, 0))
		if err != nil {
			return err
		}
		b, err := fromJS(v)
		if err != nil {
			return err
		}
		b[0] ^= 0xff
		return put(ctx, tx, chunksStore, chunkKey(cont.ID, 0), toJS(b))
	}, chunksStore)
	if err != nil {
		t.Fatalf("corrupting %s: %v", d, err)
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return corruptible{openStore(t, testDB(t))} })
}

// The store hashes blobs with WebCrypto in one piece, with Go where WebCrypto is missing,
// and moves from one to the other when a blob of unknown size turns out too big to hold:
// each way passes the conformance suite (which checks digests on write and corruption on
// read), and a blob written one way reads back the other.
func TestConformanceHashedByGo(t *testing.T) {
	defer func(f func() bool) { webcrypto.Available = f }(webcrypto.Available)
	webcrypto.Available = func() bool { return false }
	storetest.Run(t, func(t *testing.T) store.Store { return corruptible{openStore(t, testDB(t))} })
}

func TestConformanceHashOverflowsToGo(t *testing.T) {
	if !webcrypto.Available() {
		t.Fatal("the test page has no crypto.subtle (is it served from a secure context?): the WebCrypto way goes untested")
	}
	defer func(n int64) { webcrypto.Limit = n }(webcrypto.Limit)
	webcrypto.Limit = ChunkSize + ChunkSize/2 // blobs of two or more chunks start in WebCrypto and end in Go
	storetest.Run(t, func(t *testing.T) store.Store { return corruptible{openStore(t, testDB(t))} })

	ctx := context.Background()
	s := openStore(t, testDB(t))
	big := bytes.Repeat([]byte("0123456789abcdef"), (3*ChunkSize+100)/16)
	d := sha256Of(big)
	if err := s.PutBlob(ctx, d, bytes.NewReader(big)); err != nil {
		t.Fatalf("PutBlob of %d bytes over the limit: %v", len(big), err)
	}
	if err := s.PutBlob(ctx, sha256Of([]byte("other")), bytes.NewReader(big)); !errors.As(err, new(*store.DigestMismatchError)) {
		t.Errorf("PutBlob of %d bytes under the wrong digest: %v; want a digest mismatch", len(big), err)
	}
	webcrypto.Limit = 1 << 40 // read back through WebCrypto
	rc, err := s.OpenBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, big) {
		t.Errorf("reading it back: %d bytes, %v; want the %d written", len(got), err, len(big))
	}
}

// TestReopen is a reload: what one connection stored, a new connection to the same database sees.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	name := testDB(t)
	s := openStore(t, name)
	big := bytes.Repeat([]byte("0123456789abcdef"), (3*ChunkSize)/16+5) // several chunks, a partial last
	d, err := store.PutBytes(ctx, s, big)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutRecord(ctx, "config", "config.json", []byte(`{"auths":{}}`)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2 := openStore(t, name)
	got, err := store.ReadBlob(ctx, s2, d)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("ReadBlob after reopen: %d bytes, %v; want the %d bytes written", len(got), err, len(big))
	}
	if r, err := s2.Record(ctx, "config", "config.json"); err != nil || string(r) != `{"auths":{}}` {
		t.Errorf("Record after reopen = %q, %v", r, err)
	}
}

// TestTwoConnections is two tabs: two stores on one database update the index at once and
// neither loses the other's updates.
func TestTwoConnections(t *testing.T) {
	ctx := context.Background()
	name := testDB(t)
	a, b := openStore(t, name), openStore(t, name)
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	cd, err := store.PutBytes(ctx, a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`, cd, len(cfg)))
	md, err := store.PutBytes(ctx, b, man)
	if err != nil {
		t.Fatal(err)
	}
	desc := v1.Descriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: md, Size: int64(len(man))}

	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		for j, s := range []*Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
					return append(cur, store.Entry{Name: fmt.Sprintf("docker.io/library/tab%d:%d", j, i), Descriptor: desc}), nil
				})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("UpdateIndex: %v", err)
		}
	}
	for _, s := range []*Store{a, b} {
		es, err := s.Index(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 2*n {
			t.Errorf("index has %d entries; want %d", len(es), 2*n)
		}
	}

	// A blob deleted through one connection cannot be indexed through the other.
	if err := a.DeleteBlob(ctx, cd); err != nil {
		t.Fatal(err)
	}
	err = b.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
		return append(cur, store.Entry{Name: "docker.io/library/late:1", Descriptor: desc}), nil
	})
	if err == nil || !strings.Contains(err.Error(), cd.String()) {
		t.Errorf("UpdateIndex after the config was deleted elsewhere = %v; want an error naming %s", err, cd)
	}
}

// TestSweep: chunks a closed tab left behind (no blob names them) are deleted when old
// enough, and a live blob's chunks are kept.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	name := testDB(t)
	s := openStore(t, name)
	d, err := store.PutBytes(ctx, s, []byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	orphan := fmt.Sprintf("%012x-%s", time.Now().Add(-2*orphanAge).UnixMilli(), "deadbeefdeadbeef")
	young := newID()
	err = s.d.tx(ctx, idb.TransactionReadWrite, func(tx *idb.Transaction) error {
		for _, id := range []string{orphan, young} {
			for i := 0; i < 3; i++ {
				if err := put(ctx, tx, chunksStore, chunkKey(id, i), toJS([]byte("x"))); err != nil {
					return err
				}
			}
		}
		return nil
	}, chunksStore)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, name) // Open sweeps
	var keys []js.Value
	s.d.tx(ctx, idb.TransactionReadOnly, func(tx *idb.Transaction) error {
		req, _ := objectStore(tx, chunksStore).GetAllKeys()
		keys, err = req.Await(ctx)
		return err
	}, chunksStore)
	var got []string
	for _, k := range keys {
		got = append(got, strings.SplitN(k.String(), "/", 2)[0])
	}
	want := map[string]int{young: 3}
	c, _ := s.blob(ctx, d)
	want[c.ID] = 1
	counts := map[string]int{}
	for _, id := range got {
		counts[id]++
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("chunks after sweep by id = %v; want %v", counts, want)
	}
	if b, err := store.ReadBlob(ctx, s, d); err != nil || string(b) != "kept" {
		t.Errorf("ReadBlob = %q, %v; want %q", b, err, "kept")
	}
}

func TestQuotaErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  QuotaError
		want string
	}{
		{"known", QuotaError{Usage: 590_300_000, Quota: 600_000_000}, "the browser's storage for this site is full (590MB used of 600MB allowed): free space with `docker image prune -a` (removes images no tag needs) or `docker rmi IMAGE`, then try again"},
		{"quota not believable", QuotaError{Usage: 18_700, Quota: 10_700_000_000}, "the browser's storage for this site is full (18.7kB used): free space with `docker image prune -a` (removes images no tag needs) or `docker rmi IMAGE`, then try again"},
		{"unknown", QuotaError{}, "the browser's storage for this site is full: free space with `docker image prune -a` (removes images no tag needs) or `docker rmi IMAGE`, then try again"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
	q := (&DB{}).quota(idb.NewDOMException("QuotaExceededError"))
	if !IsQuotaExceeded(q) {
		t.Errorf("quota(QuotaExceededError) = %v; want a *QuotaError", q)
	}
	var qe *QuotaError
	if !errors.As(q, &qe) || qe.Quota <= 0 || qe.Usage < 0 {
		t.Errorf("quota(QuotaExceededError) = %#v; want the estimate filled in", q)
	}
	if other := errors.New("x"); (&DB{}).quota(other) != other {
		t.Errorf("quota changed an unrelated error")
	}
}

// TestSupersededByNewerVersion: when a tab running a newer layerlab announces a newer
// database version, this connection closes (so it does not block the upgrade) and says why.
func TestSupersededByNewerVersion(t *testing.T) {
	ctx := context.Background()
	name := testDB(t)
	s := openStore(t, name)
	if _, err := store.PutBytes(ctx, s, []byte("before")); err != nil {
		t.Fatal(err)
	}
	ch := versionChannel(name)
	ch.Call("postMessage", map[string]any{"version": dbVersion + 1})
	ch.Call("close")
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.Blobs(ctx)
		if errors.Is(err, errSuperseded) {
			if want := "listing blobs: layerlab was updated in another tab: reload this page"; err.Error() != want {
				t.Errorf("got %q; want %q", err, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Blobs after a newer version was announced = %v; want errSuperseded", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The same version announced again (another tab of this build) changes nothing.
	s2 := openStore(t, name)
	other := versionChannel(name)
	other.Call("postMessage", map[string]any{"version": dbVersion})
	other.Call("close")
	time.Sleep(50 * time.Millisecond)
	if _, err := s2.Blobs(ctx); err != nil {
		t.Errorf("Blobs after the same version was announced: %v", err)
	}
}

func sha256Of(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}
