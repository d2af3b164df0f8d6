// Command layerlab is the native face of layerlab: it runs docker commands against an image
// store on disk (an OCI image layout) and serves the browser playground.
//
//	layerlab [--store DIR] <docker command ...>   e.g. layerlab --store /tmp/s history app
//	layerlab serve [--addr 127.0.0.1:8080]
//
// It owns the process: flags, signals, the os-backed cli.Files, opening the store, and the
// HTTP server for the embedded site. It must not print anything docker prints itself: every
// docker command goes to core/cli, which writes exactly what Docker writes.
//
// The site is embedded from site/, which `make build` fills with the built, precompressed
// assets (git-ignored). A clean clone has only site/.gitignore there; the binary then serves
// fallback.html, which says how to build the playground.
package main
