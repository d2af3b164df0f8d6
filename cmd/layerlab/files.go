package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/layerlab/layerlab/core/cli"
)

// osFiles is cli.Files on the real filesystem; names are relative to the working directory.
type osFiles struct{}

var _ cli.Files = osFiles{}

type osFile struct {
	*os.File
	size int64
}

func (f osFile) Size() int64 { return f.size }

func (osFiles) Open(name string) (cli.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: name, Err: errors.New("is a directory")}
	}
	return osFile{File: f, size: fi.Size()}, nil
}

// Create writes to a temporary file beside name (as docker's own `save -o` does) and renames
// it over name when Close succeeds, so a failed or interrupted write never leaves a
// half-written file under name.
func (osFiles) Create(name string) (io.WriteCloser, error) {
	f, err := os.CreateTemp(filepath.Dir(name), ".layerlab_temp_")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	return &atomicFile{f: f, name: name}, nil
}

type atomicFile struct {
	f      *os.File
	name   string
	err    error // the first write error; Close then discards the file
	closed bool
}

func (a *atomicFile) Write(p []byte) (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	n, err := a.f.Write(p)
	if err != nil {
		a.err = fmt.Errorf("writing %s: %w", a.name, err)
		return n, a.err
	}
	return n, nil
}

func (a *atomicFile) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	tmp := a.f.Name()
	err := a.err
	if err == nil {
		if err = a.f.Sync(); err != nil {
			err = fmt.Errorf("writing %s: %w", a.name, err)
		}
	}
	if cerr := a.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing %s: %w", a.name, cerr)
	}
	if err == nil {
		if rerr := os.Rename(tmp, a.name); rerr != nil {
			err = fmt.Errorf("writing %s: %w", a.name, rerr)
		}
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

var _ cli.DirFiles = osFiles{}

// FS gives the directory dir as a build context.
func (osFiles) FS(dir string) (fs.FS, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &os.PathError{Op: "open", Path: dir, Err: errors.New("not a directory")}
	}
	return os.DirFS(dir), nil
}
