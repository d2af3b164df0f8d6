package build

import (
	"archive/tar"
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/interp"

	"github.com/layerlab/layerlab/core/fsys"
)

// applet is a Go version of a busybox applet working on the in-memory filesystem. It
// returns the exit status.
type applet func(m *machine, ctx context.Context, args []string) int

// applets lists the commands RUN can execute beyond the shell's builtins (echo, printf,
// test, [, true, false, cd, pwd, export, ...).
var applets map[string]applet

func init() {
	applets = map[string]applet{
		"mkdir": (*machine).mkdir, "touch": (*machine).touch, "rm": (*machine).rm,
		"rmdir": (*machine).rmdir, "ln": (*machine).ln, "chmod": (*machine).chmod,
		"chown": (*machine).chown, "cat": (*machine).cat, "cp": (*machine).cp,
		"mv": (*machine).mv, "sleep": func(*machine, context.Context, []string) int { return 0 },
	}
}

// externalBuiltins are busybox applets that are also shell builtins.
var externalBuiltins = map[string]bool{"echo": true, "printf": true, "test": true, "[": true, "true": true, "false": true, "pwd": true, "kill": true}

func appletNames() string {
	var n []string
	for k := range externalBuiltins {
		n = append(n, k)
	}
	for k := range applets {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, " ")
}

// exec runs a command the shell did not handle itself: a busybox applet found on PATH.
func (m *machine) exec(ctx context.Context, args []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	hc := interp.HandlerCtx(ctx)
	name := args[0]
	found := ""
	if strings.Contains(name, "/") {
		if n := m.lookup(m.abs(ctx, name)); n != "" {
			found = n
		}
	} else {
		pathVar := hc.Env.Get("PATH").String()
		for _, dir := range strings.Split(pathVar, ":") {
			if dir == "" {
				continue
			}
			if n := m.lookup(path.Join(dir, name)); n != "" {
				found = n
				break
			}
		}
	}
	if found == "" {
		fmt.Fprintf(hc.Stderr, "/bin/sh: %s: not found\n", name)
		fmt.Fprintf(hc.Stderr, "layerlab: RUN emulates these commands besides the shell's builtins: %s\n", appletNames())
		return interp.ExitStatus(127)
	}
	applet := path.Base(name)
	if found == "bin/busybox" && applet == "busybox" && len(args) > 1 {
		applet, args = args[1], args[1:]
	}
	fn, ok := applets[applet]
	if found == "bin/busybox" && !ok && externalBuiltins[applet] {
		// busybox's echo, printf, test... run as programs (from xargs or find -exec) behave
		// as the shell's builtins do.
		args = append([]string{applet}, args[1:]...)
		return hc.Builtin(ctx, args)
	}
	if found != "bin/busybox" || !ok {
		fmt.Fprintf(hc.Stderr, "/bin/sh: %s: not found\n", name)
		fmt.Fprintf(hc.Stderr, "layerlab: %s is not emulated; RUN can execute: %s\n", name, appletNames())
		return interp.ExitStatus(127)
	}
	if code := fn(m, ctx, args); code != 0 {
		return interp.ExitStatus(uint8(code))
	}
	return nil
}

// lookup returns the resolved path of an executable regular file at p, or "".
func (m *machine) lookup(p string) string {
	r, err := m.f.Resolve(p, true)
	if err != nil {
		return ""
	}
	n := m.f.Get(r)
	if n == nil || n.Type != tar.TypeReg || n.Mode&0o111 == 0 {
		return ""
	}
	return r
}

func (m *machine) errf(ctx context.Context, format string, a ...any) int {
	fmt.Fprintf(interp.HandlerCtx(ctx).Stderr, format+"\n", a...)
	return 1
}

// flags splits leading single-letter options ("-rf", "-p") from operands.
func flags(args []string, withValue string) (map[byte]string, []string) {
	f := map[byte]string{}
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			if strings.IndexByte(withValue, c) >= 0 {
				v := a[j+1:]
				if v == "" && i+1 < len(args) {
					i++
					v = args[i]
				}
				f[c] = v
				break
			}
			f[c] = ""
		}
	}
	return f, args[i:]
}

