package shell

import (
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
)

func init() {
	register(map[string]Applet{
		"sed": sed, "find": find, "xargs": xargs, "ls": ls,
	})
}

// sedCmd is one parsed sed command.
type sedCmd struct {
	addr1, addr2 sedAddr
	cmd          byte // s p d
	re           *regexp.Regexp
	repl         string
	global       bool
	nth          int
	print        bool
}

type sedAddr struct {
	line int // 0: none, -1: $
	re   *regexp.Regexp
}

func (a sedAddr) match(n int, last bool, line string) bool {
	switch {
	case a.re != nil:
		return a.re.MatchString(line)
	case a.line == -1:
		return last
	default:
		return a.line == n
	}
}

func parseSedAddr(s string) (sedAddr, string, error) {
	switch {
	case s == "":
		return sedAddr{}, s, nil
	case s[0] == '$':
		return sedAddr{line: -1}, s[1:], nil
	case s[0] >= '0' && s[0] <= '9':
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		n, _ := strconv.Atoi(s[:i])
		return sedAddr{line: n}, s[i:], nil
	case s[0] == '/':
		end := strings.IndexByte(s[1:], '/')
		if end < 0 {
			return sedAddr{}, s, fmt.Errorf("unterminated address regex")
		}
		re, err := regexp.Compile(breToRE(s[1 : end+1]))
		if err != nil {
			return sedAddr{}, s, err
		}
		return sedAddr{re: re}, s[end+2:], nil
	}
	return sedAddr{}, s, nil
}

// splitDelim splits "re/repl/flags" on an unescaped delimiter.
func splitDelim(s string, d byte) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if s[i+1] == d {
				cur.WriteByte(d)
			} else {
				cur.WriteByte(s[i])
				cur.WriteByte(s[i+1])
			}
			i++
			continue
		}
		if s[i] == d && len(parts) < 2 {
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(s[i])
	}
	return append(parts, cur.String())
}

