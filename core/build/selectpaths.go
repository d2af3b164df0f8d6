package build

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/moby/patternmatcher"
)

// selectPaths says which paths below root a COPY takes when it has --exclude patterns or,
// with --parents, an include pattern: fsutil's copier rules. Paths are relative to root
// ("sub/file"); a path is taken when it matches the include pattern (or there is none) and
// no exclude pattern, and a directory is also taken when something below it is (its
// creation is delayed until then). An excluded directory is not entered unless an exclude
// pattern has exceptions ("!keep"). nil means everything.
func selectPaths(src fs.FS, root, include string, exclude *patternmatcher.PatternMatcher) (map[string]bool, error) {
	if include == "" && exclude == nil {
		return nil, nil
	}
	var inc *patternmatcher.PatternMatcher
	if include != "" {
		pm, err := patternmatcher.New([]string{include})
		if err != nil {
			return nil, fmt.Errorf("invalid includepatterns: %s: %w", []string{include}, err)
		}
		inc = pm
	}
	exceptions := exclude != nil && exclude.Exclusions()
	sel := map[string]bool{}
	var walk func(dir, rel string, incInfo, exInfo patternmatcher.MatchInfo) error
	walk = func(dir, rel string, incInfo, exInfo patternmatcher.MatchInfo) error {
		entries, err := fs.ReadDir(src, dir)
		if err != nil {
			return fmt.Errorf("reading %s: %w", "/"+dir, err)
		}
		for _, e := range entries {
			r := path.Join(rel, e.Name())
			take, excluded := true, false
			ii, ei := incInfo, exInfo
			if inc != nil {
				if take, ii, err = inc.MatchesUsingParentResults(r, incInfo); err != nil {
					return fmt.Errorf("failed to match includepatterns: %w", err)
				}
			}
			if exclude != nil {
				var m bool
				if m, ei, err = exclude.MatchesUsingParentResults(r, exInfo); err != nil {
					return fmt.Errorf("failed to match excludepatterns: %w", err)
				}
				if m {
					take, excluded = false, true
				}
			}
			if !take && inc == nil && !exceptions {
				continue
			}
			if take {
				for p := r; p != "." && p != ""; p = path.Dir(p) {
					sel[p] = true
				}
			}
			if e.IsDir() && !(excluded && !exceptions) {
				if err := walk(path.Join(dir, e.Name()), r, ii, ei); err != nil {
					return err
				}
			}
		}
		return nil
	}
	info, err := fs.Stat(src, orDot(root))
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, nil
	}
	if err := walk(orDot(root), "", patternmatcher.MatchInfo{}, patternmatcher.MatchInfo{}); err != nil {
		return nil, err
	}
	return sel, nil
}

// relTo is p relative to root (both fs.FS paths; root may be ".").
func relTo(root, p string) string {
	if root == "." || root == "" {
		return p
	}
	return strings.TrimPrefix(p, root+"/")
}
