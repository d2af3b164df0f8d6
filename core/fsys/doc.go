// Package fsys is the in-memory filesystem of an image being built: the base image's layers
// applied in order, then each build step's changes, copy-on-write so that every step keeps
// its own snapshot cheaply.
//
// It owns the filesystem model (paths, types, modes, owners, mtimes, contents), the diff
// between two snapshots computed the way BuildKit's walking differ (containerd's
// archive.WriteDiff) sees it, and writing that diff as the layer tar BuildKit writes —
// byte for byte, including its header format and the rewrite-timestamp clamp.
// It must not know about Dockerfiles, stores or registries, and does no I/O of its own.
package fsys
