// Command wasm is the browser's entry to the core, built with GOOS=js GOARCH=wasm. It is a
// thin bridge: it installs one global namespace, globalThis.layerlab (a page or a Web Worker),
// whose functions decode their JavaScript arguments, call core in a goroutine and return a
// Promise; a panic becomes a rejected Promise with its message. docs/api.md documents the API:
//
//	layerlab.ready                                    // resolved once the store is open
//	layerlab.exec(line, {onOutput, stdin, signal, tty, cwd}) // {exitCode, stdout, stderr, cwd}
//	layerlab.writeFile(path, data) / readFile(path)   // workspace files (string | Uint8Array)
//	layerlab.readDir(path) / mkdir(path) / remove(path)
//	layerlab.commands()                               // the shell's command names
//	layerlab.storage()                                // {usage, quota, persisted}
//	layerlab.on(event, handler)                       // "images", "files"; resolves to off()
//	layerlab.lessons() / check(id, step) / progress(id) / restartLesson(id) / loadLesson(name, md)
//	layerlab.shareLink() / openShareLink(link)        // build links (lessons_js.go)
//
// The images, the workspace (/workspace) and the home (/root) live in IndexedDB (package
// idbstore), so everything persists across reloads and is shared by the origin's tabs. On the
// page the wasm runs in a Web Worker (web/src/worker.js); the page's layerlab is a proxy with
// the same API (web/src/core.js).
//
// docker pull, push and login reach registries through the server the page was loaded from
// (registry_js.go): other registries through its CORS proxy (/proxy/<host>/...), Docker Hub
// names through its practice hub first, over Go's net/http, which in the browser is fetch.
//
// It owns the JavaScript boundary and must not hold shell or docker logic: lines run in
// core/term's shell, commands are core/cli's. Everything that does not touch syscall/js
// (the session, output streaming, in-memory files) is plain Go in exec.go, stream.go and
// files.go, tested natively; main_js.go is the glue and fs_js.go adapts the IndexedDB
// workspace to term.FS.
package main
