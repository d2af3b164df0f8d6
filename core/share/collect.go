package share

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/layerlab/layerlab/core/term"
)

// Collect reads every file under the folder root of fsys (the workspace: term.Workspace) as a
// link's files, paths relative to root. It stops with an error naming the limit, and
// suggesting a download instead, as soon as the files would not fit in a link.
func Collect(ctx context.Context, fsys term.FS, root string) ([]File, error) {
	var files []File
	total := 0
	var walk func(dir string) error
	walk = func(dir string) error {
		fis, err := fsys.ReadDir(ctx, dir)
		if err != nil {
			return fmt.Errorf("reading the workspace: %w", err)
		}
		for _, fi := range fis {
			p := path.Join(dir, fi.Name)
			if fi.Dir {
				if err := walk(p); err != nil {
					return err
				}
				continue
			}
			rel := strings.TrimPrefix(p, strings.TrimSuffix(root, "/")+"/")
			if len(files) == MaxFiles {
				return fmt.Errorf("the workspace holds more than %d files, more than a build link carries: download the workspace as a file instead", MaxFiles)
			}
			if total+int(fi.Size) > MaxContent {
				return fmt.Errorf("the workspace's files hold more than %d bytes (%s is %d bytes), more than a build link carries: download the workspace as a file instead", MaxContent, rel, fi.Size)
			}
			f, err := fsys.Open(ctx, p)
			if err != nil {
				return fmt.Errorf("reading %s: %w", rel, err)
			}
			b, err := io.ReadAll(io.LimitReader(f, int64(MaxContent-total)+1))
			f.Close()
			if err != nil {
				return fmt.Errorf("reading %s: %w", rel, err)
			}
			total += len(b)
			if total > MaxContent {
				return fmt.Errorf("the workspace's files hold more than %d bytes, more than a build link carries: download the workspace as a file instead", MaxContent)
			}
			files = append(files, File{Path: rel, Data: b})
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	return files, nil
}