func has(f map[byte]string, cs string) bool {
	for i := 0; i < len(cs); i++ {
		if _, ok := f[cs[i]]; ok {
			return true
		}
	}
	return false
}

func (m *machine) resolveParent(ctx context.Context, p string) (string, error) {
	abs := m.abs(ctx, p)
	dir, err := m.f.Resolve(path.Dir(abs), true)
	if err != nil {
		return "", err
	}
	return path.Join(dir, path.Base(abs)), nil
}

func (m *machine) mkdir(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "m")
	mode := int64(0o755)
	if v, ok := f['m']; ok {
		n, err := strconv.ParseUint(v, 8, 32)
		if err != nil {
			return m.errf(ctx, "mkdir: invalid mode '%s'", v)
		}
		mode = int64(n)
	}
	code := 0
	for _, d := range ops {
		p, err := m.resolveParent(ctx, d)
		if err != nil {
			code = m.errf(ctx, "mkdir: can't create directory '%s': %v", d, err)
			continue
		}
		if has(f, "p") {
			if err := m.f.MkdirAll("/"+p, 0o755, m.uid, m.gid, m.now); err != nil {
				code = m.errf(ctx, "mkdir: can't create directory '%s': Not a directory", d)
				continue
			}
			if _, ok := f['m']; ok {
				n := *m.f.Get(p)
				n.Mode = mode
				m.f.Put(p, &n)
			}
			continue
		}
		if m.f.Get(p) != nil {
			code = m.errf(ctx, "mkdir: can't create directory '%s': File exists", d)
			continue
		}
		if err := m.f.Write(p, &fsys.Node{Type: tar.TypeDir, Mode: mode, UID: m.uid, GID: m.gid, ModTime: m.now}, m.now); err != nil {
			code = m.errf(ctx, "mkdir: can't create directory '%s': No such file or directory", d)
		}
	}
	return code
}

func (m *machine) touch(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "dr")
	code := 0
	for _, name := range ops {
		p, err := m.f.Resolve(m.abs(ctx, name), true)
		if err != nil {
			code = m.errf(ctx, "touch: %s: %v", name, err)
			continue
		}
		if n := m.f.Get(p); n != nil {
			c := *n
			c.ModTime = m.now
			m.f.Update(p, &c)
			continue
		}
		if has(f, "c") {
			continue
		}
		if err := m.f.Write(p, &fsys.Node{Type: tar.TypeReg, Mode: 0o644, UID: m.uid, GID: m.gid, ModTime: m.now}, m.now); err != nil {
			code = m.errf(ctx, "touch: %s: No such file or directory", name)
		}
	}
	return code
}

func (m *machine) rm(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	code := 0
	for _, name := range ops {
		p, err := m.resolveParent(ctx, name)
		if err != nil || m.f.Get(p) == nil {
			if !has(f, "f") {
				code = m.errf(ctx, "rm: can't remove '%s': No such file or directory", name)
			}
			continue
		}
		if m.f.Get(p).IsDir() && !has(f, "rR") {
			code = m.errf(ctx, "rm: '%s' is a directory", name)
			continue
		}
		m.remove(p)
	}
	return code
}

func (m *machine) remove(p string) {
	m.f.Remove(p)
	m.touchDir(path.Dir("/" + p))
}

// touchDir records that a directory's entries changed now.
func (m *machine) touchDir(dir string) {
	d := fsys.Clean(dir)
	if n := m.f.Get(d); n != nil && n.IsDir() {
		c := *n
		c.ModTime = m.now
		m.f.Put(d, &c)
	}
}

func (m *machine) rmdir(ctx context.Context, args []string) int {
	_, ops := flags(args[1:], "")
	code := 0
	for _, name := range ops {
		p, err := m.resolveParent(ctx, name)
		n := m.f.Get(p)
		switch {
		case err != nil || n == nil:
			code = m.errf(ctx, "rmdir: '%s': No such file or directory", name)
		case !n.IsDir():
			code = m.errf(ctx, "rmdir: '%s': Not a directory", name)
		case len(m.f.Children(p)) > 0:
			code = m.errf(ctx, "rmdir: '%s': Directory not empty", name)
		default:
			m.remove(p)
		}
	}
	return code
}

