package store

import (
	"context"
	"errors"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrNotFound is returned (wrapped) when a blob, index entry or record does not exist.
var ErrNotFound = errors.New("not found")

// Entry is one image the store keeps: a manifest descriptor and, for a tagged image, the
// fully normalized reference naming it (docker.io/library/nginx:latest). An entry with an empty
// Name is an image kept without a tag (Docker's dangling "<none>:<none>" images, or an image
// pulled by digest only).
type Entry struct {
	Name       string
	Descriptor v1.Descriptor
}

// Store is the content-addressed image store every medium implements: memory, an OCI image
// layout on disk, IndexedDB in the browser. All of them pass storetest.Run.
//
// Blobs are sha256-addressed and verified both when written and when read. The index lists
// the images the store holds; UpdateIndex is the only way to change it and refuses (changing
// nothing) an index that names a manifest whose blobs are not all present.
type Store interface {
	// PutBlob stores the bytes r yields under digest d. The bytes are verified against d
	// before they become visible; a mismatch is refused with an error naming both digests
	// and leaves the store unchanged. Writing a blob that is already present is not an error.
	PutBlob(ctx context.Context, d v1.Hash, r io.Reader) error
	// OpenBlob opens the blob d. The reader verifies the content as it is read: reading to
	// EOF returns an error instead of io.EOF when the stored bytes no longer match d.
	OpenBlob(ctx context.Context, d v1.Hash) (io.ReadCloser, error)
	// BlobSize reports the size of blob d, or an error wrapping ErrNotFound.
	BlobSize(ctx context.Context, d v1.Hash) (int64, error)
	// DeleteBlob removes blob d. Deleting an absent blob is not an error. Callers decide
	// what is unreferenced (see Collect); the store itself does not track references.
	DeleteBlob(ctx context.Context, d v1.Hash) error
	// Blobs lists every blob digest the store holds, in no particular order.
	Blobs(ctx context.Context) ([]v1.Hash, error)

	// Index returns the current image index, in a stable order.
	Index(ctx context.Context) ([]Entry, error)
	// UpdateIndex atomically replaces the index with fn's result. fn receives the current
	// entries and may be called again if another writer got there first. Before the new
	// index becomes visible the store checks that every manifest it names, and the config
	// and layers of each, are present; if not, nothing changes and an error names the
	// missing blob. Concurrent UpdateIndex calls, in one process or several, never lose an
	// update.
	UpdateIndex(ctx context.Context, fn func([]Entry) ([]Entry, error)) error

	// PutRecord, Record, Records and DeleteRecord keep small keyed documents beside the
	// images: build-cache records, the client config. kind names a namespace ("buildcache",
	// "config"); keys are free-form strings. Records are written atomically.
	PutRecord(ctx context.Context, kind, key string, value []byte) error
	Record(ctx context.Context, kind, key string) ([]byte, error)
	Records(ctx context.Context, kind string) ([]string, error)
	DeleteRecord(ctx context.Context, kind, key string) error
}
