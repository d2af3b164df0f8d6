package term

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Env is what an applet may touch: the filesystem, the directory names are relative to, and
// its streams. It does not mention the shell, so the build's RUN emulation can run the same
// applets over its own FS.
type Env struct {
	FS             FS
	Dir            string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	TTY            bool
	Getenv         func(string) string
}

func (e *Env) abs(name string) string { return Abs(e.Dir, name) }

// An Applet is one command: it returns the exit status and reports errors on env.Stderr as
// coreutils does ("rm: cannot remove 'x': No such file or directory").
type Applet func(ctx context.Context, env *Env, args []string) int

var applets map[string]Applet

func init() {
	applets = map[string]Applet{
		"ls":    ls,
		"cat":   cat,
		"mkdir": mkdir,
		"rm":    rm,
		"cp":    cp,
		"mv":    mv,
		"touch": touch,
		"sleep": sleep,
	}
}

// Lookup returns the applet called name.
func Lookup(name string) (Applet, bool) {
	a, ok := applets[name]
	return a, ok
}

// flags splits args into single-letter flags (-rf, -l) and operands; "--" ends flags. An
// unknown flag is reported as coreutils does and returns ok == false.
func flags(env *Env, cmd string, args []string, known string) (set map[byte]bool, operands []string, ok bool) {
	set = map[byte]bool{}
	for i, a := range args {
		if a == "--" {
			return set, append(operands, args[i+1:]...), true
		}
		if len(a) < 2 || a[0] != '-' {
			operands = append(operands, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			if c == 'R' {
				c = 'r'
			}
			if strings.IndexByte(known, c) < 0 {
				fmt.Fprintf(env.Stderr, "%s: invalid option -- '%c'\n", cmd, a[j])
				return nil, nil, false
			}
			set[c] = true
		}
	}
	return set, operands, true
}

// reason is the coreutils wording for err.
func reason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrExist):
		return "File exists"
	}
	return err.Error()
}

func ls(ctx context.Context, env *Env, args []string) int {
	f, ops, ok := flags(env, "ls", args, "la1")
	if !ok {
		return 2
	}
	if len(ops) == 0 {
		ops = []string{"."}
	}
	code := 0
	var files []FileInfo
	var dirs []string
	for _, op := range ops {
		fi, err := env.FS.Stat(ctx, env.abs(op))
		if err != nil {
			fmt.Fprintf(env.Stderr, "ls: cannot access '%s': %s\n", op, reason(err))
			code = 2
			continue
		}
		if fi.Dir {
			dirs = append(dirs, op)
		} else {
			fi.Name = op
			files = append(files, fi)
		}
	}
	first := true
	if len(files) > 0 {
		lsPrint(env, files, f['l'], f['1'])
		first = false
	}
	for _, d := range dirs {
		entries, err := env.FS.ReadDir(ctx, env.abs(d))
		if err != nil {
			fmt.Fprintf(env.Stderr, "ls: cannot open directory '%s': %s\n", d, reason(err))
			code = 2
			continue
		}
		var shown []FileInfo
		if f['a'] {
			shown = append(shown, FileInfo{Name: ".", Dir: true}, FileInfo{Name: "..", Dir: true})
		}
		for _, e := range entries {
			if f['a'] || !strings.HasPrefix(e.Name, ".") {
				shown = append(shown, e)
			}
		}
		if len(ops) > 1 {
			if !first {
				fmt.Fprintln(env.Stdout)
			}
			fmt.Fprintf(env.Stdout, "%s:\n", d)
		}
		first = false
		if f['l'] {
			var blocks int64
			for _, e := range shown {
				blocks += (lsSize(e) + 1023) / 1024
			}
			fmt.Fprintf(env.Stdout, "total %d\n", blocks)
		}
		lsPrint(env, shown, f['l'], f['1'])
	}
	return code
}

