package main

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/layerlab/layerlab/core/cli"
)

// memFiles is cli.Files in memory: what `docker save -o x.tar` writes, `docker load -i x.tar`
// can read back in the same page. The browser uses idbstore.Workspace; native tests use this.
type memFiles struct {
	mu    sync.Mutex
	files map[string][]byte
}

var _ workspace = (*memFiles)(nil)

func newMemFiles() *memFiles { return &memFiles{files: map[string][]byte{}} }

func (m *memFiles) Open(name string) (cli.File, error) {
	m.mu.Lock()
	b, ok := m.files[name]
	m.mu.Unlock()
	if !ok {
		return nil, pathError("open", name, errNoFile)
	}
	return memFile{bytes.NewReader(b)}, nil
}

// Create's file appears under name only when Close is called.
func (m *memFiles) Create(name string) (io.WriteCloser, error) {
	return &memWriter{m: m, name: name}, nil
}

type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

type memWriter struct {
	m    *memFiles
	name string
	buf  bytes.Buffer
}

func (w *memWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *memWriter) Close() error {
	w.m.mu.Lock()
	w.m.files[w.name] = bytes.Clone(w.buf.Bytes())
	w.m.mu.Unlock()
	return nil
}

func (m *memFiles) ReadFile(ctx context.Context, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return nil, pathError("open", name, errNoFile)
	}
	return bytes.Clone(b), nil
}

func (m *memFiles) WriteFile(ctx context.Context, name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[name] = bytes.Clone(data)
	return nil
}
