package lesson

import (
	"context"
	"fmt"
	"path"

	"github.com/layerlab/layerlab/core/term"
)

// ShowMe does step s for the learner: it writes the step's files into the workspace of fsys,
// then runs its commands one by one in sh (stopping at the first that fails), with ${USER}
// expanded to user. It returns the failing command's exit status, or 0.
func ShowMe(ctx context.Context, sh *term.Shell, fsys term.FS, s *Step, user string, stdio term.IO) (int, error) {
	for _, f := range s.Files {
		if err := checkPath(f.Path); err != nil {
			return 0, fmt.Errorf("writing %s: %w", f.Path, err)
		}
		name := path.Join(term.Workspace, f.Path)
		if err := fsys.Mkdir(ctx, path.Dir(name)); err != nil {
			return 0, fmt.Errorf("writing %s: %w", f.Path, err)
		}
		w, err := fsys.Create(ctx, name)
		if err != nil {
			return 0, fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if _, err := w.Write([]byte(Expand(f.Content, user))); err != nil {
			w.Close()
			return 0, fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if err := w.Close(); err != nil {
			return 0, fmt.Errorf("writing %s: %w", f.Path, err)
		}
	}
	for _, c := range s.Commands {
		if stdio.Stdout != nil {
			fmt.Fprintf(stdio.Stdout, "$ %s\n", Expand(c, user))
		}
		if code, _ := sh.Run(ctx, term.Workspace, Expand(c, user), stdio); code != 0 {
			return code, nil
		}
	}
	return 0, nil
}
