package term

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/layerlab/layerlab/core/cli"
)

var _ cli.DirFiles = filesAt{}

// FS gives the folder dir as an io/fs.FS (docker build's context). The workspace keeps no
// modes: files are 0644 and folders 0755, as a fresh checkout has them.
func (f filesAt) FS(dir string) (fs.FS, error) {
	root := Abs(f.dir, dir)
	fi, err := f.fs.Stat(f.ctx, root)
	if err != nil {
		return nil, err
	}
	if !fi.Dir {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: errors.New("not a directory")}
	}
	return ioFS{ctx: f.ctx, fs: f.fs, root: root}, nil
}

type ioFS struct {
	ctx  context.Context
	fs   FS
	root string
}

type ioInfo struct{ fi FileInfo }

func (i ioInfo) Name() string       { return i.fi.Name }
func (i ioInfo) Size() int64        { return i.fi.Size }
func (i ioInfo) ModTime() time.Time { return i.fi.ModTime }
func (i ioInfo) IsDir() bool        { return i.fi.Dir }
func (i ioInfo) Sys() any           { return nil }
func (i ioInfo) Mode() fs.FileMode {
	if i.fi.Dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

func (f ioFS) full(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return path.Join(f.root, name), nil
}

func (f ioFS) Open(name string) (fs.File, error) {
	p, err := f.full("open", name)
	if err != nil {
		return nil, err
	}
	fi, err := f.fs.Stat(f.ctx, p)
	if err != nil {
		return nil, err
	}
	if name == "." {
		fi.Name = "."
	}
	if fi.Dir {
		return &ioDir{f: f, p: p, info: ioInfo{fi}}, nil
	}
	file, err := f.fs.Open(f.ctx, p)
	if err != nil {
		return nil, err
	}
	return ioFile{File: file, info: ioInfo{fi}}, nil
}

func (f ioFS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := f.full("readdir", name)
	if err != nil {
		return nil, err
	}
	list, err := f.fs.ReadDir(f.ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, len(list))
	for i, fi := range list {
		out[i] = fs.FileInfoToDirEntry(ioInfo{fi})
	}
	return out, nil
}

type ioFile struct {
	cli.File
	info ioInfo
}

func (f ioFile) Stat() (fs.FileInfo, error) { return f.info, nil }

type ioDir struct {
	f    ioFS
	p    string
	info ioInfo
	list []fs.DirEntry
	read bool
}

func (d *ioDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *ioDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.p, Err: errors.New("is a directory")}
}
func (d *ioDir) Close() error { return nil }

func (d *ioDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		d.read = true
		rel := strings.TrimPrefix(strings.TrimPrefix(d.p, d.f.root), "/")
		if rel == "" {
			rel = "."
		}
		list, err := d.f.ReadDir(rel)
		if err != nil {
			return nil, err
		}
		d.list = list
	}
	if n <= 0 {
		out := d.list
		d.list = nil
		return out, nil
	}
	if len(d.list) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.list))
	out := d.list[:n]
	d.list = d.list[n:]
	return out, nil
}
