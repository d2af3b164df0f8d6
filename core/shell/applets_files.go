package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(map[string]Applet{
		"mkdir": mkdir, "touch": touch, "rm": rm, "rmdir": rmdir, "ln": ln, "chmod": chmod,
		"chown": chown_, "chgrp": chgrp, "cat": cat, "cp": cp, "mv": mv, "sleep": sleep,
	})
}

// mkdirAll makes p and the directories above it that are missing, following symlinks.
func mkdirAll(ctx context.Context, e *Env, p string) error {
	fi, err := e.FS.Stat(ctx, p)
	if err == nil {
		if !fi.IsDir() {
			return pathErr("mkdir", p, ErrNotDir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if dir := path.Dir(p); dir != p {
		if err := mkdirAll(ctx, e, dir); err != nil {
			return err
		}
	}
	return e.FS.Mkdir(ctx, p, 0o777)
}

func mkdir(ctx context.Context, e *Env, args []string) int {
	o, ops, ok := getopt(e, args, "pm:v", map[string]byte{"parents": 'p', "mode=": 'm'})
	if !ok {
		return 1
	}
	if len(ops) == 0 {
		return e.Errorf("mkdir: missing operand")
	}
	var mode fs.FileMode
	if o.has("m") {
		n, err := strconv.ParseUint(o.val('m'), 8, 32)
		if err != nil {
			return e.Errorf("mkdir: invalid mode '%s'", o.val('m'))
		}
		mode = fileMode(int64(n))
	}
	code := 0
	for _, d := range ops {
		p := e.Abs(d)
		var err error
		if o.has("p") {
			err = mkdirAll(ctx, e, p)
		} else {
			err = e.FS.Mkdir(ctx, p, 0o777)
		}
		if err == nil && o.has("m") {
			err = e.FS.Chmod(ctx, p, mode)
		}
		if err != nil {
			code = e.Errorf("mkdir: %s create directory '%s': %s", e.pick("can't", "cannot"), d, reason(err))
		}
	}
	return code
}

// specialPerm are the mode bits chmod sets: permissions, setuid, setgid, sticky.
const specialPerm = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// fileMode turns tar-style permission bits (with setuid/setgid/sticky) into a FileMode.
func fileMode(b int64) fs.FileMode {
	m := fs.FileMode(b & 0o777)
	if b&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if b&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if b&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

func touch(ctx context.Context, e *Env, args []string) int {
	o, ops, ok := getopt(e, args, "cd:r:t:", nil)
	if !ok {
		return 1
	}
	if len(ops) == 0 {
		return e.Errorf("touch: missing file operand")
	}
	code := 0
	now := e.Now()
	for _, name := range ops {
		p := e.Abs(name)
		if _, err := e.FS.Stat(ctx, p); err == nil {
			if err := touchExisting(ctx, e, p, now); err != nil {
				code = e.Errorf("touch: %s", reason(err))
			}
			continue
		}
		if o.has("c") {
			continue
		}
		w, err := e.FS.Create(ctx, p, 0o666, false)
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			code = e.Errorf(e.pick("touch: %s: %s", "touch: cannot touch '%s': %s"), name, reason(err))
		}
	}
	return code
}

// touchExisting sets an existing file's mtime to now; an FS without times (the terminal's
// workspace) records the change by writing the file again.
func touchExisting(ctx context.Context, e *Env, p string, now time.Time) error {
	err := e.FS.Chtimes(ctx, p, now)
	if !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	if fi, err := e.FS.Stat(ctx, p); err != nil || fi.IsDir() {
		return err
	}
	data, err := readFile(ctx, e.FS, p)
	if err != nil {
		return err
	}
	return writeFile(ctx, e.FS, p, data, 0o666)
}

func rm(ctx context.Context, e *Env, args []string) int {
	o, ops, ok := getopt(e, args, "rRfiv", map[string]byte{"recursive": 'r', "force": 'f'})
	if !ok {
		return 1
	}
	if len(ops) == 0 {
		if o.has("f") {
			return 0
		}
		return e.Errorf("rm: missing operand")
	}
	code := 0
	for _, name := range ops {
		p := e.Abs(name)
		if e.kept(p) {
			code = e.Errorf("rm: refusing to remove '%s': the playground keeps it", name)
			continue
		}
		fi, err := e.FS.Lstat(ctx, p)
		if err != nil {
			if !o.has("f") || !errors.Is(err, fs.ErrNotExist) {
				code = e.Errorf("rm: %s remove '%s': %s", e.pick("can't", "cannot"), name, reason(err))
			}
			continue
		}
		if fi.IsDir() && !o.has("rR") {
			code = e.Errorf(e.pick("rm: '%s' is a directory", "rm: cannot remove '%s': Is a directory"), name)
			continue
		}
		if err := removeAll(ctx, e.FS, p, fi); err != nil {
			code = e.Errorf("rm: %s remove '%s': %s", e.pick("can't", "cannot"), name, reason(err))
			continue
		}
		if o.has("v") {
			fmt.Fprintf(e.Stdout, "removed '%s'\n", name)
		}
	}
	return code
}

// removeAll removes p (described by fi) and everything under it.
func removeAll(ctx context.Context, fsys FS, p string, fi FileInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if fi.IsDir() {
		list, err := fsys.ReadDir(ctx, p)
		if err != nil {
			return err
		}
		for _, c := range list {
			if err := removeAll(ctx, fsys, path.Join(p, c.Name), c); err != nil {
				return err
			}
		}
	}
	return fsys.Remove(ctx, p)
}

func rmdir(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "p", map[string]byte{"parents": 'p'})
	code := 0
	for _, name := range ops {
		// With -p, busybox goes on with dirname of what it removed, until ".": an absolute
		// path ends trying (and failing) to remove "/".
		for p := name; ; p = path.Dir(p) {
			fi, err := e.FS.Lstat(ctx, e.Abs(p))
			if err == nil && !fi.IsDir() {
				err = ErrNotDir
			}
			if err == nil {
				err = e.FS.Remove(ctx, e.Abs(p))
			}
			if err != nil {
				code = e.Errorf(e.pick("rmdir: '%s': %s", "rmdir: failed to remove '%s': %s"), p, reason(err))
				break
			}
			if !o.has("p") || path.Dir(p) == "." {
				break
			}
		}
	}
	return code
}

func ln(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "sfnvT", nil)
	if len(ops) < 2 {
		if len(ops) == 1 {
			ops = append(ops, path.Base(ops[0]))
		} else {
			return e.Errorf("ln: missing operand")
		}
	}
	dest := ops[len(ops)-1]
	targets := ops[:len(ops)-1]
	destP := e.Abs(dest)
	destIsDir := false
	if !o.has("n") {
		if fi, err := e.FS.Stat(ctx, destP); err == nil && fi.IsDir() {
			destIsDir = true
		}
	}
	if len(targets) > 1 && !destIsDir {
		return e.Errorf("ln: %s: Not a directory", dest)
	}
	code := 0
	for _, t := range targets {
		p := destP
		if destIsDir {
			p = path.Join(destP, path.Base(t))
		}
		if _, err := e.FS.Lstat(ctx, p); err == nil {
			if !o.has("f") {
				code = e.Errorf("ln: %s: File exists", p)
				continue
			}
			e.FS.Remove(ctx, p)
		}
		var err error
		if o.has("s") {
			err = e.FS.Symlink(ctx, t, p)
		} else {
			err = hardLink(ctx, e.FS, e.Abs(t), p)
		}
		if err != nil {
			code = e.Errorf("ln: %s: %s", t, reason(err))
		}
	}
	return code
}

func hardLink(ctx context.Context, fsys FS, oldname, newname string) error {
	l, ok := fsys.(Linker)
	if !ok {
		return pathErr("link", newname, errors.ErrUnsupported)
	}
	return l.Link(ctx, oldname, newname)
}

// parseMode applies an octal or symbolic chmod mode to old (tar-style bits).
func parseMode(spec string, old int64, isDir bool) (int64, bool) {
	if n, err := strconv.ParseUint(spec, 8, 32); err == nil {
		return int64(n), n <= 0o7777
	}
	mode := old
	for _, clause := range strings.Split(spec, ",") {
		i := 0
		who := int64(0)
		for ; i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0; i++ {
			switch clause[i] {
			case 'u':
				who |= 0o4700
			case 'g':
				who |= 0o2070
			case 'o':
				who |= 0o1007
			case 'a':
				who |= 0o7777
			}
		}
		if who == 0 {
			who = 0o7777 &^ Umask
		}
		if i >= len(clause) || strings.IndexByte("+-=", clause[i]) < 0 {
			return 0, false
		}
		op := clause[i]
		bits := int64(0)
		for _, c := range clause[i+1:] {
			switch c {
			case 'r':
				bits |= 0o444
			case 'w':
				bits |= 0o222
			case 'x':
				bits |= 0o111
			case 'X':
				if isDir || old&0o111 != 0 {
					bits |= 0o111
				}
			case 's':
				bits |= 0o6000
			case 't':
				bits |= 0o1000
			default:
				return 0, false
			}
		}
		bits &= who
		switch op {
		case '+':
			mode |= bits
		case '-':
			mode &^= bits
		case '=':
			mode = mode&^who | bits
		}
	}
	return mode, true
}

// walk calls fn for p (described by fi) and, if recursive, everything under it; entries
// below p are lstat'ed, so symlinks are not followed.
func walk(ctx context.Context, fsys FS, p string, fi FileInfo, recursive bool, fn func(p string, fi FileInfo)) {
	fn(p, fi)
	if !recursive || !fi.IsDir() {
		return
	}
	list, _ := fsys.ReadDir(ctx, p)
	for _, c := range list {
		walk(ctx, fsys, path.Join(p, c.Name), c, true, fn)
	}
}

func chmod(ctx context.Context, e *Env, args []string) int {
	// A mode like -w or -x would read as options.
	var lead []string
	rest := args[1:]
	for len(rest) > 0 && len(rest[0]) > 1 && rest[0][0] == '-' && strings.Trim(rest[0][1:], "R") == "" {
		lead, rest = append(lead, rest[0]), rest[1:]
	}
	o, _, _ := getopt(e, append([]string{args[0]}, lead...), "R", nil)
	ops := rest
	if len(ops) > 0 && ops[0] == "--" {
		ops = ops[1:]
	}
	if len(ops) < 2 {
		return e.Errorf("chmod: missing operand")
	}
	code := 0
	for _, name := range ops[1:] {
		p := e.Abs(name)
		fi, err := e.FS.Stat(ctx, p)
		if err != nil {
			code = e.Errorf("chmod: %s: %s", name, reason(err))
			continue
		}
		walk(ctx, e.FS, p, fi, o.has("R"), func(p string, fi FileInfo) {
			if fi.IsLink() {
				return
			}
			mode, ok := parseMode(ops[0], tarMode(fi.Mode), fi.IsDir())
			if !ok {
				code = e.Errorf("chmod: invalid mode '%s'", ops[0])
				return
			}
			if err := e.FS.Chmod(ctx, p, fileMode(mode)); err != nil {
				code = e.Errorf("chmod: %s: %s", p, reason(err))
			}
		})
	}
	return code
}

func chown_(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "RhfvLHP", nil)
	if len(ops) < 2 {
		return e.Errorf("chown: missing operand")
	}
	uid, gid, err := LookupUser(ctx, e.FS, ops[0])
	if err != nil {
		return e.Errorf("chown: unknown user/group %s", ops[0])
	}
	if !strings.Contains(ops[0], ":") {
		gid = -1
	}
	return chownAll(ctx, e, "chown", o, ops[1:], uid, gid)
}

