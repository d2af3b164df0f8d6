package fsys

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Node is one filesystem entry. Nodes are immutable once in an FS: changes replace them.
type Node struct {
	Type     byte  // tar.TypeReg, TypeDir, TypeSymlink, TypeChar, TypeBlock, TypeFifo
	Mode     int64 // permission bits plus setuid/setgid/sticky, as in a tar header
	UID, GID int
	ModTime  time.Time
	Link     string // symlink target, or hardlink target path
	Data     []byte // regular file content (shared, never mutated)
	Devmajor int64
	Devminor int64
	Xattrs   map[string]string // PAX records (SCHILY.xattr.*)
	// Inode is shared by the names of one hard-linked file; 0 for a file with one name.
	Inode uint64
}

var lastInode atomic.Uint64

// NewInode returns an inode number no other node has.
func NewInode() uint64 { return lastInode.Add(1) }

// Link makes newPath a hard link to the file at oldPath (no symlinks followed), giving both
// names one inode. Directories cannot be linked.
func (f *FS) Link(oldPath, newPath string, t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.link(Clean(oldPath), Clean(newPath), &t)
}

// link links newPath to oldPath; t, when set, is the new mtime of newPath's directory.
func (f *FS) link(oldPath, newPath string, t *time.Time) error {
	src := f.nodes[oldPath]
	if src == nil {
		return fmt.Errorf("linking /%s: %w", oldPath, fs.ErrNotExist)
	}
	if src.IsDir() {
		return fmt.Errorf("linking /%s: hard link not allowed for directory", oldPath)
	}
	if src.Inode == 0 {
		c := *src
		c.Inode = NewInode()
		f.nodes[oldPath] = &c
		src = &c
	}
	if err := f.put(newPath, src); err != nil {
		return err
	}
	if t != nil {
		f.touchParent(newPath, *t)
	}
	return nil
}

// IsDir reports whether n is a directory.
func (n *Node) IsDir() bool { return n.Type == tar.TypeDir }

// FS is a snapshot: a map from clean relative paths ("" is the root, "etc/passwd") to nodes.
//
// An FS is safe for concurrent use (a shell pipeline's commands run at once); compound
// operations are not atomic, as on a real filesystem.
type FS struct {
	mu    sync.RWMutex
	nodes map[string]*Node
}

// New returns an FS holding only the root directory.
func New() *FS {
	return &FS{nodes: map[string]*Node{"": {Type: tar.TypeDir, Mode: 0o755}}}
}

// Clone returns an independent snapshot sharing the (immutable) nodes.
func (f *FS) Clone() *FS {
	f.mu.RLock()
	defer f.mu.RUnlock()
	m := make(map[string]*Node, len(f.nodes))
	for k, v := range f.nodes {
		m[k] = v
	}
	return &FS{nodes: m}
}

// Clean turns an absolute or relative slash path into FS form ("/a/b/" -> "a/b", "/" -> "").
func Clean(p string) string {
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}

// Get returns the node at p (not following a final symlink), or nil.
func (f *FS) Get(p string) *Node {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.nodes[Clean(p)]
}

// Len is the number of entries, the root included.
func (f *FS) Len() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.nodes)
}

// Paths returns every path except the root, in layer (walk) order.
func (f *FS) Paths() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]string, 0, len(f.nodes))
	for k := range f.nodes {
		if k != "" {
			out = append(out, k)
		}
	}
	sortWalk(out)
	return out
}

// Put sets p to n, replacing what was there (and, if that was a directory and n is not, its
// contents). The parent must exist and be a directory.
func (f *FS) Put(p string, n *Node) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.put(p, n)
}

func (f *FS) put(p string, n *Node) error {
	p = Clean(p)
	if p == "" {
		if !n.IsDir() {
			return errors.New("replacing the root with a non-directory")
		}
		f.nodes[""] = n
		return nil
	}
	parent := f.nodes[path.Dir("/" + p)[1:]]
	if parent == nil || !parent.IsDir() {
		return fmt.Errorf("creating /%s: parent is not a directory: %w", p, fs.ErrNotExist)
	}
	if old := f.nodes[p]; old != nil && old.IsDir() && !n.IsDir() {
		f.removeChildren(p)
	}
	f.nodes[p] = n
	return nil
}

