// Package cli is the docker command layer shared by the native layerlab CLI and the browser
// terminal: docker-compatible argument parsing and, for every command, exactly the text Docker
// prints. It reads and writes images only through store.Store and files only through Files.
//
// It must not import os or syscall/js: the caller supplies the streams, the store and files.
package cli
