package fsys

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"maps"
	"path"
	"time"
)

// Kind is what happened to a path between two snapshots.
type Kind int

const (
	Added Kind = iota + 1
	Modified
	Deleted
)

func (k Kind) String() string {
	switch k {
	case Added:
		return "A"
	case Modified:
		return "M"
	case Deleted:
		return "D"
	}
	return "?"
}

// Change is one entry of a layer: the path, what happened, and the node now there (nil for
// a deletion). Link, when set, makes the entry a hard link to that earlier entry.
type Change struct {
	Path string
	Kind Kind
	Node *Node
	Link string
}

// Diff lists the changes from lower to upper the way containerd's walking differ and
// ChangeWriter (BuildKit's differ with the native snapshotter) write them: a non-directory
// counts as modified when its type, mode, owner, size, mtime second, link or content changed;
// a directory only when its type, mode or owner changed; a deleted subtree is one deletion;
// the parent directories of every written entry come first (the root never does); and the
// names of a hard-linked file become one file entry plus link entries. The result is in the
// order the layer tar holds it.
func Diff(lower, upper *FS) []Change {
	if lower != upper {
		lower.mu.RLock()
		defer lower.mu.RUnlock()
	}
	upper.mu.RLock()
	defer upper.mu.RUnlock()

	nlink := map[uint64]int{}
	for _, n := range upper.nodes {
		if n.Inode != 0 && !n.IsDir() {
			nlink[n.Inode]++
		}
	}
	type raw struct {
		kind  Kind
		node  *Node
		unmod bool // unchanged, but one name of a hard-linked file
	}
	raws := map[string]raw{}
	for p, n := range upper.nodes {
		if p == "" {
			continue
		}
		o := lower.nodes[p]
		switch {
		case o == nil:
			raws[p] = raw{kind: Added, node: n}
		case o == n || same(o, n):
			if n.Inode != 0 && !n.IsDir() && nlink[n.Inode] > 1 {
				raws[p] = raw{kind: Modified, node: n, unmod: true}
			}
		default:
			raws[p] = raw{kind: Modified, node: n}
		}
	}
	for p := range lower.nodes {
		if p == "" || upper.nodes[p] != nil {
			continue
		}
		parent := Clean(path.Dir("/" + p))
		if parent != "" && lower.nodes[parent] != nil && upper.nodes[parent] == nil {
			continue // the whole directory went: one whiteout for it
		}
		raws[p] = raw{kind: Deleted}
	}
	paths := make([]string, 0, len(raws))
	for p := range raws {
		paths = append(paths, p)
	}
	sortWalk(paths)
	w := &changeWriter{upper: upper, nlink: nlink, added: map[string]bool{}, src: map[uint64]string{}, refs: map[uint64][]string{}}
	for _, p := range paths {
		r := raws[p]
		w.handle(r.kind, p, r.node, r.unmod)
	}
	return w.out
}

// changeWriter mirrors containerd's archive.ChangeWriter: which entries it writes, and when.
type changeWriter struct {
	upper *FS
	nlink map[uint64]int
	added map[string]bool     // directories already written
	src   map[uint64]string   // inode -> the name written with the content
	refs  map[uint64][]string // inode -> unchanged names seen before any changed one
	out   []Change
}

func (w *changeWriter) includeParents(p string, isDir bool) {
	parent := Clean(path.Dir("/" + p))
	if parent != "" && !w.added[parent] {
		w.added[parent] = true
		if n := w.upper.nodes[parent]; n != nil {
			w.handle(Modified, parent, n, false)
		}
	}
	if isDir {
		w.added[p] = true
	}
}

func (w *changeWriter) handle(kind Kind, p string, n *Node, unmod bool) {
	if kind == Deleted {
		w.includeParents(p, false)
		w.out = append(w.out, Change{Path: p, Kind: Deleted})
		return
	}
	ch := Change{Path: p, Kind: kind, Node: n}
	var extra []string
	if n.Inode != 0 && !n.IsDir() && w.nlink[n.Inode] > 1 {
		if src, ok := w.src[n.Inode]; ok {
			ch.Link = src
		} else {
			if unmod {
				w.refs[n.Inode] = append(w.refs[n.Inode], p)
				return
			}
			w.src[n.Inode] = p
			extra = w.refs[n.Inode]
			delete(w.refs, n.Inode)
		}
	} else if unmod {
		return
	}
	w.includeParents(p, n.IsDir())
	w.out = append(w.out, ch)
	for _, e := range extra {
		w.includeParents(e, false)
		w.out = append(w.out, Change{Path: e, Kind: Modified, Node: n, Link: p})
	}
}

func same(a, b *Node) bool {
	if a.Type != b.Type || a.Mode != b.Mode || a.UID != b.UID || a.GID != b.GID || a.Devmajor != b.Devmajor || a.Devminor != b.Devminor || !maps.Equal(a.Xattrs, b.Xattrs) {
		return false
	}
	if a.IsDir() {
		return true
	}
	return a.Link == b.Link && len(a.Data) == len(b.Data) && a.ModTime.Unix() == b.ModTime.Unix() && bytes.Equal(a.Data, b.Data)
}

// WriteTar writes changes as the layer tar BuildKit exports: containerd's ChangeWriter
// headers (PAX format forced, no user or group names, mtime truncated to the second, no
// atime/ctime, whiteouts as empty mode-0 files dated 1970), re-encoded through Go's tar
// writer as BuildKit's rewrite-timestamp converter does, with every mtime after epoch set
// to epoch when epoch is non-nil.
func WriteTar(w io.Writer, changes []Change, epoch *time.Time) error {
	tw := tar.NewWriter(w)
	for _, c := range changes {
		var hdr *tar.Header
		if c.Kind == Deleted {
			dir, base := path.Split(c.Path)
			t := time.Unix(0, 0).UTC()
			hdr = &tar.Header{Typeflag: tar.TypeReg, Name: dir + ".wh." + base, ModTime: t}
		} else {
			n := c.Node
			hdr = &tar.Header{
				Typeflag: n.Type, Name: c.Path, Mode: n.Mode, Uid: n.UID, Gid: n.GID,
				ModTime: n.ModTime.Truncate(time.Second), Format: tar.FormatPAX,
				Devmajor: n.Devmajor, Devminor: n.Devminor,
			}
			switch n.Type {
			case tar.TypeDir:
				hdr.Name += "/"
			case tar.TypeReg:
				hdr.Size = int64(len(n.Data))
			case tar.TypeSymlink:
				hdr.Linkname = n.Link
			}
			if c.Link != "" {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, c.Link, 0
			}
			if len(n.Xattrs) > 0 {
				hdr.PAXRecords = maps.Clone(n.Xattrs)
			}
		}
		if epoch != nil && hdr.ModTime.After(*epoch) {
			hdr.ModTime = *epoch
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing layer entry %s: %w", hdr.Name, err)
		}
		if c.Node != nil && hdr.Size > 0 {
			if _, err := tw.Write(c.Node.Data); err != nil {
				return fmt.Errorf("writing layer entry %s: %w", hdr.Name, err)
			}
		}
	}
	return tw.Close()
}
