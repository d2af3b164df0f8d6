// Package store owns the Store interface: content-addressed blobs verified on write and on
// read, the index of images (tags and untagged images), and small keyed records (build cache,
// client config). It holds the in-memory implementation and the helpers every implementation
// shares (digest verification, reference walking). The on-disk OCI image layout lives in
// store/layout, the browser's IndexedDB store in wasm/; all pass store/storetest.
//
// It must not parse Dockerfiles, talk HTTP, or know how images are printed.
package store
