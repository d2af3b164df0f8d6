// Package archive owns the tar formats of `docker save` and `docker load`.
//
// Load reads both shapes Docker writes: the one Docker 25 and later write (an OCI image
// layout — oci-layout, index.json, blobs/sha256/... — plus Docker's manifest.json and
// repositories; `buildctl --output type=docker` writes it too) and the legacy one that
// Engine 20.10 still writes (manifest.json, <id>/layer.tar, <id>/json, repositories). An OCI
// layout tar without manifest.json (skopeo's oci-archive, BuildKit's image indexes) loads
// too, named by its index.json annotations. Where manifest.json is present it decides the
// images and their tags, as in Docker; an image index.json also carries is stored with that
// manifest, the others get a Docker schema 2 manifest built for them (the image ID, the
// config digest, is never changed).
//
// It reads the archive through an io.ReaderAt in two passes: the first indexes the members
// by offset without reading their contents, the second streams each blob it needs through
// verification into the store: blobs against their digests and sizes, layers also against
// the diff_ids of their image config (after decompressing gzip or zstd), configs against
// the image ID their file name claims. Only when every blob is stored does it tag, in one
// store.UpdateIndex, as docker load tags (a moved tag leaves the old image untagged).
//
// Bad input gets a one-line error naming the archive member and what is wrong, and changes
// nothing: no tag is written and the blobs this load added are removed again unless
// something else refers to them. Refused: truncated or corrupt tars, gzip-compressed
// archives, members whose path or link target leaves the archive (../, absolute), devices
// and other member types an image archive has no use for, unknown media types, invalid
// JSON, digest/size/diff_id mismatches, and links in blobs/ (links elsewhere are followed
// when they stay inside the archive: Engine 20.10 writes shared layers as symlinks).
//
// Save writes the Docker 25+ shape; see Save for each decision and where it comes from.
//
// The package must not touch the filesystem, print, or know how docker's commands word
// their output: the command layer (core/cli) prints "Loaded image: ..." from Load's result.
package archive
