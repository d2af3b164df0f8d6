package shell

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/layerlab/layerlab/core/fsys"
)

// Umask is the file mode creation mask of a RUN's processes (runc's default).
const Umask = 0o022

// imageFS is FS over an image's in-memory filesystem, as the process (uid, gid) sees it at
// time now: new entries are theirs, mtimes are now.
type imageFS struct {
	f        *fsys.FS
	uid, gid int
	now      time.Time
}

var (
	_ FS     = (*imageFS)(nil)
	_ Linker = (*imageFS)(nil)
)

// NewImageFS returns f as an FS for a process running as uid:gid at time now.
func NewImageFS(f *fsys.FS, uid, gid int, now time.Time) FS {
	return &imageFS{f: f, uid: uid, gid: gid, now: now}
}

// resolve follows symlinks in name's directories (and in its last element if follow) and
// returns the fsys path with the node there (nil when missing).
func (x *imageFS) resolve(op, name string, follow bool) (string, *fsys.Node, error) {
	p, err := x.f.Resolve(name, follow)
	if err != nil {
		return "", nil, pathErr(op, name, ErrLoop)
	}
	// A missing or non-directory parent is ENOENT / ENOTDIR.
	if p != "" {
		if parent := x.f.Get(path.Dir("/" + p)); parent == nil {
			return p, nil, pathErr(op, name, fs.ErrNotExist)
		} else if !parent.IsDir() {
			return p, nil, pathErr(op, name, ErrNotDir)
		}
	}
	return p, x.f.Get(p), nil
}

func (x *imageFS) existing(op, name string, follow bool) (string, *fsys.Node, error) {
	p, n, err := x.resolve(op, name, follow)
	if err == nil && n == nil {
		err = pathErr(op, name, fs.ErrNotExist)
	}
	return p, n, err
}

func nodeInfo(p string, n *fsys.Node) FileInfo {
	mode := fs.FileMode(n.Mode & 0o777)
	if n.Mode&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if n.Mode&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if n.Mode&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	switch n.Type {
	case tar.TypeDir:
		mode |= fs.ModeDir
	case tar.TypeSymlink:
		mode |= fs.ModeSymlink
	case tar.TypeChar:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case tar.TypeBlock:
		mode |= fs.ModeDevice
	case tar.TypeFifo:
		mode |= fs.ModeNamedPipe
	}
	size := int64(len(n.Data))
	if n.Type == tar.TypeSymlink {
		size = int64(len(n.Link))
	}
	name := path.Base("/" + p)
	return FileInfo{Name: name, Mode: mode, Size: size, ModTime: n.ModTime, UID: n.UID, GID: n.GID, Inode: n.Inode}
}

// tarMode is a FileMode's permission bits as a tar header (and fsys.Node) holds them.
func tarMode(m fs.FileMode) int64 {
	b := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

func (x *imageFS) Stat(ctx context.Context, name string) (FileInfo, error) {
	p, n, err := x.existing("stat", name, true)
	if err != nil {
		return FileInfo{}, err
	}
	return nodeInfo(p, n), nil
}

func (x *imageFS) Lstat(ctx context.Context, name string) (FileInfo, error) {
	p, n, err := x.existing("lstat", name, false)
	if err != nil {
		return FileInfo{}, err
	}
	return nodeInfo(p, n), nil
}

func (x *imageFS) ReadDir(ctx context.Context, name string) ([]FileInfo, error) {
	p, n, err := x.existing("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !n.IsDir() {
		return nil, pathErr("readdir", name, ErrNotDir)
	}
	var out []FileInfo
	for _, c := range x.f.Children(p) {
		cp := path.Join(p, c)
		if cn := x.f.Get(cp); cn != nil {
			out = append(out, nodeInfo(cp, cn))
		}
	}
	return out, nil
}

func (x *imageFS) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	_, n, err := x.existing("open", name, true)
	if err != nil {
		return nil, err
	}
	if n.IsDir() {
		return nil, pathErr("open", name, ErrIsDir)
	}
	return io.NopCloser(bytes.NewReader(n.Data)), nil
}

// touch records that directory p's entries changed now.
func (x *imageFS) touch(p string) {
	if n := x.f.Get(p); n != nil && n.IsDir() {
		c := *n
		c.ModTime = x.now
		x.f.Put(p, &c)
	}
}

func (x *imageFS) Create(ctx context.Context, name string, perm fs.FileMode, appendTo bool) (io.WriteCloser, error) {
	p, n, err := x.resolve("open", name, true)
	if err != nil {
		return nil, err
	}
	if p == "" || (n != nil && n.IsDir()) {
		return nil, pathErr("open", name, ErrIsDir)
	}
	w := &imageWriter{x: x, p: p}
	if n != nil {
		c := *n
		w.node = &c
		if appendTo {
			w.buf.Write(n.Data)
		}
	} else {
		w.node = &fsys.Node{Type: tar.TypeReg, Mode: tarMode(perm) &^ Umask, UID: x.uid, GID: x.gid}
	}
	// The file exists (empty or truncated) from the moment it is opened, as on a real system.
	if err := w.flush(); err != nil {
		return nil, err
	}
	return w, nil
}

type imageWriter struct {
	x    *imageFS
	p    string
	node *fsys.Node
	buf  bytes.Buffer
}

