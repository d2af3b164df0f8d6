package main

import (
	"bytes"
	"io"
	"sync"

	"github.com/layerlab/layerlab/core/cli"
)

// memFiles is cli.Files in memory: what `docker save -o x.tar` writes, `docker load -i x.tar`
// can read back in the same page. The workspace in IndexedDB replaces it.
type memFiles struct {
	mu    sync.Mutex
	files map[string][]byte
}

var _ cli.Files = (*memFiles)(nil)

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
