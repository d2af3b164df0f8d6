// Package layer holds what the views need from layer tars: Docker's per-layer size.
//
// Engine 20.10 reports a layer's size as its graphdriver's diff size (overlay2: the size of the
// unpacked diff directory, walked with lstat): the sum of the sizes of every non-directory
// entry, a symlink counting the length of its target, each hard-linked inode once, whiteouts
// 0. Size computes that from the tar itself; DiffSize caches it per diff_id as a store record
// of kind "layersize" so a layer is read once.
//
// It reads blobs only through store.Store and must not import os, syscall/js or net/http.
package layer