func (w *imageWriter) Write(b []byte) (int, error) { return w.buf.Write(b) }
func (w *imageWriter) Close() error                { return w.flush() }
func (w *imageWriter) flush() error {
	c := *w.node
	c.Data = bytes.Clone(w.buf.Bytes())
	c.ModTime = w.x.now
	if w.x.f.Get(w.p) != nil {
		return w.x.f.Update(w.p, &c)
	}
	return w.x.f.Write(w.p, &c, w.x.now)
}

// create puts a new entry at name (whose parent exists), failing if something is there.
func (x *imageFS) create(op, name string, n *fsys.Node) error {
	p, old, err := x.resolve(op, name, false)
	if err != nil {
		return err
	}
	if old != nil || p == "" {
		return pathErr(op, name, fs.ErrExist)
	}
	return x.f.Write(p, n, x.now)
}

func (x *imageFS) Mkdir(ctx context.Context, name string, perm fs.FileMode) error {
	return x.create("mkdir", name, &fsys.Node{Type: tar.TypeDir, Mode: tarMode(perm) &^ Umask, UID: x.uid, GID: x.gid, ModTime: x.now})
}

func (x *imageFS) Symlink(ctx context.Context, target, name string) error {
	return x.create("symlink", name, &fsys.Node{Type: tar.TypeSymlink, Mode: 0o777, UID: x.uid, GID: x.gid, ModTime: x.now, Link: target})
}

func (x *imageFS) Link(ctx context.Context, oldname, newname string) error {
	src, n, err := x.existing("link", oldname, false)
	if err != nil {
		return err
	}
	if n.IsDir() {
		return pathErr("link", oldname, fs.ErrPermission)
	}
	p, old, err := x.resolve("link", newname, false)
	if err != nil {
		return err
	}
	if old != nil {
		return pathErr("link", newname, fs.ErrExist)
	}
	return x.f.Link(src, p, x.now)
}

func (x *imageFS) Remove(ctx context.Context, name string) error {
	p, n, err := x.existing("remove", name, false)
	if err != nil {
		return err
	}
	if p == "" {
		return pathErr("remove", name, ErrBusy)
	}
	if n.IsDir() && len(x.f.Children(p)) > 0 {
		return pathErr("remove", name, ErrNotEmpty)
	}
	x.f.Remove(p)
	x.touch(path.Dir("/" + p)[1:])
	return nil
}

func (x *imageFS) Rename(ctx context.Context, oldname, newname string) error {
	src, n, err := x.existing("rename", oldname, false)
	if err != nil {
		return err
	}
	dst, old, err := x.resolve("rename", newname, false)
	if err != nil {
		return err
	}
	if src == dst {
		return nil
	}
	if src == "" || dst == "" || strings.HasPrefix(dst+"/", src+"/") {
		return pathErr("rename", oldname, ErrInvalid)
	}
	if old != nil {
		switch {
		case old.IsDir() && !n.IsDir():
			return pathErr("rename", newname, ErrIsDir)
		case !old.IsDir() && n.IsDir():
			return pathErr("rename", newname, ErrNotDir)
		case old.IsDir() && len(x.f.Children(dst)) > 0:
			return pathErr("rename", newname, ErrNotEmpty)
		}
	}
	x.move(src, dst)
	x.f.Remove(src)
	x.touch(path.Dir("/" + src)[1:])
	x.touch(path.Dir("/" + dst)[1:])
	return nil
}

// move puts src's node and everything under it at dst; nodes (and so inodes) are kept.
func (x *imageFS) move(src, dst string) {
	n := x.f.Get(src)
	x.f.Put(dst, n)
	if n.IsDir() {
		for _, c := range x.f.Children(src) {
			x.move(path.Join(src, c), path.Join(dst, c))
		}
	}
}

func (x *imageFS) Readlink(ctx context.Context, name string) (string, error) {
	_, n, err := x.existing("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.Type != tar.TypeSymlink {
		return "", pathErr("readlink", name, ErrInvalid)
	}
	return n.Link, nil
}

// edit replaces the node at name (following symlinks or not) with fn's copy of it; every
// name of a hard-linked file sees the change.
func (x *imageFS) edit(op, name string, follow bool, fn func(*fsys.Node)) error {
	p, n, err := x.existing(op, name, follow)
	if err != nil {
		return err
	}
	c := *n
	fn(&c)
	return x.f.Update(p, &c)
}

func (x *imageFS) Chmod(ctx context.Context, name string, mode fs.FileMode) error {
	return x.edit("chmod", name, true, func(n *fsys.Node) { n.Mode = tarMode(mode) })
}

func chown(n *fsys.Node, uid, gid int) {
	if uid >= 0 {
		n.UID = uid
	}
	if gid >= 0 {
		n.GID = gid
	}
}

func (x *imageFS) Chown(ctx context.Context, name string, uid, gid int) error {
	return x.edit("chown", name, true, func(n *fsys.Node) { chown(n, uid, gid) })
}

func (x *imageFS) Lchown(ctx context.Context, name string, uid, gid int) error {
	return x.edit("lchown", name, false, func(n *fsys.Node) { chown(n, uid, gid) })
}

func (x *imageFS) Chtimes(ctx context.Context, name string, mtime time.Time) error {
	return x.edit("utimes", name, true, func(n *fsys.Node) { n.ModTime = mtime })
}