// Update replaces the file at p with n, an edited copy of it: when the file is hard-linked,
// every name of its inode sees the change, as they share one file.
func (f *FS) Update(p string, n *Node) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p = Clean(p)
	if err := f.put(p, n); err != nil {
		return err
	}
	if n.Inode != 0 && !n.IsDir() {
		for q, o := range f.nodes {
			if q != p && o.Inode == n.Inode {
				f.nodes[q] = n
			}
		}
	}
	return nil
}

// Remove deletes p and everything under it.
func (f *FS) Remove(p string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.remove(p)
}

func (f *FS) remove(p string) {
	p = Clean(p)
	if p == "" {
		return
	}
	f.removeChildren(p)
	delete(f.nodes, p)
}

func (f *FS) removeChildren(p string) {
	prefix := p + "/"
	for k := range f.nodes {
		if strings.HasPrefix(k, prefix) {
			delete(f.nodes, k)
		}
	}
}

// Children returns the names directly inside directory p, sorted.
func (f *FS) Children(p string) []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	p = Clean(p)
	prefix := p + "/"
	if p == "" {
		prefix = ""
	}
	var out []string
	for k := range f.nodes {
		if k == "" || !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		if !strings.Contains(rest, "/") {
			out = append(out, rest)
		}
	}
	sort.Strings(out)
	return out
}

// Resolve follows symlinks in every component of p (the final one too if followFinal) and
// returns the resulting clean path, which may not exist. Symlinks are resolved inside the FS:
// an absolute target is relative to the FS root and ".." never climbs above it.
func (f *FS) Resolve(p string, followFinal bool) (string, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.resolve(p, followFinal)
}

func (f *FS) resolve(p string, followFinal bool) (string, error) {
	parts := strings.Split(Clean(p), "/")
	if len(parts) == 1 && parts[0] == "" {
		return "", nil
	}
	cur := ""
	for hops := 0; len(parts) > 0; {
		name := parts[0]
		parts = parts[1:]
		next := path.Join(cur, name)
		if name == ".." {
			next = Clean(path.Dir("/" + cur))
		}
		n := f.nodes[next]
		if n != nil && n.Type == tar.TypeSymlink && (len(parts) > 0 || followFinal) {
			hops++
			if hops > 255 {
				return "", fmt.Errorf("resolving /%s: too many levels of symbolic links", Clean(p))
			}
			target := n.Link
			base := cur
			if strings.HasPrefix(target, "/") {
				base = ""
			}
			rest := strings.Split(strings.Trim(target, "/"), "/")
			parts = append(rest, parts...)
			cur = base
			continue
		}
		cur = Clean(next)
	}
	return cur, nil
}

// MkdirAll creates directory p and its missing parents with the given metadata, following
// symlinks in existing components. It returns an error if a component is not a directory.
func (f *FS) MkdirAll(p string, mode int64, uid, gid int, mtime time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mkdirAll(p, mode, uid, gid, mtime)
}

func (f *FS) mkdirAll(p string, mode int64, uid, gid int, mtime time.Time) error {
	rp, err := f.resolve(p, true)
	if err != nil {
		return err
	}
	if rp == "" {
		return nil
	}
	cur := ""
	for _, name := range strings.Split(rp, "/") {
		cur = path.Join(cur, name)
		n := f.nodes[cur]
		if n == nil {
			f.nodes[cur] = &Node{Type: tar.TypeDir, Mode: mode, UID: uid, GID: gid, ModTime: mtime}
			f.touchParent(cur, mtime)
			continue
		}
		if !n.IsDir() {
			return fmt.Errorf("creating directory /%s: /%s is not a directory", Clean(p), cur)
		}
	}
	return nil
}

// touchParent records that p's parent directory changed at t (its mtime, as a real
// filesystem would update it).
func (f *FS) touchParent(p string, t time.Time) {
	dir := Clean(path.Dir("/" + p))
	if n := f.nodes[dir]; n != nil && n.IsDir() {
		c := *n
		c.ModTime = t
		f.nodes[dir] = &c
	}
}

