package build

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// withDockerignore returns the context as BuildKit sees it: without what .dockerignore
// excludes. A directory that is excluded but holds a `!` exception stays, with only what the
// exceptions bring back (fsutil's walker includes the parents of included paths).
func withDockerignore(ctx fs.FS) (fs.FS, error) {
	b, err := fs.ReadFile(ctx, ".dockerignore")
	if errors.Is(err, fs.ErrNotExist) {
		return ctx, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	patterns, err := ignorefile.ReadAll(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("failed to read dockerignore patterns: %w", err)
	}
	if len(patterns) == 0 {
		return ctx, nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("invalid .dockerignore pattern: %w", err)
	}
	return &ignoreFS{base: ctx, pm: pm}, nil
}

type ignoreFS struct {
	base fs.FS
	pm   *patternmatcher.PatternMatcher
}

var (
	_ fs.StatFS    = (*ignoreFS)(nil)
	_ fs.ReadDirFS = (*ignoreFS)(nil)
)

func (f *ignoreFS) visible(name string) bool {
	if name == "." {
		return true
	}
	// Every parent must be visible too (a hidden directory hides its contents unless an
	// exception brings something back, which the directory check below handles).
	excluded, err := f.pm.MatchesOrParentMatches(name)
	if err != nil || !excluded {
		return err == nil
	}
	if !f.pm.Exclusions() {
		return false
	}
	entries, err := fs.ReadDir(f.base, name)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if f.visible(path.Join(name, e.Name())) {
			return true
		}
	}
	return false
}

func (f *ignoreFS) check(op, name string) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	for p := name; p != "."; p = path.Dir(p) {
		if !f.visible(p) {
			return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
	}
	return nil
}

func (f *ignoreFS) Open(name string) (fs.File, error) {
	if err := f.check("open", name); err != nil {
		return nil, err
	}
	return f.base.Open(name)
}

func (f *ignoreFS) Stat(name string) (fs.FileInfo, error) {
	if err := f.check("stat", name); err != nil {
		return nil, err
	}
	return fs.Stat(f.base, name)
}

func (f *ignoreFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.check("readdir", name); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(f.base, name)
	if err != nil {
		return nil, err
	}
	out := entries[:0:0]
	for _, e := range entries {
		if f.visible(path.Join(name, e.Name())) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *ignoreFS) ReadLink(name string) (string, error) {
	if err := f.check("readlink", name); err != nil {
		return "", err
	}
	return fs.ReadLink(f.base, name)
}

func (f *ignoreFS) Lstat(name string) (fs.FileInfo, error) {
	if err := f.check("lstat", name); err != nil {
		return nil, err
	}
	return fs.Lstat(f.base, name)
}