func lsPrint(env *Env, fis []FileInfo, long, one bool) {
	if long {
		width := 1
		for _, fi := range fis {
			width = max(width, len(strconv.FormatInt(lsSize(fi), 10)))
		}
		for _, fi := range fis {
			mode := "-rw-r--r--"
			if fi.Dir {
				mode = "drwxr-xr-x"
			}
			t := fi.ModTime
			if t.IsZero() {
				t = time.Unix(0, 0)
			}
			fmt.Fprintf(env.Stdout, "%s 1 root root %*d %s %s\n", mode, width, lsSize(fi), t.UTC().Format("Jan _2 15:04"), fi.Name)
		}
		return
	}
	if !env.TTY || one {
		for _, fi := range fis {
			fmt.Fprintln(env.Stdout, fi.Name)
		}
		return
	}
	names := make([]string, len(fis))
	for i, fi := range fis {
		names[i] = fi.Name
	}
	if len(names) > 0 {
		fmt.Fprintln(env.Stdout, strings.Join(names, "  "))
	}
}

func lsSize(fi FileInfo) int64 {
	if fi.Dir {
		return 4096
	}
	return fi.Size
}

func cat(ctx context.Context, env *Env, args []string) int {
	_, ops, ok := flags(env, "cat", args, "")
	if !ok {
		return 1
	}
	if len(ops) == 0 {
		ops = []string{"-"}
	}
	code := 0
	for _, op := range ops {
		if op == "-" {
			if _, err := io.Copy(env.Stdout, env.Stdin); err != nil {
				fmt.Fprintf(env.Stderr, "cat: -: %v\n", err)
				code = 1
			}
			continue
		}
		p := env.abs(op)
		if fi, err := env.FS.Stat(ctx, p); err == nil && fi.Dir {
			fmt.Fprintf(env.Stderr, "cat: %s: Is a directory\n", op)
			code = 1
			continue
		}
		f, err := env.FS.Open(ctx, p)
		if err != nil {
			fmt.Fprintf(env.Stderr, "cat: %s: %s\n", op, reason(err))
			code = 1
			continue
		}
		_, err = io.Copy(env.Stdout, f)
		f.Close()
		if err != nil {
			fmt.Fprintf(env.Stderr, "cat: %s: %v\n", op, err)
			code = 1
		}
	}
	return code
}

func mkdir(ctx context.Context, env *Env, args []string) int {
	f, ops, ok := flags(env, "mkdir", args, "p")
	if !ok {
		return 1
	}
	if len(ops) == 0 {
		fmt.Fprintln(env.Stderr, "mkdir: missing operand")
		return 1
	}
	code := 0
	for _, op := range ops {
		p := env.abs(op)
		if !f['p'] {
			if _, err := env.FS.Stat(ctx, p); err == nil {
				fmt.Fprintf(env.Stderr, "mkdir: cannot create directory '%s': File exists\n", op)
				code = 1
				continue
			}
			if parent, err := env.FS.Stat(ctx, path.Dir(p)); err != nil || !parent.Dir {
				fmt.Fprintf(env.Stderr, "mkdir: cannot create directory '%s': No such file or directory\n", op)
				code = 1
				continue
			}
		}
		if err := env.FS.Mkdir(ctx, p); err != nil {
			fmt.Fprintf(env.Stderr, "mkdir: cannot create directory '%s': %s\n", op, reason(err))
			code = 1
		}
	}
	return code
}

// kept are the folders rm and mv refuse to remove: the roots the playground keeps.
func kept(p string) bool { return p == "/" || p == Workspace || p == Home }

func rm(ctx context.Context, env *Env, args []string) int {
	f, ops, ok := flags(env, "rm", args, "rfv")
	if !ok {
		return 1
	}
	if len(ops) == 0 {
		if f['f'] {
			return 0
		}
		fmt.Fprintln(env.Stderr, "rm: missing operand")
		return 1
	}
	code := 0
	for _, op := range ops {
		p := env.abs(op)
		if kept(p) {
			fmt.Fprintf(env.Stderr, "rm: refusing to remove '%s': the playground keeps it\n", op)
			code = 1
			continue
		}
		fi, err := env.FS.Stat(ctx, p)
		if err != nil {
			if !f['f'] || !errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(env.Stderr, "rm: cannot remove '%s': %s\n", op, reason(err))
				code = 1
			}
			continue
		}
		if fi.Dir && !f['r'] {
			fmt.Fprintf(env.Stderr, "rm: cannot remove '%s': Is a directory\n", op)
			code = 1
			continue
		}
		if err := env.FS.Remove(ctx, p); err != nil {
			fmt.Fprintf(env.Stderr, "rm: cannot remove '%s': %s\n", op, reason(err))
			code = 1
			continue
		}
		if f['v'] {
			fmt.Fprintf(env.Stdout, "removed '%s'\n", op)
		}
	}
	return code
}