func chownAll(ctx context.Context, e *Env, applet string, o opts, names []string, uid, gid int) int {
	code := 0
	for _, name := range names {
		p := e.Abs(name)
		stat, set := e.FS.Stat, e.FS.Chown
		if o.has("h") {
			stat, set = e.FS.Lstat, e.FS.Lchown
		}
		fi, err := stat(ctx, p)
		if err != nil {
			code = e.Errorf("%s: %s: %s", applet, name, reason(err))
			continue
		}
		if err := set(ctx, p, uid, gid); err != nil {
			code = e.Errorf("%s: %s: %s", applet, name, reason(err))
			continue
		}
		walk(ctx, e.FS, p, fi, o.has("R"), func(q string, _ FileInfo) {
			if q != p {
				e.FS.Lchown(ctx, q, uid, gid)
			}
		})
	}
	return code
}

func chgrp(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "RhfvLHP", nil)
	if len(ops) < 2 {
		return e.Errorf("chgrp: missing operand")
	}
	gid, err := strconv.Atoi(ops[0])
	if err != nil {
		g := findEntry(ctx, e.FS, "/etc/group", func(f []string) bool { return f[0] == ops[0] })
		if g == nil {
			return e.Errorf("chgrp: unknown group %s", ops[0])
		}
		gid, _ = strconv.Atoi(g[2])
	}
	return chownAll(ctx, e, "chgrp", o, ops[1:], -1, gid)
}

