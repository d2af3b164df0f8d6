//go:build js && wasm

package main

import (
	"context"
	"io"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/term"
	"github.com/layerlab/layerlab/wasm/idbstore"
)

// workspaceFS is the IndexedDB workspace as the shell's filesystem (term.FS).
type workspaceFS struct{ w *idbstore.Workspace }

var _ term.FS = workspaceFS{}

func info(fi idbstore.FileInfo) term.FileInfo {
	return term.FileInfo{Name: fi.Name(), Size: fi.Size, Dir: fi.Dir, ModTime: fi.ModTime}
}

func (f workspaceFS) Stat(ctx context.Context, name string) (term.FileInfo, error) {
	fi, err := f.w.Stat(ctx, name)
	if err != nil {
		return term.FileInfo{}, err
	}
	return info(fi), nil
}

func (f workspaceFS) ReadDir(ctx context.Context, name string) ([]term.FileInfo, error) {
	fis, err := f.w.ReadDir(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]term.FileInfo, len(fis))
	for i, fi := range fis {
		out[i] = info(fi)
	}
	return out, nil
}

func (f workspaceFS) Open(ctx context.Context, name string) (cli.File, error) { return f.w.Open(name) }
func (f workspaceFS) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	return f.w.Create(name)
}
func (f workspaceFS) Mkdir(ctx context.Context, name string) error  { return f.w.Mkdir(ctx, name) }
func (f workspaceFS) Remove(ctx context.Context, name string) error { return f.w.Remove(ctx, name) }
