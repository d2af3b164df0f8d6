// Package term is the playground's shell: it runs a line or a script typed into the terminal
// (or passed to layerlab.exec) over a small filesystem interface, FS, with core/shell's
// interpreter and applets in their GNU coreutils wording (the terminal stands for the
// learner's own machine). It owns FS and its adapter to core/shell, the dispatch of
// `docker ...` to core/cli, help and clear, and the one-line answer for a command the
// playground does not have.
//
// It must not import os, syscall or syscall/js: the browser adapts its IndexedDB workspace
// to FS (wasm/), and native tests use MemFS. It prints nothing Docker prints itself; docker
// output comes from core/cli unchanged.
package term
