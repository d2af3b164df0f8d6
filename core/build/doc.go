// Package build runs a parsed Dockerfile (core/dockerfile) over the in-memory filesystem
// (core/fsys) and writes the resulting image into a store.Store: layers, the config and
// history exactly as BuildKit v0.33 writes them, the manifest and the tags.
//
// It owns the instruction semantics, the persistent step cache (store records of kind
// "buildcache") and the structured event stream a caller renders as progress. It must not
// print, read the host filesystem (the context is an fs.FS) or reach the network.
// RUN is not emulated yet: a RUN step fails with a clear error.
package build