// TouchNonEmptyDirs sets the mtime of every directory that has entries to t. It models how
// BuildKit's native snapshotter prepares a step's snapshot: continuity's CopyDir copies a
// directory's times before creating its entries, so every non-empty directory of the new
// snapshot carries the copy time (which the rewrite-timestamp clamp then brings to the epoch).
func (f *FS) TouchNonEmptyDirs(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	nonEmpty := map[string]bool{}
	for p := range f.nodes {
		if p != "" {
			nonEmpty[Clean(path.Dir("/"+p))] = true
		}
	}
	for p := range nonEmpty {
		if n := f.nodes[p]; n != nil && n.IsDir() {
			c := *n
			c.ModTime = t
			f.nodes[p] = &c
		}
	}
}

// Write puts n at p and marks p's parent directory as changed at t.
func (f *FS) Write(p string, n *Node, t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.put(p, n); err != nil {
		return err
	}
	f.touchParent(Clean(p), t)
	return nil
}

// ApplyLayer applies an uncompressed layer tar (OCI whiteouts included) on top of f.
func (f *FS) ApplyLayer(r io.Reader) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading layer tar: %w", err)
		}
		p := Clean(h.Name)
		if strings.HasPrefix(h.Name, "/") || strings.Contains("/"+h.Name+"/", "/../") {
			return fmt.Errorf("layer entry %q: path escapes the root", h.Name)
		}
		dir, base := path.Split(p)
		dir = Clean(dir)
		if base == ".wh..wh..opq" {
			f.removeChildren(dir)
			continue
		}
		if strings.HasPrefix(base, ".wh.") {
			f.remove(path.Join(dir, strings.TrimPrefix(base, ".wh.")))
			continue
		}
		n := &Node{Type: h.Typeflag, Mode: h.Mode & 0o7777, UID: h.Uid, GID: h.Gid, ModTime: h.ModTime, Link: h.Linkname, Devmajor: h.Devmajor, Devminor: h.Devminor}
		if n.Type == tar.TypeRegA {
			n.Type = tar.TypeReg
		}
		for k, v := range h.PAXRecords {
			if strings.HasPrefix(k, "SCHILY.xattr.") {
				if n.Xattrs == nil {
					n.Xattrs = map[string]string{}
				}
				n.Xattrs[k] = v
			}
		}
		switch n.Type {
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				return fmt.Errorf("reading layer entry %s: %w", h.Name, err)
			}
			n.Data = b
		case tar.TypeLink:
			target := Clean(h.Linkname)
			if src := f.nodes[target]; src == nil || src.IsDir() {
				return fmt.Errorf("layer entry %s: hard link to missing %s", h.Name, h.Linkname)
			}
			if err := f.mkdirAll(path.Dir("/"+p), 0o755, 0, 0, time.Time{}); err != nil {
				return fmt.Errorf("layer entry %s: %w", h.Name, err)
			}
			if err := f.link(target, p, nil); err != nil {
				return fmt.Errorf("layer entry %s: %w", h.Name, err)
			}
			continue
		case tar.TypeDir, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		default:
			return fmt.Errorf("layer entry %s: unsupported type %q", h.Name, h.Typeflag)
		}
		if p == "" {
			f.nodes[""] = n
			continue
		}
		// Layers may omit parent directories; create them as tar extractors do.
		if err := f.mkdirAll(path.Dir("/"+p), 0o755, 0, 0, time.Time{}); err != nil {
			return fmt.Errorf("layer entry %s: %w", h.Name, err)
		}
		if old := f.nodes[p]; old != nil && old.IsDir() && n.IsDir() {
			f.nodes[p] = n // a directory entry over a directory keeps the contents
			continue
		}
		if err := f.put(p, n); err != nil {
			return fmt.Errorf("layer entry %s: %w", h.Name, err)
		}
	}
}

// sortWalk orders paths as filepath.Walk visits them: component by component, so that a
// directory's contents come right after it ("a", "a/b", "a.txt").
func sortWalk(ps []string) {
	sort.Slice(ps, func(i, j int) bool { return walkLess(ps[i], ps[j]) })
}

func walkLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca == '/' {
			return true
		}
		if cb == '/' {
			return false
		}
		return ca < cb
	}
	return len(a) < len(b)
}