func (m *machine) ln(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	if len(ops) < 2 {
		return m.errf(ctx, "ln: missing operand")
	}
	dest := ops[len(ops)-1]
	targets := ops[:len(ops)-1]
	destP, err := m.resolveParent(ctx, dest)
	if err != nil {
		return m.errf(ctx, "ln: %s: %v", dest, err)
	}
	destIsDir := false
	if !has(f, "n") {
		if r, err := m.f.Resolve("/"+destP, true); err == nil {
			if n := m.f.Get(r); n != nil && n.IsDir() {
				destIsDir, destP = true, r
			}
		}
	}
	if len(targets) > 1 && !destIsDir {
		return m.errf(ctx, "ln: %s: Not a directory", dest)
	}
	code := 0
	for _, t := range targets {
		p := destP
		if destIsDir {
			p = path.Join(destP, path.Base(t))
		}
		if m.f.Get(p) != nil {
			if !has(f, "f") {
				code = m.errf(ctx, "ln: %s: File exists", p)
				continue
			}
			m.f.Remove(p)
		}
		var n *fsys.Node
		if has(f, "s") {
			n = &fsys.Node{Type: tar.TypeSymlink, Mode: 0o777, UID: m.uid, GID: m.gid, ModTime: m.now, Link: t}
		} else {
			src, err := m.f.Resolve(m.abs(ctx, t), false)
			if err != nil || m.f.Get(src) == nil {
				code = m.errf(ctx, "ln: %s: No such file or directory", t)
				continue
			}
			if err := m.f.Link(src, p, m.now); err != nil {
				code = m.errf(ctx, "ln: %s: %v", p, err)
			}
			continue
		}
		if err := m.f.Write(p, n, m.now); err != nil {
			code = m.errf(ctx, "ln: %s: %v", p, err)
		}
	}
	return code
}

// parseMode applies an octal or symbolic chmod mode to old.
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
			who = 0o7777 &^ 0o022
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

func (m *machine) walk(p string, recursive bool, fn func(p string, n *fsys.Node)) {
	n := m.f.Get(p)
	if n == nil {
		return
	}
	fn(p, n)
	if !recursive || !n.IsDir() {
		return
	}
	for _, c := range m.f.Children(p) {
		m.walk(path.Join(p, c), true, fn)
	}
}

func (m *machine) chmod(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	if len(ops) < 2 {
		return m.errf(ctx, "chmod: missing operand")
	}
	code := 0
	for _, name := range ops[1:] {
		p, err := m.f.Resolve(m.abs(ctx, name), true)
		if err != nil || m.f.Get(p) == nil {
			code = m.errf(ctx, "chmod: %s: No such file or directory", name)
			continue
		}
		m.walk(p, has(f, "R"), func(p string, n *fsys.Node) {
			if n.Type == tar.TypeSymlink {
				return
			}
			mode, ok := parseMode(ops[0], n.Mode, n.IsDir())
			if !ok {
				code = m.errf(ctx, "chmod: invalid mode '%s'", ops[0])
				return
			}
			c := *n
			c.Mode = mode
			m.f.Update(p, &c)
		})
	}
	return code
}

func (m *machine) chown(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	if len(ops) < 2 {
		return m.errf(ctx, "chown: missing operand")
	}
	uid, gid, err := lookupUser(m.f, ops[0])
	if err != nil {
		return m.errf(ctx, "chown: unknown user/group %s", ops[0])
	}
	if !strings.Contains(ops[0], ":") {
		gid = -1
	}
	code := 0
	for _, name := range ops[1:] {
		p, err := m.f.Resolve(m.abs(ctx, name), !has(f, "h"))
		if err != nil || m.f.Get(p) == nil {
			code = m.errf(ctx, "chown: %s: No such file or directory", name)
			continue
		}
		m.walk(p, has(f, "R"), func(p string, n *fsys.Node) {
			c := *n
			c.UID = uid
			if gid >= 0 {
				c.GID = gid
			}
			m.f.Update(p, &c)
		})
	}
	return code
}