func cat(ctx context.Context, e *Env, args []string) int {
	_, ops, ok := getopt(e, args, "nbvetu", nil)
	if !ok {
		return 1
	}
	if len(ops) == 0 {
		ops = []string{"-"}
	}
	code := 0
	for _, name := range ops {
		if name == "-" {
			io.Copy(e.Stdout, e.Stdin)
			continue
		}
		p := e.Abs(name)
		fi, err := e.FS.Stat(ctx, p)
		if err == nil && fi.IsDir() {
			code = e.Errorf(e.pick("cat: read error: Is a directory", "cat: %s: Is a directory"), name)
			continue
		}
		var r io.ReadCloser
		if err == nil {
			r, err = e.FS.Open(ctx, p)
		}
		if err != nil {
			code = e.Errorf(e.pick("cat: can't open '%s': %s", "cat: %s: %s"), name, reason(err))
			continue
		}
		_, err = io.Copy(e.Stdout, r)
		r.Close()
		if err != nil {
			code = e.Errorf("cat: %s: %v", name, err)
		}
	}
	return code
}

// targets resolves cp's and mv's operands: the last is the destination, a directory when
// there are several sources.
func targets(ctx context.Context, e *Env, cmd string, ops []string) (srcs []string, dst string, intoDir bool, ok bool) {
	if len(ops) < 2 {
		if e.Flavour == Busybox {
			e.Errorf("BusyBox: %s: missing operand", cmd)
		} else if len(ops) == 0 {
			e.Errorf("%s: missing file operand", cmd)
		} else {
			e.Errorf("%s: missing destination file operand after '%s'", cmd, ops[0])
		}
		return nil, "", false, false
	}
	srcs, dst = ops[:len(ops)-1], ops[len(ops)-1]
	fi, err := e.FS.Stat(ctx, e.Abs(dst))
	intoDir = err == nil && fi.IsDir()
	if len(srcs) > 1 && !intoDir {
		e.Errorf(e.pick("%s: '%s' is not a directory", "%s: target '%s': Not a directory"), cmd, dst)
		return nil, "", false, false
	}
	return srcs, dst, intoDir, true
}

