// Package shell runs scripts the way a container's /bin/sh would: mvdan.cc/sh's interpreter
// with Go versions of the busybox applets Dockerfiles use (mkdir, cp, sed, tar, adduser, ...)
// and simulated package managers, all over one small filesystem interface, FS. The build's
// RUN runs it over an image's in-memory filesystem (NewImageFS over core/fsys); the browser
// terminal runs it over the learner's workspace (core/term adapts its files to FS).
//
// It owns the applets, their option parsing and wording (busybox's, or GNU coreutils' for
// the terminal, which stands for the learner's own machine), the interpreter's handlers
// (exec, open, stat, readdir), PATH look-up and the "not found" answer.
//
// It must not know about images, layers or the store, and must not import os: core stays
// plain Go (core/imports_test.go).
package shell
