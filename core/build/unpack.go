package build

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/layerlab/layerlab/core/fsys"
)

// tryUnpack extracts src into directory dest when it is a tar archive (plain, gzip or bzip2),
// as ADD does for local archives. It reports false when src is not an archive.
func (c *copier) tryUnpack(src, dest string) (bool, error) {
	data, err := fs.ReadFile(c.ctx, src)
	if err != nil {
		return false, fmt.Errorf("reading %s from the context: %w", "/"+src, err)
	}
	var r io.Reader = bytes.NewReader(data)
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(r)
		if err != nil {
			return false, nil
		}
		r = zr
	case bytes.HasPrefix(data, []byte("BZh")):
		r = bzip2.NewReader(r)
	case bytes.HasPrefix(data, []byte{0xfd, '7', 'z', 'X', 'Z', 0}), bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return true, fmt.Errorf("ADD %s: xz and zstd archives are not supported yet in layerlab", "/"+src)
	}
	// Like moby's archive detection: an archive is something whose first header reads.
	probe := tar.NewReader(r)
	if _, err := probe.Next(); err != nil {
		return false, nil
	}
	// Start again for the extraction proper.
	r = bytes.NewReader(data)
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		zr, _ := gzip.NewReader(r)
		r = zr
	case bytes.HasPrefix(data, []byte("BZh")):
		r = bzip2.NewReader(r)
	}
	du, dg := c.dirOwner()
	if err := c.f.MkdirAll("/"+dest, 0o755, du, dg, c.now); err != nil {
		return true, err
	}
	type dirTime struct {
		p string
		n fsys.Node
	}
	var dirs []dirTime
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return true, fmt.Errorf("ADD %s: reading the archive: %w", "/"+src, err)
		}
		rel := fsys.Clean(h.Name)
		if rel == "" {
			continue
		}
		if strings.HasPrefix(path.Clean(h.Name), "../") || path.Clean(h.Name) == ".." {
			return true, fmt.Errorf("ADD %s: archive entry %q escapes the destination", "/"+src, h.Name)
		}
		target := path.Join(dest, rel)
		if err := c.f.MkdirAll("/"+path.Dir("/"+target), 0o755, 0, 0, c.now); err != nil {
			return true, err
		}
		uid, gid := h.Uid, h.Gid
		if c.uid >= 0 {
			uid, gid = c.uid, c.gid
		}
		n := &fsys.Node{Type: h.Typeflag, Mode: h.Mode & 0o7777, UID: uid, GID: gid, ModTime: h.ModTime, Link: h.Linkname}
		switch h.Typeflag {
		case tar.TypeDir:
			if old := c.f.Get(target); old == nil || !old.IsDir() {
				if err := c.f.Write(target, n, c.now); err != nil {
					return true, err
				}
			}
			dirs = append(dirs, dirTime{target, *n})
			continue
		case tar.TypeReg, tar.TypeRegA:
			n.Type = tar.TypeReg
			b, err := io.ReadAll(tr)
			if err != nil {
				return true, fmt.Errorf("ADD %s: %s: %w", "/"+src, h.Name, err)
			}
			n.Data = b
		case tar.TypeSymlink:
		case tar.TypeLink:
			if err := c.f.Link(path.Join(dest, fsys.Clean(h.Linkname)), target, c.now); err != nil {
				return true, fmt.Errorf("ADD %s: hard link %s to %s: %w", "/"+src, h.Name, h.Linkname, err)
			}
			continue
		default:
			continue // devices and fifos need privileges the playground does not model
		}
		if err := c.f.Write(target, n, c.now); err != nil {
			return true, err
		}
	}
	// Directory metadata last, so that writing their entries does not change their times.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		if err := c.f.Put(d.p, &d.n); err != nil {
			return true, err
		}
	}
	return true, nil
}
