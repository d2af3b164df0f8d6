package shell

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(map[string]Applet{"tar": tarApplet, "gzip": gzipApplet, "gunzip": gunzipApplet, "zcat": gunzipApplet})
}

// tarApplet is busybox tar: c, x and t; -f FILE ("-" or none: stdin/stdout), -C DIR, -z, -v,
// -O, -m, -o, -k, --strip-components N, --exclude PAT; the old form without a dash
// ("tar xzf a.tgz").
func tarApplet(ctx context.Context, e *Env, args []string) int {
	if len(args) > 1 && args[1] != "" && args[1][0] != '-' {
		args = append([]string{args[0], "-" + args[1]}, args[2:]...)
	}
	o, files, _ := getoptAnywhere(e, args, "cxtf:C:zvOmokhjJZaT:X:", map[string]byte{"directory=": 'C', "file=": 'f',
		"gzip": 'z', "gunzip": 'z', "extract": 'x', "create": 'c', "list": 't', "verbose": 'v', "to-stdout": 'O',
		"exclude=": 'X', "strip-components=": 'S', "no-same-owner": 'o', "touch": 'm', "keep-old-files": 'k',
		"overwrite": 'W', "numeric-owner": 'n', "no-same-permissions": 'p'})
	modes := 0
	for _, c := range "cxt" {
		if o.has(string(c)) {
			modes++
		}
	}
	if modes != 1 {
		return e.Errorf("tar: exactly one of 'c', 'x' or 't' must be specified")
	}
	if o.has("jJZ") {
		return e.Errorf("tar: only gzip (-z) compression is emulated in layerlab")
	}
	archive := o.val('f')
	if !o.has("f") {
		archive = "-"
	}
	t := &tarRun{e: e, o: o, dir: e.Dir}
	if o.has("C") {
		t.dir = e.Abs(o.val('C'))
	}
	t.strip, _ = strconv.Atoi(o.val('S'))
	t.excludes = o['X']
	if o.has("c") {
		return t.create(ctx, archive, files)
	}
	var data []byte
	var err error
	if archive == "-" {
		data, err = io.ReadAll(e.Stdin)
	} else {
		data, err = readFile(ctx, e.FS, e.Abs(archive))
	}
	if err != nil {
		return e.Errorf("tar: can't open '%s': %s", archive, reason(err))
	}
	if o.has("z") || bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		// busybox tar recognizes a gzipped archive by its magic even without -z.
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return e.Errorf("tar: invalid magic")
		}
		if data, err = io.ReadAll(zr); err != nil {
			return e.Errorf("tar: corrupted data")
		}
	}
	return t.read(ctx, data, files)
}

type tarRun struct {
	e        *Env
	links    map[uint64]string // inode -> the name it was first stored under
	o        opts
	dir      string
	strip    int
	excludes []string
}

func (t *tarRun) excluded(name string) bool {
	for _, pat := range t.excludes {
		for p := strings.TrimSuffix(name, "/"); p != "." && p != ""; p = path.Dir(p) {
			if ok, _ := path.Match(pat, p); ok {
				return true
			}
			if ok, _ := path.Match(pat, path.Base(p)); ok {
				return true
			}
			if !strings.Contains(p, "/") {
				break
			}
		}
	}
	return false
}

