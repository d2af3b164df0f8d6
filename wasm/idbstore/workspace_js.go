//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/hack-pad/go-indexeddb/idb"

	"github.com/layerlab/layerlab/core/cli"
)

// Workspace is the shell's persistent filesystem: /workspace (the learner's files) and /root
// (the home). Names are resolved by Abs. A folder exists when it was made (Mkdir) or when a
// file is inside it; the two roots always exist.
type Workspace struct {
	d *DB
	// onChange, when set, is called with the absolute path of each committed change.
	onChange func(p string)
}

var _ cli.Files = (*Workspace)(nil)

// Workspace returns the files of d.
func (d *DB) Workspace() *Workspace { return &Workspace{d: d} }

// OnChange sets fn to be called with the absolute path of every change this Workspace commits.
func (w *Workspace) OnChange(fn func(p string)) { w.onChange = fn }

// FileInfo describes one file or folder.
type FileInfo struct {
	Path    string // absolute
	Size    int64
	Dir     bool
	ModTime time.Time
}

// Name is the last element of Path.
func (fi FileInfo) Name() string { return path.Base(fi.Path) }

type fileRec struct {
	content
	Dir   bool
	MTime time.Time
}

func (r fileRec) js() js.Value {
	m := r.content.js()
	m["dir"] = r.Dir
	m["mtime"] = float64(r.MTime.UnixMilli())
	return js.ValueOf(m)
}

func fileIn(ctx context.Context, t *idb.Transaction, p string) (fileRec, bool, error) {
	v, err := get(ctx, t, filesStore, js.ValueOf(p))
	if err != nil || v.IsUndefined() {
		return fileRec{}, false, err
	}
	c, err := contentOf(v)
	if err != nil {
		return fileRec{}, false, fmt.Errorf("%s: %w", p, err)
	}
	return fileRec{content: c, Dir: v.Get("dir").Truthy(), MTime: time.UnixMilli(int64(v.Get("mtime").Float()))}, true, nil
}

func (w *Workspace) changed(p string) {
	if w.onChange != nil {
		w.onChange(p)
	}
}

// Stat describes name, or fails with an error wrapping fs.ErrNotExist.
func (w *Workspace) Stat(ctx context.Context, name string) (FileInfo, error) {
	p, err := Abs(name)
	if err != nil {
		return FileInfo{}, err
	}
	if isRoot(p) {
		return FileInfo{Path: p, Dir: true}, nil
	}
	var fi FileInfo
	found := false
	err = w.d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
		r, ok, err := fileIn(ctx, t, p)
		if err != nil {
			return err
		}
		if ok {
			found = true
			fi = FileInfo{Path: p, Size: r.Size, Dir: r.Dir, ModTime: r.MTime}
			return nil
		}
		// A folder nobody made is there when something is inside it.
		n, err := countUnder(ctx, t, p)
		if err == nil && n > 0 {
			found = true
			fi = FileInfo{Path: p, Dir: true}
		}
		return err
	}, filesStore)
	if err != nil {
		return FileInfo{}, fmt.Errorf("stat %s: %w", name, err)
	}
	if !found {
		return FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return fi, nil
}

// underRange covers every key strictly inside folder p: "/" < "0".
func underRange(p string) js.Value {
	return js.Global().Get("IDBKeyRange").Call("bound", p+"/", p+"0", false, true)
}

func countUnder(ctx context.Context, t *idb.Transaction, p string) (uint, error) {
	req, err := objectStore(t, filesStore).CountKey(underRange(p))
	if err != nil {
		return 0, err
	}
	return req.Await(ctx)
}

// ReadDir lists the folder name's direct children, sorted by name.
func (w *Workspace) ReadDir(ctx context.Context, name string) ([]FileInfo, error) {
	p, err := Abs(name)
	if err != nil {
		return nil, err
	}
	var out []FileInfo
	isFile := false
	err = w.d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
		if r, ok, err := fileIn(ctx, t, p); err != nil {
			return err
		} else if ok && !r.Dir {
			isFile = true
			return nil
		}
		req, err := objectStore(t, filesStore).OpenCursorKey(underRange(p), idb.CursorNext)
		if err != nil {
			return err
		}
		seen := map[string]int{}
		return req.Iter(ctx, func(c *idb.CursorWithValue) error {
			k, err := c.Key()
			if err != nil {
				return err
			}
			v, err := c.Value()
			if err != nil {
				return err
			}
			rest := strings.TrimPrefix(k.String(), p+"/")
			child, deeper, _ := strings.Cut(rest, "/")
			cp := p + "/" + child
			if i, ok := seen[child]; ok {
				out[i].Dir = out[i].Dir || deeper != ""
				return nil
			}
			fi := FileInfo{Path: cp, Dir: true}
			if deeper == "" {
				fi = FileInfo{Path: cp, Size: int64(v.Get("size").Float()), Dir: v.Get("dir").Truthy(), ModTime: time.UnixMilli(int64(v.Get("mtime").Float()))}
			}
			seen[child] = len(out)
			out = append(out, fi)
			return nil
		})
	}, filesStore)
	if err != nil {
		return nil, fmt.Errorf("reading folder %s: %w", name, err)
	}
	if isFile {
		return nil, fmt.Errorf("reading folder %s: not a folder", name)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Mkdir makes the folder name and the folders above it; an existing folder is not an error.
func (w *Workspace) Mkdir(ctx context.Context, name string) error {
	p, err := Abs(name)
	if err != nil {
		return err
	}
	if isRoot(p) {
		return nil
	}
	err = w.d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
		if err := checkParents(ctx, t, p); err != nil {
			return err
		}
		r, ok, err := fileIn(ctx, t, p)
		if err != nil || (ok && r.Dir) {
			return err
		}
		if ok {
			return errors.New("a file of that name exists")
		}
		return put(ctx, t, filesStore, js.ValueOf(p), fileRec{Dir: true, MTime: time.Now()}.js())
	}, filesStore)
	if err != nil {
		return fmt.Errorf("making folder %s: %w", name, w.d.quota(err))
	}
	w.changed(p)
	return nil
}