func cp(ctx context.Context, e *Env, args []string) int {
	o, ops, ok := getopt(e, args, "rRapdfPLHinuv", map[string]byte{"recursive": 'r', "archive": 'a'})
	if !ok {
		return 1
	}
	srcs, dst, intoDir, ok := targets(ctx, e, "cp", ops)
	if !ok {
		return 1
	}
	recursive, preserve := o.has("rRa"), o.has("ap")
	code := 0
	for _, src := range srcs {
		from, to := e.Abs(src), e.Abs(dst)
		fi, err := e.FS.Stat(ctx, from)
		if err != nil {
			code = e.Errorf("cp: %s stat '%s': %s", e.pick("can't", "cannot"), src, reason(err))
			continue
		}
		if intoDir {
			to = path.Join(to, path.Base(from))
		}
		if fi.IsDir() && !recursive {
			code = e.Errorf(e.pick("cp: omitting directory '%s'", "cp: -r not specified; omitting directory '%s'"), src)
			continue
		}
		if fi.IsDir() && (to == from || strings.HasPrefix(to, from+"/") || from == "/") {
			code = e.Errorf(e.pick("cp: recursion detected, omitting directory '%s'", "cp: cannot copy a directory, '%s', into itself, '"+dst+"'"), src)
			continue
		}
		if !fi.IsDir() && to == from {
			code = e.Errorf("cp: '%s' and '%s' are the same file", src, dst)
			continue
		}
		if err := copyTree(ctx, e, from, to, fi, preserve); err != nil {
			code = e.Errorf("cp: %v", err)
		}
	}
	return code
}