// create writes the archive as busybox does: GNU-magic ustar headers with octal fields, the
// owner's names from the image's passwd and group files, hard links as link entries, two
// zero blocks at the end.
func (t *tarRun) create(ctx context.Context, archive string, files []string) int {
	e := t.e
	if len(files) == 0 {
		return e.Errorf("tar: empty archive")
	}
	var buf bytes.Buffer
	code := 0
	warned := false
	for _, f := range files {
		name := f
		if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "../") {
			trimmed := strings.TrimLeft(name, "/")
			for strings.HasPrefix(trimmed, "../") {
				trimmed = trimmed[3:]
			}
			if !warned {
				prefix := name[:len(name)-len(trimmed)]
				fmt.Fprintf(e.Stderr, "tar: removing leading '%s' from member names\n", prefix)
				warned = true
			}
			name = trimmed
		}
		p := Abs(t.dir, f)
		stat := e.FS.Lstat
		if t.o.has("h") {
			stat = e.FS.Stat
		}
		fi, err := stat(ctx, p)
		if err != nil {
			code = e.Errorf("tar: %s: %s", f, reason(err))
			continue
		}
		if err := t.add(ctx, &buf, p, name, fi); err != nil {
			code = e.Errorf("tar: %v", err)
		}
	}
	buf.Write(make([]byte, 1024))
	if t.o.has("z") {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression)
		zw.OS = 3 // Unix, as busybox writes
		zw.Write(buf.Bytes())
		zw.Close()
		buf = z
	}
	if archive == "-" {
		e.Stdout.Write(buf.Bytes())
		return code
	}
	if err := writeFile(ctx, e.FS, e.Abs(archive), buf.Bytes(), 0o666); err != nil {
		return e.Errorf("tar: can't open '%s': %s", archive, reason(err))
	}
	return code
}

