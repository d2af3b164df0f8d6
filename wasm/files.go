package main

import (
	"context"
	"io"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/term"
)

// memFiles is the workspace in memory (term.MemFS seen as the page sees files: relative to
// /workspace). The browser uses idbstore.Workspace; native tests use this.
type memFiles struct{ fs *term.MemFS }

var _ workspace = memFiles{}

func newMemFiles() memFiles { return memFiles{term.NewMemFS(term.Workspace, term.Home)} }

func abs(name string) string { return term.Abs(term.Workspace, name) }

func (m memFiles) Open(name string) (cli.File, error) {
	return m.fs.Open(context.Background(), abs(name))
}

// Create's file appears under name only when Close is called.
func (m memFiles) Create(name string) (io.WriteCloser, error) {
	return m.fs.Create(context.Background(), abs(name))
}

func (m memFiles) ReadFile(ctx context.Context, name string) ([]byte, error) {
	f, err := m.fs.Open(ctx, abs(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (m memFiles) WriteFile(ctx context.Context, name string, data []byte) error {
	w, err := m.fs.Create(ctx, abs(name))
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// memSession is a session over memory, for native tests and the wasm tests' fake opener.
func memSession() *session {
	m := newMemFiles()
	return newSession(store.NewMemory(), m, m.fs, time.Now)
}
