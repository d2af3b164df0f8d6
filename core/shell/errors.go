package shell

import (
	"errors"
	"io/fs"
)

// Errors an FS returns where the kernel returns ENOTDIR, EISDIR, ENOTEMPTY, EINVAL and
// ELOOP; the others are io/fs's.
var (
	ErrNotDir   = errors.New("not a directory")
	ErrIsDir    = errors.New("is a directory")
	ErrNotEmpty = errors.New("directory not empty")
	ErrInvalid  = errors.New("invalid argument")
	ErrLoop     = errors.New("too many levels of symbolic links")
	ErrBusy     = errors.New("device or resource busy")
	// ErrTooBig is what writes fail with once a run has written its budget (Config.MaxWrite).
	ErrTooBig = errors.New("the run wrote more than its size budget")
)

// reason is strerror(err): the words busybox and coreutils print after the file name.
func reason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrExist):
		return "File exists"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	case errors.Is(err, ErrNotDir):
		return "Not a directory"
	case errors.Is(err, ErrIsDir):
		return "Is a directory"
	case errors.Is(err, ErrNotEmpty):
		return "Directory not empty"
	case errors.Is(err, ErrInvalid), errors.Is(err, fs.ErrInvalid):
		return "Invalid argument"
	case errors.Is(err, ErrBusy):
		return "Device or resource busy"
	case errors.Is(err, ErrLoop):
		return "Symbolic link loop"
	case errors.Is(err, ErrTooBig):
		return "No space left on device"
	}
	return err.Error()
}

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }
