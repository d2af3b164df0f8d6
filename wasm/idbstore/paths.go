package idbstore

import (
	"fmt"
	"path"
	"strings"
)

// The shell's filesystem has two persistent folders: the learner's files (the default
// working directory and the build context) and a home outside it, so that the client config
// (~/.docker/config.json) never ends up in a build context.
const (
	WorkspaceRoot = "/workspace"
	Home          = "/root"
)

// Abs resolves name as the shell does from the workspace root: a relative name is joined to
// /workspace, an absolute one is cleaned. The result must be /workspace, /root or inside one.
func Abs(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty file name")
	}
	p := name
	if !path.IsAbs(p) {
		p = path.Join(WorkspaceRoot, p)
	}
	p = path.Clean(p)
	for _, root := range []string{WorkspaceRoot, Home} {
		if p == root || strings.HasPrefix(p, root+"/") {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: outside %s and %s, the folders the playground keeps", name, WorkspaceRoot, Home)
}

// parents returns the folders above p up to (not including) its root folder:
// /workspace/a/b/c -> /workspace/a, /workspace/a/b.
func parents(p string) []string {
	root := WorkspaceRoot
	if p == Home || strings.HasPrefix(p, Home+"/") {
		root = Home
	}
	var out []string
	for d := path.Dir(p); d != root && len(d) > len(root); d = path.Dir(d) {
		out = append([]string{d}, out...)
	}
	return out
}

// isRoot reports whether p is one of the two root folders, which always exist.
func isRoot(p string) bool { return p == WorkspaceRoot || p == Home }
