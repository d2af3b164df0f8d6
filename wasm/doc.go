// Command wasm is the browser's entry to the core, built with GOOS=js GOARCH=wasm. It is a
// thin bridge: it installs one global namespace, globalThis.layerlab (a page or a Web Worker),
// whose functions decode their JavaScript arguments, call core in a goroutine and return a
// Promise; a panic becomes a rejected Promise with its message.
//
//	layerlab.ready                      // Promise: resolved once the core is loaded and the store open
//	layerlab.exec(line, {stdin})        // Promise of {exitCode, stdout, stderr}
//
// exec runs one docker command line ("docker images -q"); a non-zero exit resolves, only a
// bridge failure rejects. The store is in memory for now (IndexedDB is the next step).
//
// It owns the JavaScript boundary and must not hold docker logic: commands are core/cli's.
// Everything that does not touch syscall/js (line splitting, running a line, in-memory files)
// is plain Go in exec.go and files.go, tested natively; main_js.go is the glue.
package main