// targets resolves cp's and mv's operands: the last one is the destination, a folder when
// there are several sources.
func targets(ctx context.Context, env *Env, cmd string, ops []string) (srcs []string, dst string, intoDir bool, ok bool) {
	if len(ops) == 0 {
		fmt.Fprintf(env.Stderr, "%s: missing file operand\n", cmd)
		return nil, "", false, false
	}
	if len(ops) == 1 {
		fmt.Fprintf(env.Stderr, "%s: missing destination file operand after '%s'\n", cmd, ops[0])
		return nil, "", false, false
	}
	srcs, dst = ops[:len(ops)-1], ops[len(ops)-1]
	fi, err := env.FS.Stat(ctx, env.abs(dst))
	intoDir = err == nil && fi.Dir
	if len(srcs) > 1 && !intoDir {
		fmt.Fprintf(env.Stderr, "%s: target '%s': Not a directory\n", cmd, dst)
		return nil, "", false, false
	}
	return srcs, dst, intoDir, true
}

func cp(ctx context.Context, env *Env, args []string) int {
	f, ops, ok := flags(env, "cp", args, "rfpa")
	if !ok {
		return 1
	}
	srcs, dst, intoDir, ok := targets(ctx, env, "cp", ops)
	if !ok {
		return 1
	}
	code := 0
	for _, src := range srcs {
		from, to := env.abs(src), env.abs(dst)
		if intoDir {
			to = path.Join(to, path.Base(from))
		}
		fi, err := env.FS.Stat(ctx, from)
		if err != nil {
			fmt.Fprintf(env.Stderr, "cp: cannot stat '%s': %s\n", src, reason(err))
			code = 1
			continue
		}
		if fi.Dir && !f['r'] && !f['a'] {
			fmt.Fprintf(env.Stderr, "cp: -r not specified; omitting directory '%s'\n", src)
			code = 1
			continue
		}
		if fi.Dir && (to == from || strings.HasPrefix(to, from+"/")) {
			fmt.Fprintf(env.Stderr, "cp: cannot copy a directory, '%s', into itself, '%s'\n", src, dst)
			code = 1
			continue
		}
		if err := copyTree(ctx, env.FS, from, to, fi); err != nil {
			fmt.Fprintf(env.Stderr, "cp: %v\n", err)
			code = 1
		}
	}
	return code
}

