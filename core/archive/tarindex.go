package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// entry is one tar member, located by offset so that it can be read later without reading
// the tar again.
type entry struct {
	name   string // cleaned path inside the archive; directories have no trailing slash
	typ    byte
	offset int64 // where the member's data starts
	size   int64
	link   string // symlink target as written, or hardlink target as an archive path
}

// tarIndex is the first pass over an archive: every member by name, nothing read yet.
type tarIndex struct {
	r       io.ReaderAt
	size    int64
	entries map[string]*entry
}

// maxLinkHops bounds symlink chains (and so symlink loops).
const maxLinkHops = 16

// indexTar reads the headers of the tar in r and records where each member's data lives.
// It refuses what Docker would refuse or what could only be an attack: members whose path
// leaves the archive, absolute paths, and member types that have no place in an image
// archive (devices, fifos).
func indexTar(ctx context.Context, r io.ReaderAt, size int64) (*tarIndex, error) {
	if size < 0 {
		return nil, fmt.Errorf("invalid archive size %d", size)
	}
	var magic [4]byte
	if n, _ := r.ReadAt(magic[:], 0); n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return nil, errors.New("the archive is gzip-compressed; decompress it (gunzip) before loading")
	}
	if size == 0 {
		return nil, errors.New("the archive is empty")
	}
	sr := io.NewSectionReader(r, 0, size)
	tr := tar.NewReader(sr)
	ix := &tarIndex{r: r, size: size, entries: map[string]*entry{}}
	last := ""
	var end int64 // where the last member's data (with padding) ends
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			// Every tar writer ends the archive with two zero blocks; without them the
			// file was cut at a member boundary and members may be missing.
			if pos, _ := sr.Seek(0, io.SeekCurrent); pos < end+1024 {
				if last == "" {
					return nil, errors.New("reading the tar: not a tar archive (no members, no end-of-archive marker)")
				}
				return nil, fmt.Errorf("reading the tar: truncated after entry %q (no end-of-archive marker)", last)
			}
			break
		}
		if err != nil {
			if last == "" {
				return nil, fmt.Errorf("reading the tar: not a tar archive or corrupt at its start: %w", err)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("reading the tar: truncated in or after entry %q", last)
			}
			return nil, fmt.Errorf("reading the tar: corrupt header after entry %q: %w", last, err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		for k := range h.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return nil, fmt.Errorf("entry %q: sparse files have no place in an image archive", h.Name)
			}
		}
		name, err := cleanName(h.Name)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", h.Name, err)
		}
		last = h.Name
		off, err := sr.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, fmt.Errorf("reading the tar: %w", err)
		}
		e := &entry{name: name, typ: h.Typeflag, offset: off, size: h.Size}
		end = off
		if h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeRegA {
			end = off + (h.Size+511)/512*512
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			e.typ = tar.TypeReg
			if h.Size < 0 || off+h.Size > size {
				return nil, fmt.Errorf("reading the tar: entry %q: truncated (%d bytes declared, %d left in the file)", h.Name, h.Size, size-off)
			}
		case tar.TypeDir:
			e.size = 0
		case tar.TypeSymlink:
			if h.Linkname == "" {
				return nil, fmt.Errorf("entry %q: symlink with an empty target", h.Name)
			}
			e.link = h.Linkname
			e.size = 0
		case tar.TypeLink:
			target, err := cleanName(h.Linkname)
			if err != nil {
				return nil, fmt.Errorf("entry %q: hard link target %q: %w", h.Name, h.Linkname, err)
			}
			e.link = target
			e.size = 0
		default:
			return nil, fmt.Errorf("entry %q: unsupported tar entry type %q in an image archive", h.Name, h.Typeflag)
		}
		if name == "." {
			continue
		}
		ix.entries[name] = e
	}
	return ix, nil
}

// cleanName turns a member name into a path inside the archive, refusing paths that leave it.
func cleanName(n string) (string, error) {
	if n == "" {
		return "", errors.New("empty path")
	}
	if strings.HasPrefix(n, "/") {
		return "", errors.New("absolute path in the archive")
	}
	c := path.Clean(n)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", errors.New("path leaves the archive (path traversal)")
	}
	return c, nil
}

// has reports whether name exists as anything (file, link, directory).
func (ix *tarIndex) has(name string) bool {
	_, ok := ix.entries[name]
	return ok
}

// lookup finds the regular file that name names, following symlinks and hard links that stay
// inside the archive. allowLinks false refuses links outright (OCI blobs must be files).
func (ix *tarIndex) lookup(name string, allowLinks bool) (*entry, error) {
	orig := name
	for hop := 0; ; hop++ {
		if hop > maxLinkHops {
			return nil, fmt.Errorf("entry %q: too many levels of links", orig)
		}
		e, ok := ix.entries[name]
		if !ok {
			if name == orig {
				return nil, fmt.Errorf("entry %q: not found in the archive", orig)
			}
			return nil, fmt.Errorf("entry %q: link target %q not found in the archive", orig, name)
		}
		switch e.typ {
		case tar.TypeReg:
			return e, nil
		case tar.TypeDir:
			return nil, fmt.Errorf("entry %q: is a directory, not a file", orig)
		case tar.TypeSymlink, tar.TypeLink:
			if !allowLinks {
				return nil, fmt.Errorf("entry %q: is a link (to %q); blobs must be regular files", orig, e.link)
			}
			next := e.link
			if e.typ == tar.TypeSymlink {
				if strings.HasPrefix(next, "/") {
					return nil, fmt.Errorf("entry %q: symlink to absolute path %q", orig, e.link)
				}
				next = path.Join(path.Dir(e.name), next)
				if next == ".." || strings.HasPrefix(next, "../") {
					return nil, fmt.Errorf("entry %q: symlink target %q leaves the archive (path traversal)", orig, e.link)
				}
			}
			name = next
		default:
			return nil, fmt.Errorf("entry %q: not a regular file", orig)
		}
	}
}

// open returns a reader over the data of the regular file e.
func (ix *tarIndex) open(e *entry) *io.SectionReader {
	return io.NewSectionReader(ix.r, e.offset, e.size)
}

// maxJSON bounds the JSON documents (manifest.json, index.json, manifests, configs) read
// into memory, so a hostile archive cannot claim gigabytes for a "config".
const maxJSON = 32 << 20

// readSmall reads a small file whole, following in-archive links when allowLinks.
func (ix *tarIndex) readSmall(name string, allowLinks bool) ([]byte, *entry, error) {
	e, err := ix.lookup(name, allowLinks)
	if err != nil {
		return nil, nil, err
	}
	if e.size > maxJSON {
		return nil, nil, fmt.Errorf("entry %q: %d bytes is too large for a JSON document (limit %d)", name, e.size, maxJSON)
	}
	b := make([]byte, e.size)
	if _, err := ix.r.ReadAt(b, e.offset); err != nil && !(err == io.EOF && int64(len(b)) == e.size) {
		return nil, nil, fmt.Errorf("entry %q: reading: %w", name, err)
	}
	return b, e, nil
}

// magic returns the first bytes of e's data, to recognise compression.
func (ix *tarIndex) magic(e *entry) []byte {
	var m [4]byte
	n, _ := ix.r.ReadAt(m[:min(int64(len(m)), e.size)], e.offset)
	return m[:n]
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)