func (t *tarRun) add(ctx context.Context, buf *bytes.Buffer, p, name string, fi FileInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if name == "" {
		return nil
	}
	if t.excluded(name) {
		return nil
	}
	var data []byte
	link := ""
	if fi.Inode != 0 && !fi.IsDir() {
		if first, ok := t.links[fi.Inode]; ok {
			if t.o.has("v") {
				fmt.Fprintln(t.e.Stdout, name)
			}
			buf.Write(busyboxHeader(ctx, t.e, name, fi, first, true))
			return nil
		}
		if t.links == nil {
			t.links = map[uint64]string{}
		}
		t.links[fi.Inode] = name
	}
	switch {
	case fi.IsLink():
		l, err := t.e.FS.Readlink(ctx, p)
		if err != nil {
			return err
		}
		link = l
	case fi.IsRegular():
		d, err := readFile(ctx, t.e.FS, p)
		if err != nil {
			return fmt.Errorf("%s: %s", name, reason(err))
		}
		data = d
	}
	if t.o.has("v") {
		w := t.e.Stdout
		if t.e.Stdout == nil {
			w = t.e.Stderr
		}
		hname := name
		if fi.IsDir() && !strings.HasSuffix(hname, "/") {
			hname += "/"
		}
		fmt.Fprintln(w, hname)
	}
	buf.Write(busyboxHeader(ctx, t.e, name, fi, link, false))
	if fi.IsRegular() {
		buf.Write(data)
		if pad := (-len(data)) & 511; pad > 0 {
			buf.Write(make([]byte, pad))
		}
	}
	if fi.IsDir() {
		list, err := t.e.FS.ReadDir(ctx, p)
		if err != nil {
			return err
		}
		for _, c := range list {
			// Names are joined as written: "tar cf x ." stores "./a", as busybox does.
			if err := t.add(ctx, buf, path.Join(p, c.Name), strings.TrimSuffix(name, "/")+"/"+c.Name, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// busyboxHeader is one 512-byte header as busybox's writeTarHeader fills it.
func busyboxHeader(ctx context.Context, e *Env, name string, fi FileInfo, link string, hard bool) []byte {
	h := make([]byte, 512)
	octal := func(off, size int, v int64) {
		s := fmt.Sprintf("%0*o", size, v)
		s = s[len(s)-size:]
		if s[0] == '0' {
			s = s[1:] // a leading zero is dropped so that the field ends in NUL
		}
		copy(h[off:off+size], s)
	}
	copy(h[0:100], name)
	octal(100, 8, tarMode(fi.Mode))
	octal(108, 8, int64(fi.UID))
	octal(116, 8, int64(fi.GID))
	copy(h[124:135], "00000000000")
	mt := fi.ModTime.Unix()
	if mt < 0 {
		mt = 0
	}
	octal(136, 12, mt)
	user, group := strconv.Itoa(fi.UID), strconv.Itoa(fi.GID)
	if f := findEntry(ctx, e.FS, "/etc/passwd", func(f []string) bool { return f[2] == user }); f != nil {
		user = f[0]
	}
	if f := findEntry(ctx, e.FS, "/etc/group", func(f []string) bool { return f[2] == group }); f != nil {
		group = f[0]
	}
	copy(h[265:296], user)
	copy(h[297:328], group)
	switch {
	case hard:
		h[156] = tar.TypeLink
		copy(h[157:257], link)
	case fi.IsLink():
		h[156] = tar.TypeSymlink
		copy(h[157:257], link)
	case fi.IsDir():
		h[156] = tar.TypeDir
		if len(name) < 100 && !strings.HasSuffix(name, "/") {
			h[len(name)] = '/'
		}
	case fi.Mode&fs.ModeNamedPipe != 0:
		h[156] = tar.TypeFifo
	default:
		h[156] = tar.TypeReg
		octal(124, 12, fi.Size)
	}
	copy(h[257:265], "ustar  \x00")
	copy(h[148:156], "        ")
	sum := 0
	for _, b := range h {
		sum += int(b)
	}
	copy(h[148:155], fmt.Sprintf("%06o\x00", sum))
	return h
}

// read lists (t) or extracts (x) an archive as busybox does: leading directories made as
// needed, an existing file replaced, owner (by name first), mode and mtime restored, and
// links made after everything else.
func (t *tarRun) read(ctx context.Context, data []byte, only []string) int {
	e := t.e
	tr := tar.NewReader(bytes.NewReader(data))
	type later struct {
		hard         bool
		target, name string
	}
	var links []later
	code := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return e.Errorf("tar: short read")
		}
		name := h.Name
		if len(only) > 0 && !matchesAny(name, only) {
			continue
		}
		if t.excluded(name) {
			continue
		}
		if t.strip > 0 {
			parts := strings.Split(strings.TrimSuffix(name, "/"), "/")
			if len(parts) <= t.strip {
				continue
			}
			name = strings.Join(parts[t.strip:], "/")
		}
		clean := strings.TrimLeft(name, "/")
		if clean != name {
			fmt.Fprintf(e.Stderr, "tar: removing leading '/' from member names\n")
		}
		if t.o.has("t") {
			if t.o.has("v") {
				fmt.Fprintf(e.Stdout, "%s %s/%s %9d %s %s\n", modeString(headerMode(h)), ownerName(h.Uname, h.Uid), ownerName(h.Gname, h.Gid),
					h.Size, h.ModTime.UTC().Format("2006-01-02 15:04:05"), name+linkSuffix(h))
			} else {
				fmt.Fprintln(e.Stdout, name)
			}
			continue
		}
		if t.o.has("v") {
			fmt.Fprintln(e.Stdout, name)
		}
		if t.o.has("O") {
			if h.Typeflag == tar.TypeReg {
				io.Copy(e.Stdout, tr)
			}
			continue
		}
		if strings.Contains("/"+clean+"/", "/../") {
			code = e.Errorf("tar: skipping '%s': path has '..'", name)
			continue
		}
		p := Abs(t.dir, clean)
		if dir := path.Dir(p); dir != p {
			mkdirAll(ctx, e, dir)
		}
		if h.Typeflag != tar.TypeDir {
			if _, err := e.FS.Lstat(ctx, p); err == nil {
				if t.o.has("k") {
					continue
				}
				e.FS.Remove(ctx, p)
			}
		}
		switch h.Typeflag {
		case tar.TypeSymlink:
			links = append(links, later{target: h.Linkname, name: p})
			continue
		case tar.TypeLink:
			links = append(links, later{hard: true, target: Abs(t.dir, strings.TrimLeft(h.Linkname, "/")), name: p})
			continue
		case tar.TypeDir:
			if err := e.FS.Mkdir(ctx, p, fileMode(h.Mode)); err != nil && !errors.Is(err, fs.ErrExist) {
				code = e.Errorf("tar: can't make dir %s: %s", clean, reason(err))
				continue
			}
		case tar.TypeReg, tar.TypeRegA:
			body, _ := io.ReadAll(tr)
			if err := writeFile(ctx, e.FS, p, body, fileMode(h.Mode)); err != nil {
				return e.Errorf("tar: can't open '%s': %s", clean, reason(err))
			}
		default:
			code = e.Errorf("tar: %s: file type not emulated in layerlab", clean)
			continue
		}
		t.restore(ctx, p, h)
	}
	for _, l := range links {
		var err error
		if l.hard {
			err = hardLink(ctx, e.FS, l.target, l.name)
		} else {
			err = e.FS.Symlink(ctx, l.target, l.name)
		}
		if err != nil {
			code = e.Errorf("tar: can't create link '%s': %s", l.name, reason(err))
		}
	}
	return code
}

// restore sets what busybox's tar restores after making an entry.
func (t *tarRun) restore(ctx context.Context, p string, h *tar.Header) {
	e := t.e
	if !t.o.has("o") && e.UID == 0 {
		uid, gid := h.Uid, h.Gid
		if !t.o.has("n") {
			if f := findEntry(ctx, e.FS, "/etc/passwd", func(f []string) bool { return h.Uname != "" && f[0] == h.Uname }); f != nil {
				uid, _ = strconv.Atoi(f[2])
			}
			if f := findEntry(ctx, e.FS, "/etc/group", func(f []string) bool { return h.Gname != "" && f[0] == h.Gname }); f != nil {
				gid, _ = strconv.Atoi(f[2])
			}
		}
		e.FS.Chown(ctx, p, uid, gid)
	}
	if !t.o.has("p") && e.UID == 0 {
		e.FS.Chmod(ctx, p, fileMode(h.Mode))
	}
	if !t.o.has("m") {
		e.FS.Chtimes(ctx, p, time.Unix(h.ModTime.Unix(), 0))
	}
}

func headerMode(h *tar.Header) fs.FileMode {
	m := fileMode(h.Mode)
	switch h.Typeflag {
	case tar.TypeDir:
		m |= fs.ModeDir
	case tar.TypeSymlink:
		m |= fs.ModeSymlink
	}
	return m
}

func ownerName(name string, id int) string {
	if name != "" {
		return name
	}
	return strconv.Itoa(id)
}

func linkSuffix(h *tar.Header) string {
	switch h.Typeflag {
	case tar.TypeSymlink:
		return " -> " + h.Linkname
	case tar.TypeLink:
		return " -> " + h.Linkname
	}
	return ""
}

func matchesAny(name string, pats []string) bool {
	name = strings.TrimSuffix(name, "/")
	for _, p := range pats {
		p = strings.TrimSuffix(p, "/")
		if name == p || strings.HasPrefix(name, p+"/") {
			return true
		}
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// gzipApplet is busybox gzip: FILE becomes FILE.gz (mode kept, FILE removed unless -k),
// -c writes to stdout, -d decompresses, -f overwrites; with no FILE, stdin to stdout. The
// deflate stream is Go's, not busybox's: the same data, but not the same bytes.
func gzipApplet(ctx context.Context, e *Env, args []string) int {
	o, ops, ok := getopt(e, args, "cdfkntv123456789", map[string]byte{"stdout": 'c', "decompress": 'd', "force": 'f', "keep": 'k'})
	if !ok {
		return 1
	}
	if o.has("d") {
		return unzip(ctx, e, "gzip", o, ops)
	}
	level := gzip.DefaultCompression
	for c := byte('1'); c <= '9'; c++ {
		if o.has(string(c)) {
			level = int(c - '0')
		}
	}
	compress := func(data []byte, mtime time.Time) []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, level)
		zw.OS = 3
		if !mtime.IsZero() && mtime.Unix() > 0 {
			zw.ModTime = mtime
		}
		zw.Write(data)
		zw.Close()
		return b.Bytes()
	}
	if len(ops) == 0 {
		data, _ := io.ReadAll(e.Stdin)
		e.Stdout.Write(compress(data, time.Time{}))
		return 0
	}
	code := 0
	for _, name := range ops {
		p := e.Abs(name)
		fi, err := e.FS.Stat(ctx, p)
		if err != nil {
			code = e.Errorf("gzip: can't open '%s': %s", name, reason(err))
			continue
		}
		if fi.IsDir() {
			code = e.Errorf("gzip: %s: Is a directory", name)
			continue
		}
		data, err := readFile(ctx, e.FS, p)
		if err != nil {
			code = e.Errorf("gzip: can't open '%s': %s", name, reason(err))
			continue
		}
		if o.has("c") {
			// busybox writes no mtime when compressing to stdout.
			e.Stdout.Write(compress(data, time.Time{}))
			continue
		}
		if strings.HasSuffix(name, ".gz") {
			code = e.Errorf("gzip: %s: already has .gz suffix -- unchanged", name)
			continue
		}
		if code = replaceFile(ctx, e, "gzip", p, p+".gz", compress(data, fi.ModTime), fi, o, 0); code != 0 {
			continue
		}
	}
	return code
}

// replaceFile writes out next to the source as busybox's bbunzip does: created exclusive
// with the source's mode, its mtime set to mtime when given, the source removed unless -k.
func replaceFile(ctx context.Context, e *Env, applet, src, dst string, out []byte, fi FileInfo, o opts, mtime int64) int {
	if o.has("f") {
		e.FS.Remove(ctx, dst)
	} else if _, err := e.FS.Lstat(ctx, dst); err == nil {
		return e.Errorf("%s: can't open '%s': File exists", applet, dst)
	}
	if err := writeFile(ctx, e.FS, dst, out, fi.Mode.Perm()); err != nil {
		return e.Errorf("%s: can't open '%s': %s", applet, dst, reason(err))
	}
	if mtime != 0 {
		e.FS.Chtimes(ctx, dst, time.Unix(mtime, 0))
	}
	if !o.has("k") {
		e.FS.Remove(ctx, src)
	}
	return 0
}

func gunzipApplet(ctx context.Context, e *Env, args []string) int {
	o, ops, ok := getopt(e, args, "cdfktv", map[string]byte{"stdout": 'c', "force": 'f', "keep": 'k', "test": 't'})
	if !ok {
		return 1
	}
	if args[0] == "zcat" {
		o['c'] = []string{""}
	}
	return unzip(ctx, e, args[0], o, ops)
}

func unzip(ctx context.Context, e *Env, applet string, o opts, ops []string) int {
	decode := func(data []byte) ([]byte, int64, error) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, 0, errors.New("invalid magic")
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			return nil, 0, errors.New("corrupted data")
		}
		return out, zr.ModTime.Unix(), nil
	}
	if len(ops) == 0 {
		data, _ := io.ReadAll(e.Stdin)
		out, _, err := decode(data)
		if err != nil {
			return e.Errorf("%s: %v", applet, err)
		}
		if !o.has("t") {
			e.Stdout.Write(out)
		}
		return 0
	}
	code := 0
	for _, name := range ops {
		p := e.Abs(name)
		fi, err := e.FS.Stat(ctx, p)
		var data []byte
		if err == nil {
			data, err = readFile(ctx, e.FS, p)
		}
		if err != nil {
			code = e.Errorf("%s: can't open '%s': %s", applet, name, reason(err))
			continue
		}
		out, mtime, err := decode(data)
		if err != nil {
			code = e.Errorf("%s: %v", applet, err)
			continue
		}
		if o.has("t") {
			continue
		}
		if o.has("c") {
			e.Stdout.Write(out)
			continue
		}
		var dst string
		switch {
		case strings.HasSuffix(p, ".gz"):
			dst = strings.TrimSuffix(p, ".gz")
		case strings.HasSuffix(p, ".tgz"):
			dst = strings.TrimSuffix(p, ".tgz") + ".tar"
		default:
			code = e.Errorf("%s: %s: unknown suffix - ignored", applet, name)
			continue
		}
		if c := replaceFile(ctx, e, applet, p, dst, out, fi, o, mtime); c != 0 {
			code = c
		}
	}
	return code
}
