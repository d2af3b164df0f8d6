// Package archive owns the tar formats of `docker save` and `docker load`.
//
// Load reads both shapes Docker writes: the one Docker 25 and later write (an OCI image
// layout — oci-layout, index.json, blobs/sha256/... — plus Docker's manifest.json and
// repositories; `buildctl --output type=docker` writes it too) and the legacy one that
// Engine 20.10 still writes (manifest.json, <id>/layer.tar, <id>/json, repositories). It
// reads the archive through an io.ReaderAt in two passes: the first indexes the entries by
// offset without reading their contents, the second streams each blob it needs through
// digest verification into the store. Only when every blob is stored does it tag, in one
// store.UpdateIndex; on any error the index is untouched and the blobs this load added are
// removed again unless something else refers to them.
//
// Save writes the Docker 25+ shape (see save.go for each decision and where it comes from).
//
// The package must not touch the filesystem, print, or know how docker's commands word
// their output: the command layer (core/cli) prints "Loaded image: ..." from Load's result.
package archive
