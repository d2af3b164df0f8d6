// Command layerlab is the native face of layerlab: it runs docker commands against an image
// store on disk (an OCI image layout) and serves the browser playground.
//
//	layerlab [--store DIR] [--hub URL] <docker command ...>   e.g. layerlab --store /tmp/s history app
//	layerlab serve [--addr 127.0.0.1:8080]
//
// --hub (default http://127.0.0.1:8080) names a running `layerlab serve`: docker.io names
// are pushed to its practice hub and pulled from there when it has them, other registries
// through its proxy; loopback registries are reached directly. --hub= turns that off.
//
// It owns the process: flags, signals, the os-backed cli.Files, opening the store, whether
// stdin and stdout are terminals (cli.Env's TTY, Width and Input: in-place progress, login
// prompts with the echo off), and the HTTP server for the embedded site. It must not print anything docker prints itself: every
// docker command goes to core/cli, which writes exactly what Docker writes.
//
// The site is embedded from site/, which `make build` fills with the built, precompressed
// assets (git-ignored). A clean clone has only site/.gitignore there; the binary then serves
// fallback.html, which says how to build the playground.
package main
