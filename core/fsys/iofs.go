package fsys

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"path"
	"time"
)

// IOFS is a read-only io/fs view of a snapshot, used as the source of COPY --from. Stat and
// Open follow symlinks (inside the snapshot); Lstat, ReadDir and ReadLink do not. The
// FileInfo's Sys() is the *Node, so a copier can keep owners.
func (f *FS) IOFS() fs.FS { return ioFS{f} }

type ioFS struct{ f *FS }

var (
	_ fs.StatFS     = ioFS{}
	_ fs.ReadDirFS  = ioFS{}
	_ fs.ReadLinkFS = ioFS{}
)

func (x ioFS) lookup(op, name string, follow bool) (string, *Node, error) {
	if !fs.ValidPath(name) {
		return "", nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	p, err := x.f.Resolve(name, follow)
	if err != nil {
		return "", nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	n := x.f.Get(p)
	if n == nil {
		return "", nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return p, n, nil
}

func (x ioFS) Stat(name string) (fs.FileInfo, error) {
	p, n, err := x.lookup("stat", name, true)
	if err != nil {
		return nil, err
	}
	return info{name: path.Base("/" + p), n: n}, nil
}

func (x ioFS) Lstat(name string) (fs.FileInfo, error) {
	p, n, err := x.lookup("lstat", name, false)
	if err != nil {
		return nil, err
	}
	return info{name: path.Base("/" + p), n: n}, nil
}

func (x ioFS) ReadLink(name string) (string, error) {
	_, n, err := x.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.Type != tar.TypeSymlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return n.Link, nil
}

func (x ioFS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, n, err := x.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !n.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	var out []fs.DirEntry
	for _, c := range x.f.Children(p) {
		if cn := x.f.Get(path.Join(p, c)); cn != nil {
			out = append(out, fs.FileInfoToDirEntry(info{name: c, n: cn}))
		}
	}
	return out, nil
}

func (x ioFS) Open(name string) (fs.File, error) {
	p, n, err := x.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	fi := info{name: path.Base("/" + p), n: n}
	if n.IsDir() {
		entries, _ := x.ReadDir(name)
		return &dirFile{info: fi, entries: entries}, nil
	}
	return &file{info: fi, r: bytes.NewReader(n.Data)}, nil
}

type info struct {
	name string
	n    *Node
}

func (i info) Name() string       { return i.name }
func (i info) Size() int64        { return int64(len(i.n.Data)) }
func (i info) ModTime() time.Time { return i.n.ModTime }
func (i info) IsDir() bool        { return i.n.IsDir() }
func (i info) Sys() any           { return i.n }
func (i info) Mode() fs.FileMode {
	m := fs.FileMode(i.n.Mode & 0o777)
	if i.n.Mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if i.n.Mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if i.n.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch i.n.Type {
	case tar.TypeDir:
		m |= fs.ModeDir
	case tar.TypeSymlink:
		m |= fs.ModeSymlink
	case tar.TypeChar:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case tar.TypeBlock:
		m |= fs.ModeDevice
	case tar.TypeFifo:
		m |= fs.ModeNamedPipe
	}
	return m
}

type file struct {
	info info
	r    *bytes.Reader
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *file) Close() error               { return nil }

type dirFile struct {
	info    info
	entries []fs.DirEntry
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Read([]byte) (int, error)   { return 0, io.EOF }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	if n > len(d.entries) {
		n = len(d.entries)
	}
	out := d.entries[:n]
	d.entries = d.entries[n:]
	return out, nil
}
