package term

import (
	"context"
	"io"
	"time"

	"github.com/layerlab/layerlab/core/cli"
)

// FileInfo describes one file or folder of an FS.
type FileInfo struct {
	Name    string // the last element of the path
	Size    int64
	Dir     bool
	ModTime time.Time
}

// FS is the shell's filesystem. Names are absolute and clean ("/workspace/app/main.go").
// A name that does not exist fails with an error wrapping fs.ErrNotExist.
type FS interface {
	Stat(ctx context.Context, name string) (FileInfo, error)
	// ReadDir lists the folder's direct children, sorted by name.
	ReadDir(ctx context.Context, name string) ([]FileInfo, error)
	Open(ctx context.Context, name string) (cli.File, error)
	// Create's file replaces name only when Close returns nil. Folders above it are made.
	Create(ctx context.Context, name string) (io.WriteCloser, error)
	// Mkdir makes the folder and those above it; an existing folder is fine.
	Mkdir(ctx context.Context, name string) error
	// Remove removes a file, or a folder with everything in it.
	Remove(ctx context.Context, name string) error
}