func parseSed(script string, extended bool) ([]sedCmd, error) {
	var cmds []sedCmd
	for _, part := range splitSedScript(script) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var c sedCmd
		var err error
		if c.addr1, part, err = parseSedAddr(part); err != nil {
			return nil, err
		}
		if strings.HasPrefix(part, ",") {
			if c.addr2, part, err = parseSedAddr(part[1:]); err != nil {
				return nil, err
			}
		}
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("missing command")
		}
		c.cmd = part[0]
		switch c.cmd {
		case 'p', 'd':
		case 's':
			if len(part) < 2 {
				return nil, fmt.Errorf("unterminated `s' command")
			}
			fields := splitDelim(part[2:], part[1])
			if len(fields) < 3 {
				return nil, fmt.Errorf("unterminated `s' command")
			}
			expr := fields[0]
			if !extended {
				expr = breToRE(expr)
			}
			flags := fields[2]
			if strings.ContainsAny(flags, "Ii") {
				expr = "(?i)" + expr
			}
			if c.re, err = regexp.Compile(expr); err != nil {
				return nil, err
			}
			c.repl = fields[1]
			c.global = strings.Contains(flags, "g")
			c.print = strings.Contains(flags, "p")
			if n, err := strconv.Atoi(strings.Trim(flags, "gpIi")); err == nil {
				c.nth = n
			}
		default:
			return nil, fmt.Errorf("unsupported command %c", c.cmd)
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

// splitSedScript splits on ; and newlines outside s/// arguments.
func splitSedScript(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c == ';' || c == '\n') && !inSubst(cur.String()) {
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
		if c == '\\' && i+1 < len(s) {
			i++
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}

// inSubst reports whether an s command in progress has not yet seen its third delimiter.
func inSubst(cmd string) bool {
	t := strings.TrimLeft(cmd, " 0123456789$,")
	if strings.HasPrefix(t, "/") {
		if end := strings.IndexByte(t[1:], '/'); end >= 0 {
			t = strings.TrimLeft(t[end+2:], " ")
		}
	}
	if len(t) < 2 || t[0] != 's' {
		return false
	}
	d := t[1]
	n := 0
	for i := 2; i < len(t); i++ {
		if t[i] == '\\' {
			i++
			continue
		}
		if t[i] == d {
			n++
		}
	}
	return n < 2
}

// expandRepl turns a sed replacement (&, \1, \n) into the matched text.
func expandRepl(repl string, src string, m []int) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch {
		case c == '&':
			b.WriteString(src[m[0]:m[1]])
		case c == '\\' && i+1 < len(repl):
			i++
			n := repl[i]
			switch {
			case n >= '0' && n <= '9':
				k := int(n - '0')
				if 2*k+1 < len(m) && m[2*k] >= 0 {
					b.WriteString(src[m[2*k]:m[2*k+1]])
				}
			case n == 'n':
				b.WriteByte('\n')
			case n == 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(n)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (c *sedCmd) subst(line string) (string, bool) {
	ms := c.re.FindAllStringSubmatchIndex(line, -1)
	if len(ms) == 0 {
		return line, false
	}
	var b strings.Builder
	last, done := 0, false
	for i, m := range ms {
		if c.nth > 0 && i+1 != c.nth {
			continue
		}
		if done {
			break
		}
		b.WriteString(line[last:m[0]])
		b.WriteString(expandRepl(c.repl, line, m))
		last = m[1]
		if !c.global {
			done = true
		}
	}
	b.WriteString(line[last:])
	return b.String(), true
}

func runSed(cmds []sedCmd, data []byte, quiet bool) []byte {
	var out strings.Builder
	text := string(data)
	trailing := strings.HasSuffix(text, "\n")
	ls := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if text == "" {
		ls = nil
	}
	inRange := make([]bool, len(cmds))
	for n, line := range ls {
		deleted := false
		for i := range cmds {
			c := &cmds[i]
			match := true
			if c.addr1 != (sedAddr{}) {
				last := n == len(ls)-1
				if c.addr2 != (sedAddr{}) {
					if inRange[i] {
						match = true
						if c.addr2.match(n+1, last, line) {
							inRange[i] = false
						}
					} else if c.addr1.match(n+1, last, line) {
						match = true
						inRange[i] = !c.addr2.match(n+1, last, line)
					} else {
						match = false
					}
				} else {
					match = c.addr1.match(n+1, last, line)
				}
			}
			if !match {
				continue
			}
			switch c.cmd {
			case 'd':
				deleted = true
			case 'p':
				out.WriteString(line + "\n")
			case 's':
				var ok bool
				line, ok = c.subst(line)
				if ok && c.print {
					out.WriteString(line + "\n")
				}
			}
			if deleted {
				break
			}
		}
		if !deleted && !quiet {
			out.WriteString(line)
			if n < len(ls)-1 || trailing {
				out.WriteString("\n")
			}
		}
	}
	return []byte(out.String())
}

func sed(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "e:f:inErs", map[string]byte{"in-place": 'i', "quiet": 'n', "regexp-extended": 'E', "expression=": 'e'})
	scripts := o['e']
	if len(scripts) == 0 {
		if len(ops) == 0 {
			return e.Errorf("sed: no script")
		}
		scripts, ops = []string{ops[0]}, ops[1:]
	}
	cmds, err := parseSed(strings.Join(scripts, "\n"), o.has("Er"))
	if err != nil {
		return e.Errorf("sed: %v", err)
	}
	if o.has("i") {
		code := 0
		for _, name := range ops {
			if err := sedInPlace(ctx, e, e.Abs(name), cmds, o.has("n")); err != nil {
				code = e.Errorf("sed: can't read %s: %s", name, reason(err))
			}
		}
		return code
	}
	datas, _, code := inputs(ctx, e, "sed", ops)
	var all []byte
	for _, d := range datas {
		all = append(all, d...)
	}
	e.Stdout.Write(runSed(cmds, all, o.has("n")))
	return code
}

// sedInPlace writes the edited text to a new file beside p with p's mode and owner and
// renames it over p, as busybox's sed -i does: p gets a new inode and mtime.
func sedInPlace(ctx context.Context, e *Env, p string, cmds []sedCmd, quiet bool) error {
	fi, err := e.FS.Stat(ctx, p)
	if err != nil {
		return err
	}
	data, err := readFile(ctx, e.FS, p)
	if err != nil {
		return err
	}
	if target, err := e.FS.Readlink(ctx, p); err == nil {
		p = Abs(path.Dir(p), target) // sed -i edits the file a symlink points to
	}
	tmp := path.Join(path.Dir(p), "sed"+strconv.Itoa(len(data))+"layerlab")
	if err := writeFile(ctx, e.FS, tmp, runSed(cmds, data, quiet), 0o600); err != nil {
		return err
	}
	e.FS.Chmod(ctx, tmp, fi.Mode&specialPerm)
	e.FS.Lchown(ctx, tmp, fi.UID, fi.GID)
	return e.FS.Rename(ctx, tmp, p)
}

func find(ctx context.Context, e *Env, args []string) int {
	var roots []string
	i := 1
	for ; i < len(args) && !strings.HasPrefix(args[i], "-") && args[i] != "!" && args[i] != "("; i++ {
		roots = append(roots, args[i])
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	type test func(display string, fi FileInfo) bool
	var tests []test
	maxDepth, minDepth := -1, 0
	var del bool
	var execArgs []string
	negate := false
	add := func(t test) {
		if negate {
			inner := t
			t = func(d string, fi FileInfo) bool { return !inner(d, fi) }
			negate = false
		}
		tests = append(tests, t)
	}
	for ; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch a {
		case "!":
			negate = true
		case "-name", "-iname":
			pat := next()
			fold := a == "-iname"
			add(func(d string, fi FileInfo) bool {
				base := path.Base(d)
				if fold {
					ok, _ := path.Match(strings.ToLower(pat), strings.ToLower(base))
					return ok
				}
				ok, _ := path.Match(pat, base)
				return ok
			})
		case "-path":
			pat := next()
			add(func(d string, fi FileInfo) bool { ok, _ := path.Match(pat, d); return ok })
		case "-type":
			t := next()
			add(func(d string, fi FileInfo) bool {
				switch t {
				case "f":
					return fi.IsRegular()
				case "d":
					return fi.IsDir()
				case "l":
					return fi.IsLink()
				}
				return false
			})
		case "-maxdepth":
			maxDepth, _ = strconv.Atoi(next())
		case "-mindepth":
			minDepth, _ = strconv.Atoi(next())
		case "-delete":
			del = true
		case "-print":
		case "-exec":
			for i++; i < len(args) && args[i] != ";" && args[i] != "+"; i++ {
				execArgs = append(execArgs, args[i])
			}
		default:
			return e.Errorf("find: unrecognized: %s", a)
		}
	}
	code := 0
	type match struct{ display, p string }
	var matched []match
	var visit func(display, p string, fi FileInfo, depth int)
	visit = func(display, p string, fi FileInfo, depth int) {
		if depth >= minDepth && (maxDepth < 0 || depth <= maxDepth) {
			ok := true
			for _, t := range tests {
				if !t(display, fi) {
					ok = false
					break
				}
			}
			if ok {
				matched = append(matched, match{display, p})
			}
		}
		if fi.IsDir() && (maxDepth < 0 || depth < maxDepth) {
			list, _ := e.FS.ReadDir(ctx, p)
			for _, c := range list {
				visit(path.Join(display, c.Name), path.Join(p, c.Name), c, depth+1)
			}
		}
	}
	for _, r := range roots {
		p := e.Abs(r)
		fi, err := e.FS.Stat(ctx, p)
		if err != nil {
			code = e.Errorf("find: %s: %s", r, reason(err))
			continue
		}
		visit(r, p, fi, 0)
	}
	for k := len(matched) - 1; del && k >= 0; k-- {
		p := matched[k].p
		if fi, err := e.FS.Lstat(ctx, p); err == nil {
			if !fi.IsDir() {
				e.FS.Remove(ctx, p)
			} else if list, _ := e.FS.ReadDir(ctx, p); len(list) == 0 {
				e.FS.Remove(ctx, p)
			}
		}
	}
	for _, mt := range matched {
		switch {
		case del:
		case execArgs != nil:
			argv := make([]string, len(execArgs))
			for k, a := range execArgs {
				argv[k] = strings.ReplaceAll(a, "{}", mt.display)
			}
			if e.Exec(ctx, argv) != 0 {
				code = 1
			}
		default:
			fmt.Fprintln(e.Stdout, mt.display)
		}
	}
	return code
}

func xargs(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "n:I:r0td:", nil)
	data, _ := io.ReadAll(e.Stdin)
	words := strings.Fields(string(data))
	if len(ops) == 0 {
		ops = []string{"echo"}
	}
	per := len(words)
	if n, err := strconv.Atoi(o.val('n')); err == nil && n > 0 {
		per = n
	}
	if len(words) == 0 {
		if o.has("r") {
			return 0
		}
		words, per = nil, 0
	}
	for start := 0; start < len(words) || (start == 0 && len(words) == 0); start += max(per, 1) {
		end := min(start+per, len(words))
		argv := append(append([]string{}, ops...), words[start:end]...)
		if e.Exec(ctx, argv) != 0 {
			return 123
		}
		if len(words) == 0 {
			break
		}
	}
	return 0
}
