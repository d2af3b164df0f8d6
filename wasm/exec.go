package main

import (
	"context"
	"io"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/term"
)

// workspace is the filesystem commands and the page share: cli.Files for commands, whole-file
// reads and writes for layerlab.readFile / writeFile. idbstore.Workspace is the browser's;
// memFiles stands in for it in native tests.
type workspace interface {
	cli.Files
	ReadFile(ctx context.Context, name string) ([]byte, error)
	WriteFile(ctx context.Context, name string, data []byte) error
}

// session is the core one page talks to: the store, the files commands name, and the shell
// (core/term) that runs layerlab.exec's lines over the same files.
type session struct {
	store store.Store
	files workspace
	shell *term.Shell
}

// newSession returns a session whose shell sees files as fsys (the same files, as term.FS).
// opts add to the shell's settings (the registries it reaches).
func newSession(st store.Store, files workspace, fsys term.FS, now func() time.Time, opts ...term.Option) *session {
	return &session{store: st, files: files, shell: term.New(fsys, st, append([]term.Option{term.WithNow(now)}, opts...)...)}
}

// execLine runs one line (or script) in the shell starting in dir (the workspace root when
// empty), writing its output as it comes; it returns the exit status and the directory the
// line ended in (after a cd), which the terminal passes back as the next line's dir.
func (s *session) execLine(ctx context.Context, line, dir string, tty bool, stdin io.Reader, stdout, stderr io.Writer) (int, string) {
	return s.shell.Run(ctx, dir, line, term.IO{Stdin: stdin, Stdout: stdout, Stderr: stderr, TTY: tty})
}
