package lesson

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
)

// LoadFS parses every *.md file at the top of fsys (web/lessons, embedded) and returns the
// lessons in course order. Every malformed file is reported, each with its line.
func LoadFS(fsys fs.FS, dir string) ([]*Lesson, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.md"))
	if err != nil {
		return nil, fmt.Errorf("listing lessons: %w", err)
	}
	var ls []*Lesson
	var errs []error
	seen := map[string]bool{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading %s: %w", n, err))
			continue
		}
		l, err := Parse(n, b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[l.ID] {
			errs = append(errs, &Error{File: n, Msg: fmt.Sprintf("another lesson is named %s", l.ID)})
			continue
		}
		seen[l.ID] = true
		ls = append(ls, l)
	}
	Sort(ls)
	return ls, errors.Join(errs...)
}
