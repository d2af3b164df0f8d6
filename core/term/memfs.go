package term

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/layerlab/layerlab/core/cli"
)

// MemFS is an FS in memory: native tests use it where the browser uses IndexedDB. "/" and
// the folders given to NewMemFS always exist.
type MemFS struct {
	mu    sync.Mutex
	now   func() time.Time
	files map[string]*memEntry
}

type memEntry struct {
	data  []byte
	dir   bool
	mtime time.Time
}

var _ FS = (*MemFS)(nil)

// NewMemFS returns an empty MemFS holding the folders dirs (e.g. "/workspace", "/root").
func NewMemFS(dirs ...string) *MemFS {
	m := &MemFS{now: time.Now, files: map[string]*memEntry{"/": {dir: true}}}
	for _, d := range dirs {
		m.mkdirLocked(path.Clean(d))
	}
	return m
}

func (m *MemFS) mkdirLocked(p string) {
	for d := p; ; d = path.Dir(d) {
		if _, ok := m.files[d]; !ok {
			m.files[d] = &memEntry{dir: true, mtime: m.now()}
		}
		if d == "/" {
			return
		}
	}
}

// clean makes every name MemFS stores absolute and clean, so its loops up to "/" end.
func clean(name string) string { return path.Clean("/" + name) }

func notExist(op, name string) error { return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist} }

// Stat implements FS.
func (m *MemFS) Stat(ctx context.Context, name string) (FileInfo, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.files[name]
	if !ok {
		return FileInfo{}, notExist("stat", name)
	}
	return FileInfo{Name: path.Base(name), Size: int64(len(e.data)), Dir: e.dir, ModTime: e.mtime}, nil
}

// ReadDir implements FS.
func (m *MemFS) ReadDir(ctx context.Context, name string) ([]FileInfo, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.files[name]
	if !ok {
		return nil, notExist("readdir", name)
	}
	if !e.dir {
		return nil, fmt.Errorf("reading folder %s: not a folder", name)
	}
	prefix := strings.TrimSuffix(name, "/") + "/"
	var out []FileInfo
	for p, c := range m.files {
		if p == "/" || !strings.HasPrefix(p, prefix) || strings.Contains(p[len(prefix):], "/") {
			continue
		}
		out = append(out, FileInfo{Name: path.Base(p), Size: int64(len(c.data)), Dir: c.dir, ModTime: c.mtime})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

// Open implements FS.
func (m *MemFS) Open(ctx context.Context, name string) (cli.File, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.files[name]
	if !ok {
		return nil, notExist("open", name)
	}
	if e.dir {
		return nil, fmt.Errorf("open %s: is a folder", name)
	}
	return memFile{bytes.NewReader(e.data)}, nil
}

type memWriter struct {
	m    *MemFS
	name string
	buf  bytes.Buffer
}

func (w *memWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *memWriter) Close() error {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	if e, ok := w.m.files[w.name]; ok && e.dir {
		return fmt.Errorf("writing %s: is a folder", w.name)
	}
	w.m.mkdirLocked(path.Dir(w.name))
	w.m.files[w.name] = &memEntry{data: bytes.Clone(w.buf.Bytes()), mtime: w.m.now()}
	return nil
}

// Create implements FS.
func (m *MemFS) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.files[name]; ok && e.dir {
		return nil, fmt.Errorf("open %s: is a folder", name)
	}
	for d := path.Dir(name); d != "/"; d = path.Dir(d) {
		if e, ok := m.files[d]; ok && !e.dir {
			return nil, fmt.Errorf("open %s: %s is a file", name, d)
		}
	}
	return &memWriter{m: m, name: name}, nil
}

// Mkdir implements FS.
func (m *MemFS) Mkdir(ctx context.Context, name string) error {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	for d := name; d != "/"; d = path.Dir(d) {
		if e, ok := m.files[d]; ok && !e.dir {
			return fmt.Errorf("making folder %s: %s is a file", name, d)
		}
	}
	m.mkdirLocked(name)
	return nil
}

// Remove implements FS.
func (m *MemFS) Remove(ctx context.Context, name string) error {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[name]; !ok {
		return notExist("remove", name)
	}
	if name == "/" {
		return fmt.Errorf("remove /: the root folder stays")
	}
	for p := range m.files {
		if p == name || strings.HasPrefix(p, name+"/") {
			delete(m.files, p)
		}
	}
	return nil
}