// copyTree copies from (described by fi, symlinks inside it kept as links) to to: new
// files get the source's mode less the umask and the caller's owner, unless preserve (-p,
// -a) keeps mode, owner and times.
func copyTree(ctx context.Context, e *Env, from, to string, fi FileInfo, preserve bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch {
	case fi.IsDir():
		if old, err := e.FS.Stat(ctx, to); err != nil || !old.IsDir() {
			// mkdir keeps the sticky bit of the mode busybox passes (the source's, less the umask).
			if err := e.FS.Mkdir(ctx, to, fi.Mode&(fs.ModePerm|fs.ModeSticky)|0o700); err != nil {
				return fmt.Errorf("%s create directory '%s': %s", e.pick("can't", "cannot"), to, reason(err))
			}
		}
		list, err := e.FS.ReadDir(ctx, from)
		if err != nil {
			return fmt.Errorf("%s read '%s': %s", e.pick("can't", "cannot"), from, reason(err))
		}
		for _, c := range list {
			if err := copyTree(ctx, e, path.Join(from, c.Name), path.Join(to, c.Name), c, preserve); err != nil {
				return err
			}
		}
	case fi.IsLink():
		target, err := e.FS.Readlink(ctx, from)
		if err != nil {
			return fmt.Errorf("%s read link '%s': %s", e.pick("can't", "cannot"), from, reason(err))
		}
		e.FS.Remove(ctx, to)
		if err := e.FS.Symlink(ctx, target, to); err != nil {
			return fmt.Errorf("%s create symlink '%s': %s", e.pick("can't", "cannot"), to, reason(err))
		}
		if preserve {
			e.FS.Lchown(ctx, to, fi.UID, fi.GID)
		}
		return nil
	default:
		data, err := readFile(ctx, e.FS, from)
		if err != nil {
			return fmt.Errorf("%s open '%s': %s", e.pick("can't", "cannot"), from, reason(err))
		}
		if err := writeFile(ctx, e.FS, to, data, fi.Mode&specialPerm); err != nil {
			return fmt.Errorf("%s create '%s': %s", e.pick("can't", "cannot"), to, reason(err))
		}
	}
	if preserve {
		e.FS.Chmod(ctx, to, fi.Mode&specialPerm)
		e.FS.Lchown(ctx, to, fi.UID, fi.GID)
		e.FS.Chtimes(ctx, to, fi.ModTime)
	}
	return nil
}

func mv(ctx context.Context, e *Env, args []string) int {
	_, ops, ok := getopt(e, args, "finvT", nil)
	if !ok {
		return 1
	}
	srcs, dst, intoDir, ok := targets(ctx, e, "mv", ops)
	if !ok {
		return 1
	}
	code := 0
	for _, src := range srcs {
		from, to := e.Abs(src), e.Abs(dst)
		if intoDir {
			to = path.Join(to, path.Base(from))
		}
		if e.kept(from) {
			code = e.Errorf("mv: cannot move '%s': the playground keeps it", src)
			continue
		}
		fi, err := e.FS.Lstat(ctx, from)
		if err != nil {
			code = e.Errorf(e.pick("mv: can't rename '%s': %s", "mv: cannot stat '%s': %s"), src, reason(err))
			continue
		}
		if from == to {
			if e.Flavour == Coreutils {
				code = e.Errorf("mv: '%s' and '%s' are the same file", src, dst)
			}
			continue
		}
		if fi.IsDir() && strings.HasPrefix(to, from+"/") {
			code = e.Errorf(e.pick("mv: can't rename '%s': Invalid argument", "mv: cannot move '%s' to a subdirectory of itself, '"+dst+"'"), src)
			continue
		}
		if old, err := e.FS.Lstat(ctx, to); err == nil && old.IsDir() && fi.IsDir() && e.Flavour == Coreutils {
			// The terminal's mv replaces a folder of the same name.
			removeAll(ctx, e.FS, to, old)
		}
		if err := e.FS.Rename(ctx, from, to); err != nil {
			code = e.Errorf(e.pick("mv: can't rename '%s': %s", "mv: cannot move '%s': %s"), src, reason(err))
		}
	}
	return code
}

// sleep waits whole or fractional seconds (s, m, h suffixes); a cancelled run ends it.
func sleep(ctx context.Context, e *Env, args []string) int {
	if len(args) < 2 {
		return e.Errorf("sleep: missing operand")
	}
	var total time.Duration
	for _, a := range args[1:] {
		unit := time.Second
		num := a
		switch {
		case strings.HasSuffix(a, "s"):
			num = a[:len(a)-1]
		case strings.HasSuffix(a, "m"):
			num, unit = a[:len(a)-1], time.Minute
		case strings.HasSuffix(a, "h"):
			num, unit = a[:len(a)-1], time.Hour
		}
		secs, err := strconv.ParseFloat(num, 64)
		if err != nil || secs < 0 || math.IsInf(secs, 0) || math.IsNaN(secs) || secs > 1e9 {
			return e.Errorf(e.pick("sleep: invalid number '%s'", "sleep: invalid time interval '%s'"), a)
		}
		total += time.Duration(secs * float64(unit))
	}
	t := time.NewTimer(total)
	defer t.Stop()
	select {
	case <-t.C:
		return 0
	case <-ctx.Done():
		return 130
	}
}
