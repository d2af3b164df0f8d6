// Package e2e holds the browser tests: they build bin/layerlab with the built site embedded,
// start `layerlab serve` on a free port and drive the page in real headless Chromium
// (chromedp). They run with the build tag e2e (`make test` runs them after the unit and wasm
// tests, once `make build` has built the site), so a plain `go test ./...` stays fast.
//
// Chromium is a real peer: when it is missing the tests fail and say what to install; they
// never skip. Screenshots are kept in e2e/artifacts/ (git-ignored) for a human to look at.
//
// This package tests only through the public surfaces (HTTP, the page, globalThis.layerlab);
// it must not import the core.
package e2e