func (m *machine) cat(ctx context.Context, args []string) int {
	hc := interp.HandlerCtx(ctx)
	_, ops := flags(args[1:], "")
	code := 0
	for _, name := range ops {
		p, err := m.f.Resolve(m.abs(ctx, name), true)
		n := m.f.Get(p)
		if err != nil || n == nil {
			code = m.errf(ctx, "cat: can't open '%s': No such file or directory", name)
			continue
		}
		if n.IsDir() {
			code = m.errf(ctx, "cat: read error: Is a directory")
			continue
		}
		hc.Stdout.Write(n.Data)
	}
	return code
}

func (m *machine) cp(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	if len(ops) < 2 {
		return m.errf(ctx, "cp: missing operand")
	}
	recursive := has(f, "rRa")
	preserve := has(f, "ap")
	dest := ops[len(ops)-1]
	destP, err := m.f.Resolve(m.abs(ctx, dest), true)
	if err != nil {
		return m.errf(ctx, "cp: %s: %v", dest, err)
	}
	dn := m.f.Get(destP)
	destIsDir := dn != nil && dn.IsDir()
	if len(ops) > 2 && !destIsDir {
		return m.errf(ctx, "cp: '%s' is not a directory", dest)
	}
	code := 0
	for _, s := range ops[:len(ops)-1] {
		sp, err := m.f.Resolve(m.abs(ctx, s), true)
		if err != nil || m.f.Get(sp) == nil {
			code = m.errf(ctx, "cp: can't stat '%s': No such file or directory", s)
			continue
		}
		target := destP
		if destIsDir {
			target = path.Join(destP, path.Base("/"+sp))
		}
		if m.f.Get(sp).IsDir() && !recursive {
			code = m.errf(ctx, "cp: omitting directory '%s'", s)
			continue
		}
		if target == sp || strings.HasPrefix(target, sp+"/") || sp == "" {
			code = m.errf(ctx, "cp: recursion detected, omitting directory '%s'", s)
			continue
		}
		m.copyTree(sp, target, preserve)
	}
	return code
}

// copyTree copies src to dst; a rename (mv) keeps the files' inodes, a copy makes new files.
func (m *machine) copyTree(src, dst string, preserve bool, rename ...bool) {
	sn := m.f.Get(src)
	if sn == nil {
		return
	}
	n := *sn
	if len(rename) == 0 {
		n.Inode = 0
	}
	if !preserve {
		n.UID, n.GID, n.ModTime = m.uid, m.gid, m.now
		if n.Type != tar.TypeSymlink {
			n.Mode &^= 0o022 &^ n.Mode // umask applies only to bits the source lacks
		}
	}
	if old := m.f.Get(dst); old != nil && old.IsDir() && n.IsDir() {
		// merge into the existing directory
	} else {
		m.f.Write(dst, &n, m.now)
	}
	if n.IsDir() {
		for _, c := range m.f.Children(src) {
			m.copyTree(path.Join(src, c), path.Join(dst, c), preserve, rename...)
		}
		if preserve {
			m.f.Put(dst, &n)
		}
	}
}

func (m *machine) mv(ctx context.Context, args []string) int {
	_, ops := flags(args[1:], "")
	if len(ops) < 2 {
		return m.errf(ctx, "mv: missing operand")
	}
	dest := ops[len(ops)-1]
	destP, err := m.f.Resolve(m.abs(ctx, dest), true)
	if err != nil {
		return m.errf(ctx, "mv: %s: %v", dest, err)
	}
	dn := m.f.Get(destP)
	destIsDir := dn != nil && dn.IsDir()
	code := 0
	for _, s := range ops[:len(ops)-1] {
		sp, err := m.resolveParent(ctx, s)
		if err != nil || m.f.Get(sp) == nil {
			code = m.errf(ctx, "mv: can't rename '%s': No such file or directory", s)
			continue
		}
		target := destP
		if destIsDir {
			target = path.Join(destP, path.Base("/"+sp))
		}
		if target == sp {
			continue
		}
		if strings.HasPrefix(target, sp+"/") || sp == "" {
			code = m.errf(ctx, "mv: can't rename '%s': Invalid argument", s)
			continue
		}
		m.copyTree(sp, target, true, true)
		m.remove(sp)
	}
	return code
}

var _ = fs.ErrNotExist
