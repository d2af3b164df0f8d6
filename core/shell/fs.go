package shell

import (
	"context"
	"io"
	"io/fs"
	"path"
	"time"
)

// FileInfo describes one file as lstat or stat sees it.
type FileInfo struct {
	Name     string      // the last element of the path
	Mode     fs.FileMode // type bits, permissions, setuid/setgid/sticky
	Size     int64
	ModTime  time.Time
	UID, GID int
	// Inode is shared by the names of a hard-linked file (tar stores the second name as a
	// link); 0 when the file has one name or the FS does not know.
	Inode uint64
}

// IsDir reports whether fi describes a directory.
func (fi FileInfo) IsDir() bool { return fi.Mode.IsDir() }

// IsLink reports whether fi describes a symbolic link.
func (fi FileInfo) IsLink() bool { return fi.Mode&fs.ModeSymlink != 0 }

// IsRegular reports whether fi describes a regular file.
func (fi FileInfo) IsRegular() bool { return fi.Mode.IsRegular() }

// FS is the filesystem the shell's commands work on, shaped after the system calls busybox
// makes. Names are absolute and clean. Errors wrap fs.ErrNotExist, fs.ErrExist,
// fs.ErrPermission or ErrNotDir, ErrIsDir, ErrNotEmpty where the kernel would return them.
//
// Creating calls (Create, Mkdir, Symlink) give the new entry the caller's owner, apply the
// umask to perm and update the parent directory's mtime, as the kernel does.
type FS interface {
	Stat(ctx context.Context, name string) (FileInfo, error)  // follows symlinks
	Lstat(ctx context.Context, name string) (FileInfo, error) // does not follow a final symlink
	// ReadDir lists a directory's entries (lstat'ed), sorted by name.
	ReadDir(ctx context.Context, name string) ([]FileInfo, error)
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// Create opens name for writing: an existing file is truncated (or appended to) and keeps
	// its mode and owner; a new file gets perm. The file exists from the moment it is opened.
	Create(ctx context.Context, name string, perm fs.FileMode, append bool) (io.WriteCloser, error)
	Mkdir(ctx context.Context, name string, perm fs.FileMode) error // one level
	Remove(ctx context.Context, name string) error                  // a file, link or empty directory
	Rename(ctx context.Context, oldname, newname string) error
	Symlink(ctx context.Context, target, name string) error
	Readlink(ctx context.Context, name string) (string, error)
	Chmod(ctx context.Context, name string, mode fs.FileMode) error  // follows symlinks
	Chown(ctx context.Context, name string, uid, gid int) error      // follows; -1 keeps
	Lchown(ctx context.Context, name string, uid, gid int) error     // does not follow
	Chtimes(ctx context.Context, name string, mtime time.Time) error // follows
}

// Linker is an FS that can make hard links (ln without -s).
type Linker interface {
	Link(ctx context.Context, oldname, newname string) error
}

// Abs resolves name against dir as the shell does.
func Abs(dir, name string) string {
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	return path.Join(dir, name)
}

// info is a FileInfo as io/fs wants it (the interpreter's stat and readdir handlers).
type info struct{ fi FileInfo }

func (i info) Name() string       { return i.fi.Name }
func (i info) Size() int64        { return i.fi.Size }
func (i info) ModTime() time.Time { return i.fi.ModTime }
func (i info) IsDir() bool        { return i.fi.IsDir() }
func (i info) Sys() any           { return i.fi }
func (i info) Mode() fs.FileMode  { return i.fi.Mode }
