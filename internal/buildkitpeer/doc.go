// Package buildkitpeer runs the reference builder for conformance tests: BuildKit v0.33.1
// (buildkitd with the runc OCI worker and buildctl) on a private socket, beside an in-process
// registry holding a busybox base image made from Debian's busybox-static.
//
// It owns building the BuildKit binaries (once, in a cache directory), starting and stopping
// buildkitd and the registry, and running `buildctl build` the way the conformance suite
// compares against: SOURCE_DATE_EPOCH as a build arg and rewrite-timestamp=true.
// It must not be imported by anything outside tests; it is test tooling, not product code.
// A peer that cannot start is an error, never a skip.
package buildkitpeer
