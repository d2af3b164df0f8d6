package term

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"time"

	"github.com/layerlab/layerlab/core/shell"
)

// shellFS is the learner's files (an FS) as core/shell's applets see them. The workspace
// keeps no modes, owners, times or links: files are 0644 and folders 0755, owned by root;
// chmod and chown are accepted and change nothing, and ln -s says it is not supported.
type shellFS struct{ fs FS }

var _ shell.FS = shellFS{}

func shellInfo(fi FileInfo) shell.FileInfo {
	mode := fs.FileMode(0o644)
	if fi.Dir {
		mode = fs.ModeDir | 0o755
	}
	return shell.FileInfo{Name: fi.Name, Mode: mode, Size: fi.Size, ModTime: fi.ModTime}
}

func (s shellFS) Stat(ctx context.Context, name string) (shell.FileInfo, error) {
	fi, err := s.fs.Stat(ctx, name)
	if err != nil {
		return shell.FileInfo{}, err
	}
	return shellInfo(fi), nil
}

func (s shellFS) Lstat(ctx context.Context, name string) (shell.FileInfo, error) {
	return s.Stat(ctx, name)
}

func (s shellFS) ReadDir(ctx context.Context, name string) ([]shell.FileInfo, error) {
	list, err := s.fs.ReadDir(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]shell.FileInfo, len(list))
	for i, fi := range list {
		out[i] = shellInfo(fi)
	}
	return out, nil
}

func (s shellFS) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	return s.fs.Open(ctx, name)
}

// parentDir fails as the kernel does when name's folder is missing or a file.
func (s shellFS) parentDir(ctx context.Context, op, name string) error {
	fi, err := s.fs.Stat(ctx, path.Dir(name))
	if err != nil {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	if !fi.Dir {
		return &fs.PathError{Op: op, Path: name, Err: shell.ErrNotDir}
	}
	return nil
}

func (s shellFS) Create(ctx context.Context, name string, _ fs.FileMode, appendTo bool) (io.WriteCloser, error) {
	if err := s.parentDir(ctx, "open", name); err != nil {
		return nil, err
	}
	if fi, err := s.fs.Stat(ctx, name); err == nil && fi.Dir {
		return nil, &fs.PathError{Op: "open", Path: name, Err: shell.ErrIsDir}
	}
	var old []byte
	if appendTo {
		if f, err := s.fs.Open(ctx, name); err == nil {
			old, err = io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("appending to %s: %w", name, err)
			}
		}
	}
	w, err := s.fs.Create(ctx, name)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(old); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func (s shellFS) Mkdir(ctx context.Context, name string, _ fs.FileMode) error {
	if _, err := s.fs.Stat(ctx, name); err == nil {
		return &fs.PathError{Op: "mkdir", Path: name, Err: fs.ErrExist}
	}
	if err := s.parentDir(ctx, "mkdir", name); err != nil {
		return err
	}
	return s.fs.Mkdir(ctx, name)
}

func (s shellFS) Remove(ctx context.Context, name string) error {
	fi, err := s.fs.Stat(ctx, name)
	if err != nil {
		return err
	}
	if fi.Dir {
		if list, err := s.fs.ReadDir(ctx, name); err != nil {
			return err
		} else if len(list) > 0 {
			return &fs.PathError{Op: "remove", Path: name, Err: shell.ErrNotEmpty}
		}
	}
	return s.fs.Remove(ctx, name)
}

// Rename copies, then removes: the workspace has no rename, and a copy that fails leaves
// the source.
func (s shellFS) Rename(ctx context.Context, oldname, newname string) error {
	fi, err := s.fs.Stat(ctx, oldname)
	if err != nil {
		return err
	}
	if err := s.parentDir(ctx, "rename", newname); err != nil {
		return err
	}
	if err := s.copy(ctx, oldname, newname, fi); err != nil {
		return err
	}
	return s.fs.Remove(ctx, oldname)
}

func (s shellFS) copy(ctx context.Context, from, to string, fi FileInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if fi.Dir {
		if err := s.fs.Mkdir(ctx, to); err != nil {
			return err
		}
		list, err := s.fs.ReadDir(ctx, from)
		if err != nil {
			return err
		}
		for _, c := range list {
			if err := s.copy(ctx, path.Join(from, c.Name), path.Join(to, c.Name), c); err != nil {
				return err
			}
		}
		return nil
	}
	r, err := s.fs.Open(ctx, from)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := s.fs.Create(ctx, to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

var errNoLinks = errors.New("the playground's files have no links")

func (s shellFS) Symlink(ctx context.Context, target, name string) error {
	return &fs.PathError{Op: "symlink", Path: name, Err: errNoLinks}
}

func (s shellFS) Readlink(ctx context.Context, name string) (string, error) {
	if _, err := s.fs.Stat(ctx, name); err != nil {
		return "", err
	}
	return "", &fs.PathError{Op: "readlink", Path: name, Err: shell.ErrInvalid}
}

func (s shellFS) Chmod(ctx context.Context, name string, _ fs.FileMode) error {
	_, err := s.fs.Stat(ctx, name)
	return err
}

func (s shellFS) Chown(ctx context.Context, name string, _, _ int) error {
	_, err := s.fs.Stat(ctx, name)
	return err
}

func (s shellFS) Lchown(ctx context.Context, name string, uid, gid int) error {
	return s.Chown(ctx, name, uid, gid)
}

// Chtimes is not supported: touch then writes the file again, which sets its time.
func (s shellFS) Chtimes(ctx context.Context, name string, _ time.Time) error {
	return errors.ErrUnsupported
}

// reason is the coreutils wording for err.
func reason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrExist):
		return "File exists"
	}
	return err.Error()
}