// copyTree copies the file or folder from (described by fi) to to.
func copyTree(ctx context.Context, fsys FS, from, to string, fi FileInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if fi.Dir {
		if err := fsys.Mkdir(ctx, to); err != nil {
			return fmt.Errorf("cannot create directory '%s': %s", to, reason(err))
		}
		entries, err := fsys.ReadDir(ctx, from)
		if err != nil {
			return fmt.Errorf("cannot read '%s': %s", from, reason(err))
		}
		for _, e := range entries {
			if err := copyTree(ctx, fsys, path.Join(from, e.Name), path.Join(to, e.Name), e); err != nil {
				return err
			}
		}
		return nil
	}
	if from == to {
		return fmt.Errorf("'%s' and '%s' are the same file", from, to)
	}
	r, err := fsys.Open(ctx, from)
	if err != nil {
		return fmt.Errorf("cannot open '%s' for reading: %s", from, reason(err))
	}
	defer r.Close()
	w, err := fsys.Create(ctx, to)
	if err != nil {
		return fmt.Errorf("cannot create regular file '%s': %s", to, reason(err))
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return fmt.Errorf("copying '%s' to '%s': %w", from, to, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing '%s': %w", to, err)
	}
	return nil
}

func mv(ctx context.Context, env *Env, args []string) int {
	_, ops, ok := flags(env, "mv", args, "f")
	if !ok {
		return 1
	}
	srcs, dst, intoDir, ok := targets(ctx, env, "mv", ops)
	if !ok {
		return 1
	}
	code := 0
	for _, src := range srcs {
		from, to := env.abs(src), env.abs(dst)
		if intoDir {
			to = path.Join(to, path.Base(from))
		}
		if from == to {
			fmt.Fprintf(env.Stderr, "mv: '%s' and '%s' are the same file\n", src, dst)
			code = 1
			continue
		}
		if kept(from) {
			fmt.Fprintf(env.Stderr, "mv: cannot move '%s': the playground keeps it\n", src)
			code = 1
			continue
		}
		fi, err := env.FS.Stat(ctx, from)
		if err != nil {
			fmt.Fprintf(env.Stderr, "mv: cannot stat '%s': %s\n", src, reason(err))
			code = 1
			continue
		}
		if fi.Dir && strings.HasPrefix(to, from+"/") {
			fmt.Fprintf(env.Stderr, "mv: cannot move '%s' to a subdirectory of itself, '%s'\n", src, dst)
			code = 1
			continue
		}
		if old, err := env.FS.Stat(ctx, to); err == nil {
			if old.Dir != fi.Dir {
				if old.Dir {
					fmt.Fprintf(env.Stderr, "mv: cannot overwrite directory '%s' with non-directory\n", dst)
				} else {
					fmt.Fprintf(env.Stderr, "mv: cannot overwrite non-directory '%s' with directory '%s'\n", dst, src)
				}
				code = 1
				continue
			}
			if old.Dir {
				if err := env.FS.Remove(ctx, to); err != nil {
					fmt.Fprintf(env.Stderr, "mv: %v\n", err)
					code = 1
					continue
				}
			}
		}
		// Copy, then remove: the FS has no rename, and a copy that fails leaves the source.
		if err := copyTree(ctx, env.FS, from, to, fi); err != nil {
			fmt.Fprintf(env.Stderr, "mv: %v\n", err)
			code = 1
			continue
		}
		if err := env.FS.Remove(ctx, from); err != nil {
			fmt.Fprintf(env.Stderr, "mv: cannot remove '%s': %s\n", src, reason(err))
			code = 1
		}
	}
	return code
}

func touch(ctx context.Context, env *Env, args []string) int {
	_, ops, ok := flags(env, "touch", args, "c")
	if !ok {
		return 1
	}
	if len(ops) == 0 {
		fmt.Fprintln(env.Stderr, "touch: missing file operand")
		return 1
	}
	code := 0
	for _, op := range ops {
		p := env.abs(op)
		var data []byte
		if fi, err := env.FS.Stat(ctx, p); err == nil {
			if fi.Dir {
				continue
			}
			f, err := env.FS.Open(ctx, p)
			if err == nil {
				data, err = io.ReadAll(f)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(env.Stderr, "touch: cannot touch '%s': %s\n", op, reason(err))
				code = 1
				continue
			}
		}
		w, err := env.FS.Create(ctx, p)
		if err == nil {
			_, err = w.Write(data)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "touch: cannot touch '%s': %s\n", op, reason(err))
			code = 1
		}
	}
	return code
}

// sleep waits whole or fractional seconds; a cancelled ctx (Ctrl-C) ends it with 130.
func sleep(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "sleep: missing operand")
		return 1
	}
	var total time.Duration
	for _, a := range args {
		secs, err := strconv.ParseFloat(strings.TrimSuffix(a, "s"), 64)
		if err != nil || secs < 0 || math.IsInf(secs, 0) || math.IsNaN(secs) || secs > 1e9 {
			fmt.Fprintf(env.Stderr, "sleep: invalid time interval '%s'\n", a)
			return 1
		}
		total += time.Duration(secs * float64(time.Second))
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

func sortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
