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
// a deletion).
type Change struct {
	Path string
	Kind Kind
	Node *Node
}

// Diff lists the changes from lower to upper the way containerd's walking differ finds them
// (BuildKit's differ with the native snapshotter): a non-directory counts as modified when its
// type, mode, owner, size, mtime second, link or content changed; a directory only when its
// type, mode or owner changed; a deleted subtree is one deletion; and the parent directories
// of every change are included (the root never is). The result is in walk order.
func Diff(lower, upper *FS) []Change {
	if lower != upper {
		lower.mu.RLock()
		defer lower.mu.RUnlock()
	}
	upper.mu.RLock()
	defer upper.mu.RUnlock()
	changed := map[string]Change{}
	for p, n := range upper.nodes {
		if p == "" {
			continue
		}
		o := lower.nodes[p]
		switch {
		case o == nil:
			changed[p] = Change{Path: p, Kind: Added, Node: n}
		case o == n:
		case !same(o, n):
			changed[p] = Change{Path: p, Kind: Modified, Node: n}
		}
	}
	for p := range lower.nodes {
		if p == "" {
			continue
		}
		if upper.nodes[p] != nil {
			continue
		}
		parent := Clean(path.Dir("/" + p))
		if parent != "" && lower.nodes[parent] != nil && upper.nodes[parent] == nil {
			continue // the whole directory went: one whiteout for it
		}
		changed[p] = Change{Path: p, Kind: Deleted}
	}
	// Parents of every change, as ChangeWriter.includeParents adds them.
	for p := range maps.Clone(changed) {
		for d := Clean(path.Dir("/" + p)); d != ""; d = Clean(path.Dir("/" + d)) {
			if _, ok := changed[d]; ok {
				continue
			}
			if n := upper.nodes[d]; n != nil {
				changed[d] = Change{Path: d, Kind: Modified, Node: n}
			}
		}
	}
	paths := make([]string, 0, len(changed))
	for p := range changed {
		paths = append(paths, p)
	}
	sortWalk(paths)
	out := make([]Change, len(paths))
	for i, p := range paths {
		out[i] = changed[p]
	}
	return out
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
			case tar.TypeLink:
				// Hard links are written as copies: the in-memory model keeps no inodes.
				hdr.Typeflag = tar.TypeReg
				hdr.Size = int64(len(n.Data))
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
