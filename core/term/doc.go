// Package term is the playground's shell: it runs a line or a script typed into the terminal
// (or passed to layerlab.exec) with mvdan.cc/sh's interpreter over a small filesystem
// interface, FS. It owns the shell's commands (ls, cat, mkdir, rm, cp, mv, sleep, ...: the
// applets, written against FS and Env only, so the build's RUN emulation can share them),
// the dispatch of `docker ...` to core/cli, and the one-line answer for a command the
// playground does not have.
//
// It must not import os, syscall or syscall/js: the browser adapts its IndexedDB workspace
// to FS (wasm/), and native tests use MemFS. It prints nothing Docker prints itself; docker
// output comes from core/cli unchanged.
package term
