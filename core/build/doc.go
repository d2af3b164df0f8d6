// Package build runs a parsed Dockerfile (core/dockerfile) over the in-memory filesystem
// (core/fsys) and writes the resulting image into a store.Store: layers, the config and
// history exactly as BuildKit v0.33 writes them, the manifest and the tags.
//
// It owns the instruction semantics (multi-stage, COPY/ADD with their flags, the config
// instructions), RUN's wiring (core/shell runs the step's script with its env, user, working
// directory and limits over the in-memory filesystem), the persistent step cache (store
// records of kind "buildcache", keyed as BuildKit keys its operations), RUN --mount (cache
// mounts persist as records of kind "buildcachemount" naming a tar blob; bind and tmpfs
// mounts live for the step only and never reach a layer), the build cache's disk usage and
// pruning (docker builder du/prune) and the structured event stream a caller renders as
// progress. It must not print, read the host filesystem (the context is an
// fs.FS) or reach the network.
package build
