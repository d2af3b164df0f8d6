package lesson

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/term"
)

// State is what checks read: the playground as the learner left it.
type State struct {
	// Store holds the images, the last build's record and the client config.
	Store store.Store
	// Workspace reads the learner's files; nil when there are none.
	Workspace Workspace
	// Hub answers for the practice hub; nil when the playground has none.
	Hub Hub
	// User is the learner's Docker ID, which lessons write as ${USER}; "learner" when empty.
	User string
}

// Workspace reads a file of the learner's workspace by its path relative to the workspace.
// A missing file is an error wrapping fs.ErrNotExist.
type Workspace interface {
	ReadFile(ctx context.Context, name string) ([]byte, error)
}

// Hub is what checks need of the practice hub: whether it holds a repository, and its
// visibility. The hub client implements it (`hub ls` reads the same list).
type Hub interface {
	// Repository reports the repository "user/name"; ok is false when the hub has none.
	Repository(ctx context.Context, name string) (repo Repository, ok bool, err error)
}

// Repository is one repository of the practice hub.
type Repository struct {
	Name    string
	Private bool
}

// HubList is Hub over a listing of the repositories the learner may see (the hub client's
// repository list, as `hub ls` prints it).
type HubList func(ctx context.Context) ([]Repository, error)

func (f HubList) Repository(ctx context.Context, name string) (Repository, bool, error) {
	repos, err := f(ctx)
	if err != nil {
		return Repository{}, false, fmt.Errorf("listing the practice hub's repositories: %w", err)
	}
	for _, r := range repos {
		if r.Name == name {
			return r, true, nil
		}
	}
	return Repository{}, false, nil
}

// MaxCheckFileSize bounds how much of a workspace file a check reads.
const MaxCheckFileSize = 4 << 20

// TermWorkspace reads the shell's workspace folder (term.Workspace) of fsys.
func TermWorkspace(fsys term.FS) Workspace { return termWorkspace{fsys} }

type termWorkspace struct{ fs term.FS }

func (w termWorkspace) ReadFile(ctx context.Context, name string) ([]byte, error) {
	if err := checkPath(name); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	f, err := w.fs.Open(ctx, path.Join(term.Workspace, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxCheckFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > MaxCheckFileSize {
		return nil, fmt.Errorf("reading %s: larger than %d bytes", name, MaxCheckFileSize)
	}
	return b, nil
}

func (s *State) user() string {
	if s.User == "" {
		return "learner"
	}
	return s.User
}

func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, store.ErrNotFound)
}