// checkParents refuses p when a folder above it is a file.
func checkParents(ctx context.Context, t *idb.Transaction, p string) error {
	for _, d := range parents(p) {
		r, ok, err := fileIn(ctx, t, d)
		if err != nil {
			return err
		}
		if ok && !r.Dir {
			return fmt.Errorf("%s is a file, not a folder", d)
		}
	}
	return nil
}

// Remove removes the file or folder name and everything inside it. Removing what does not
// exist is an error wrapping fs.ErrNotExist.
func (w *Workspace) Remove(ctx context.Context, name string) error {
	p, err := Abs(name)
	if err != nil {
		return err
	}
	if isRoot(p) {
		return fmt.Errorf("removing %s: %s cannot be removed", name, p)
	}
	found := false
	err = w.d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
		var ids []string
		r, ok, err := fileIn(ctx, t, p)
		if err != nil {
			return err
		}
		if ok {
			found = true
			ids = append(ids, r.ID)
			if err := del(ctx, t, filesStore, js.ValueOf(p)); err != nil {
				return err
			}
		}
		req, err := objectStore(t, filesStore).OpenCursorKey(underRange(p), idb.CursorNext)
		if err != nil {
			return err
		}
		err = req.Iter(ctx, func(c *idb.CursorWithValue) error {
			found = true
			v, err := c.Value()
			if err != nil {
				return err
			}
			ids = append(ids, v.Get("id").String())
			// Not awaited: Iter calls this from the request's event handler, which must not
			// block. A failed delete fails the transaction, which tx reports.
			_, err = c.Delete()
			return err
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if id == "" {
				continue
			}
			if err := deleteChunks(ctx, t, id); err != nil {
				return err
			}
		}
		return nil
	}, filesStore, chunksStore)
	if err != nil {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	if !found {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	w.changed(p)
	return nil
}

// WriteFile replaces the file name with data, making the folders above it.
func (w *Workspace) WriteFile(ctx context.Context, name string, data []byte) error {
	p, err := Abs(name)
	if err != nil {
		return err
	}
	c, err := w.d.writeChunks(ctx, strings.NewReader(string(data)))
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return w.commit(ctx, name, p, c)
}

// commit makes c the content of p, in one transaction that also drops p's old chunks.
func (w *Workspace) commit(ctx context.Context, name, p string, c content) error {
	if isRoot(p) {
		w.d.dropChunks(c.ID)
		return fmt.Errorf("writing %s: it is a folder", name)
	}
	err := w.d.tx(ctx, idb.TransactionReadWrite, func(t *idb.Transaction) error {
		if err := checkParents(ctx, t, p); err != nil {
			return err
		}
		old, ok, err := fileIn(ctx, t, p)
		if err != nil {
			return err
		}
		if ok && old.Dir {
			return errors.New("it is a folder")
		}
		if n, err := countUnder(ctx, t, p); err != nil {
			return err
		} else if n > 0 {
			return errors.New("it is a folder")
		}
		if ok && old.ID != "" {
			if err := deleteChunks(ctx, t, old.ID); err != nil {
				return err
			}
		}
		return put(ctx, t, filesStore, js.ValueOf(p), fileRec{content: c, MTime: time.Now()}.js())
	}, filesStore, chunksStore)
	if err != nil {
		w.d.dropChunks(c.ID)
		return fmt.Errorf("writing %s: %w", name, w.d.quota(err))
	}
	w.changed(p)
	return nil
}

// ReadFile reads the whole file name.
// ReadFile reads the file's record and its chunks in one transaction, so a file replaced as
// it is read (the editor saving while the terminal reads it) reads as the old content or the
// new one, never as an error.
func (w *Workspace) ReadFile(ctx context.Context, name string) ([]byte, error) {
	p, err := Abs(name)
	if err != nil {
		return nil, err
	}
	var b []byte
	var ok bool
	if !isRoot(p) {
		err = w.d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
			r, found, err := fileIn(ctx, t, p)
			if err != nil || !found || r.Dir {
				return err
			}
			ok = true
			b = make([]byte, 0, r.Size)
			for i := 0; int64(len(b)) < r.Size; i++ {
				v, err := get(ctx, t, chunksStore, chunkKey(r.ID, i))
				if err != nil {
					return err
				}
				if v.IsUndefined() {
					return errChunkGone
				}
				c, err := fromJS(v)
				if err != nil {
					return err
				}
				b = append(b, c...)
			}
			if int64(len(b)) != r.Size {
				return fmt.Errorf("its chunks hold %d bytes, its record says %d", len(b), r.Size)
			}
			return nil
		}, filesStore, chunksStore)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	if !ok { // a folder, or no such file: open says which
		if _, err := w.open(ctx, name); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("reading %s: it changed while being read; try again", name)
	}
	return b, nil
}

// Open opens the file name for reading (cli.Files).
func (w *Workspace) Open(name string) (cli.File, error) { return w.open(context.Background(), name) }

func (w *Workspace) open(ctx context.Context, name string) (*file, error) {
	p, err := Abs(name)
	if err != nil {
		return nil, err
	}
	var r fileRec
	var ok bool
	var first []byte
	if !isRoot(p) {
		err = w.d.tx(ctx, idb.TransactionReadOnly, func(t *idb.Transaction) error {
			r, ok, err = fileIn(ctx, t, p)
			if err != nil {
				return err
			}
			if ok && !r.Dir && r.Size > 0 && r.Size <= ChunkSize {
				// a file of one chunk is read with its record, so it cannot be replaced in between
				v, err := get(ctx, t, chunksStore, chunkKey(r.ID, 0))
				if err != nil {
					return err
				}
				if v.IsUndefined() {
					return errChunkGone
				}
				first, err = fromJS(v)
				return err
			}
			if ok {
				return nil
			}
			n, err := countUnder(ctx, t, p) // a folder nobody made, with files inside
			r.Dir, ok = n > 0, n > 0
			return err
		}, filesStore, chunksStore)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
	}
	if isRoot(p) || (ok && r.Dir) {
		return nil, fmt.Errorf("open %s: is a folder", name)
	}
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if first != nil {
		return &file{ctx: ctx, d: w.d, c: r.content, name: name, cur: 0, buf: first}, nil
	}
	return &file{ctx: ctx, d: w.d, c: r.content, name: name, cur: -1}, nil
}

// Create returns a writer whose bytes become the file name when Close returns nil
// (cli.Files): a failed write leaves the old file, if any, as it was.
func (w *Workspace) Create(name string) (io.WriteCloser, error) {
	p, err := Abs(name)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	cw := &createWriter{pw: pw, done: make(chan error, 1)}
	go func() {
		ctx := context.Background()
		c, err := w.d.writeChunks(ctx, pr)
		if err == nil {
			err = w.commit(ctx, name, p, c)
		} else {
			err = fmt.Errorf("writing %s: %w", name, err)
		}
		pr.CloseWithError(err) // unblocks a writer still writing after a failure
		cw.done <- err
	}()
	return cw, nil
}

type createWriter struct {
	pw     *io.PipeWriter
	done   chan error
	closed bool
	err    error
}

func (c *createWriter) Write(p []byte) (int, error) { return c.pw.Write(p) }

func (c *createWriter) Close() error {
	if c.closed {
		return c.err
	}
	c.closed = true
	c.pw.Close()
	c.err = <-c.done
	return c.err
}

// file reads a stored file by chunks, keeping the last chunk read. mu makes ReadAt safe for
// parallel use, as io.ReaderAt promises.
type file struct {
	mu   sync.Mutex
	ctx  context.Context
	d    *DB
	c    content
	name string
	off  int64
	cur  int
	buf  []byte
}

func (f *file) Size() int64 { return f.c.Size }
func (f *file) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf, f.cur = nil, -1
	return nil
}

func (f *file) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.off)
	f.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("reading %s: negative offset", f.name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for n < len(p) {
		if off >= f.c.Size {
			return n, io.EOF
		}
		i := int(off / ChunkSize)
		if i != f.cur {
			b, err := f.d.readChunk(f.ctx, f.c, i)
			if err != nil {
				return n, fmt.Errorf("reading %s: %w", f.name, err)
			}
			f.cur, f.buf = i, b
		}
		m := copy(p[n:], f.buf[off-int64(i)*ChunkSize:])
		n += m
		off += int64(m)
	}
	return n, nil
}
