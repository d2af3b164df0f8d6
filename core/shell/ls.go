package shell

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

func ls(ctx context.Context, e *Env, args []string) int {
	o, ops, ok := getopt(e, args, "1aAdlLFpRrtSh", map[string]byte{"all": 'a'})
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
		fi, err := e.FS.Stat(ctx, e.Abs(op))
		if err != nil {
			code = e.Errorf(e.pick("ls: %s: %s", "ls: cannot access '%s': %s"), op, reason(err))
			if e.Flavour == Coreutils {
				code = 2
			}
			continue
		}
		if fi.IsDir() && !o.has("d") {
			dirs = append(dirs, op)
		} else {
			fi.Name = op
			files = append(files, fi)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	sort.Strings(dirs)
	first := true
	if len(files) > 0 {
		lsPrint(ctx, e, files, o)
		first = false
	}
	for _, d := range dirs {
		entries, err := e.FS.ReadDir(ctx, e.Abs(d))
		if err != nil {
			code = e.Errorf(e.pick("ls: %s: %s", "ls: cannot open directory '%s': %s"), d, reason(err))
			continue
		}
		var shown []FileInfo
		if o.has("a") {
			self, _ := e.FS.Stat(ctx, e.Abs(d))
			parent, _ := e.FS.Stat(ctx, e.Abs(d+"/.."))
			self.Name, parent.Name = ".", ".."
			shown = append(shown, self, parent)
		}
		for _, c := range entries {
			if o.has("aA") || !strings.HasPrefix(c.Name, ".") {
				shown = append(shown, c)
			}
		}
		if len(ops) > 1 {
			if !first {
				fmt.Fprintln(e.Stdout)
			}
			fmt.Fprintf(e.Stdout, "%s:\n", d)
		}
		first = false
		if o.has("l") {
			var blocks int64
			for _, c := range shown {
				blocks += lsBlocks(e, c)
			}
			fmt.Fprintf(e.Stdout, "total %d\n", blocks)
		}
		lsPrint(ctx, e, shown, o)
	}
	return code
}

// lsBlocks is a file's size in 1K blocks as a filesystem with 4K blocks reports it
// (busybox), or rounded up to 1K (the terminal's workspace, which has no blocks).
func lsBlocks(e *Env, fi FileInfo) int64 {
	size := lsSize(fi)
	if e.Flavour == Busybox {
		return (size + 4095) / 4096 * 4
	}
	return (size + 1023) / 1024
}

func lsPrint(ctx context.Context, e *Env, fis []FileInfo, o opts) {
	if o.has("l") {
		width := 1
		for _, fi := range fis {
			width = max(width, len(strconv.FormatInt(lsSize(fi), 10)))
		}
		for _, fi := range fis {
			t := fi.ModTime
			if t.IsZero() {
				t = time.Unix(0, 0)
			}
			name := fi.Name
			if fi.IsLink() {
				if target, err := e.FS.Readlink(ctx, e.Abs(fi.Name)); err == nil {
					name += " -> " + target
				}
			}
			if e.Flavour == Coreutils {
				fmt.Fprintf(e.Stdout, "%s 1 root root %*d %s %s\n", modeString(fi.Mode), width, lsSize(fi), t.UTC().Format("Jan _2 15:04"), name)
				continue
			}
			user, group := strconv.Itoa(fi.UID), strconv.Itoa(fi.GID)
			if f := findEntry(ctx, e.FS, "/etc/passwd", func(f []string) bool { return f[2] == user }); f != nil {
				user = f[0]
			}
			if f := findEntry(ctx, e.FS, "/etc/group", func(f []string) bool { return f[2] == group }); f != nil {
				group = f[0]
			}
			links := 1
			if fi.IsDir() {
				links = 2
			}
			fmt.Fprintf(e.Stdout, "%s %4d %-8s %-8s %9d %s %s\n", modeString(fi.Mode), links, user, group, lsSize(fi), t.UTC().Format("Jan _2 15:04"), name)
		}
		return
	}
	if !e.TTY || o.has("1") {
		for _, fi := range fis {
			fmt.Fprintln(e.Stdout, fi.Name)
		}
		return
	}
	names := make([]string, len(fis))
	for i, fi := range fis {
		names[i] = fi.Name
	}
	if len(names) > 0 {
		fmt.Fprintln(e.Stdout, strings.Join(names, "  "))
	}
}

func lsSize(fi FileInfo) int64 {
	if fi.IsDir() {
		return 4096
	}
	return fi.Size
}

// modeString is ls -l's "drwxr-xr-x".
func modeString(m fs.FileMode) string {
	b := []byte("-rwxrwxrwx")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	}
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	setBit := func(i int, on bool, lower, upper byte) {
		if on {
			if b[i] == 'x' {
				b[i] = lower
			} else {
				b[i] = upper
			}
		}
	}
	setBit(3, m&fs.ModeSetuid != 0, 's', 'S')
	setBit(6, m&fs.ModeSetgid != 0, 's', 'S')
	setBit(9, m&fs.ModeSticky != 0, 't', 'T')
	return string(b)
}
