// Package bigimage writes large docker save tars whose layers hold random (incompressible)
// files, for the load benchmarks (bench/) and the browser tests that load ~100 MB in the page
// (e2e/). Unlike internal/testimage its images are not reproducible: every call makes new
// layer digests, so nothing is deduplicated by an earlier load.
//
// It must not be imported by the core or the wasm: it is test and bench tooling only.
package bigimage
