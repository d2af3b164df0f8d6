// Package browser starts headless Chromium for the browser tests (e2e/) and the browser
// benchmarks (bench/), with the flags that work on this kind of machine (root, no GPU, no
// network beyond localhost), and holds the few page-driving steps both need.
//
// Chromium is a real peer: Start fails with what to install when it is missing; it never
// falls back to anything else. It must not be imported by the core or the wasm.
package browser
