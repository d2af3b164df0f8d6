package build

import (
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/interp"

	"github.com/layerlab/layerlab/core/fsys"
)

func init() {
	for name, fn := range map[string]applet{
		"sed": (*machine).sed, "find": (*machine).find, "xargs": (*machine).xargs, "ls": (*machine).ls,
	} {
		applets[name] = fn
	}
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

func (m *machine) sed(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "e")
	var scripts []string
	// -e may repeat; flags() keeps the last, so collect them by hand.
	for i := 1; i < len(args); i++ {
		if args[i] == "-e" && i+1 < len(args) {
			scripts = append(scripts, args[i+1])
		}
	}
	if len(scripts) == 0 {
		if len(ops) == 0 {
			return m.errf(ctx, "sed: no script")
		}
		scripts, ops = []string{ops[0]}, ops[1:]
	}
	cmds, err := parseSed(strings.Join(scripts, "\n"), has(f, "Er"))
	if err != nil {
		return m.errf(ctx, "sed: %v", err)
	}
	hc := interp.HandlerCtx(ctx)
	if has(f, "i") {
		code := 0
		for _, name := range ops {
			p, err := m.f.Resolve(m.abs(ctx, name), true)
			n := m.f.Get(p)
			if err != nil || n == nil {
				code = m.errf(ctx, "sed: can't read %s: No such file or directory", name)
				continue
			}
			// sed -i writes a new file and renames it over the old: new mtime, same mode and owner.
			c := *n
			c.Data = runSed(cmds, n.Data, has(f, "n"))
			c.ModTime = m.now
			c.Inode = 0 // a new file renamed over the old name
			m.f.Put(p, &c)
			m.touchDir(path.Dir("/" + p))
		}
		return code
	}
	datas, _, code := m.inputs(ctx, "sed", ops)
	var all []byte
	for _, d := range datas {
		all = append(all, d...)
	}
	hc.Stdout.Write(runSed(cmds, all, has(f, "n")))
	return code
}

func (m *machine) find(ctx context.Context, args []string) int {
	hc := interp.HandlerCtx(ctx)
	var roots []string
	i := 1
	for ; i < len(args) && !strings.HasPrefix(args[i], "-") && args[i] != "!" && args[i] != "("; i++ {
		roots = append(roots, args[i])
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	type test func(display, p string, n *fsys.Node, depth int) bool
	var tests []test
	maxDepth, minDepth := -1, 0
	var del bool
	var execArgs []string
	negate := false
	add := func(t test) {
		if negate {
			inner := t
			t = func(d, p string, n *fsys.Node, depth int) bool { return !inner(d, p, n, depth) }
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
			add(func(d, p string, n *fsys.Node, depth int) bool {
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
			add(func(d, p string, n *fsys.Node, depth int) bool { ok, _ := path.Match(pat, d); return ok })
		case "-type":
			t := next()
			add(func(d, p string, n *fsys.Node, depth int) bool {
				switch t {
				case "f":
					return n.Type == '0'
				case "d":
					return n.IsDir()
				case "l":
					return n.Type == '2'
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
			return m.errf(ctx, "find: unrecognized: %s", a)
		}
	}
	code := 0
	var matched [][2]string
	var walk func(display, p string, depth int)
	walk = func(display, p string, depth int) {
		n := m.f.Get(p)
		if n == nil {
			return
		}
		if depth >= minDepth && (maxDepth < 0 || depth <= maxDepth) {
			ok := true
			for _, t := range tests {
				if !t(display, p, n, depth) {
					ok = false
					break
				}
			}
			if ok {
				matched = append(matched, [2]string{display, p})
			}
		}
		if n.IsDir() && (maxDepth < 0 || depth < maxDepth) {
			for _, c := range m.f.Children(p) {
				walk(path.Join(display, c), path.Join(p, c), depth+1)
			}
		}
	}
	for _, r := range roots {
		p, err := m.f.Resolve(m.abs(ctx, r), true)
		if err != nil || m.f.Get(p) == nil {
			code = m.errf(ctx, "find: %s: No such file or directory", r)
			continue
		}
		walk(r, p, 0)
	}
	for k := len(matched) - 1; del && k >= 0; k-- {
		p := matched[k][1]
		if n := m.f.Get(p); n != nil && (!n.IsDir() || len(m.f.Children(p)) == 0) {
			m.remove(p)
		}
	}
	for _, mt := range matched {
		switch {
		case del:
		case execArgs != nil:
			argv := make([]string, len(execArgs))
			for k, a := range execArgs {
				argv[k] = strings.ReplaceAll(a, "{}", mt[0])
			}
			if err := m.exec(ctx, argv); err != nil {
				code = 1
			}
		default:
			fmt.Fprintln(hc.Stdout, mt[0])
		}
	}
	return code
}

func (m *machine) xargs(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "nI")
	hc := interp.HandlerCtx(ctx)
	data, _ := io.ReadAll(hc.Stdin)
	words := strings.Fields(string(data))
	if len(ops) == 0 {
		ops = []string{"echo"}
	}
	per := len(words)
	if n, err := strconv.Atoi(f['n']); err == nil && n > 0 {
		per = n
	}
	if len(words) == 0 {
		if has(f, "r") {
			return 0
		}
		words, per = nil, 0
	}
	for start := 0; start < len(words) || (start == 0 && len(words) == 0); start += max(per, 1) {
		end := min(start+per, len(words))
		argv := append(append([]string{}, ops...), words[start:end]...)
		if err := m.exec(ctx, argv); err != nil {
			return 123
		}
		if len(words) == 0 {
			break
		}
	}
	return 0
}

func (m *machine) ls(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	hc := interp.HandlerCtx(ctx)
	if len(ops) == 0 {
		ops = []string{"."}
	}
	code := 0
	var files []string
	var dirs []string
	for _, o := range ops {
		p, err := m.f.Resolve(m.abs(ctx, o), true)
		n := m.f.Get(p)
		if err != nil || n == nil {
			code = m.errf(ctx, "ls: %s: No such file or directory", o)
			continue
		}
		if n.IsDir() && !has(f, "d") {
			dirs = append(dirs, o)
		} else {
			files = append(files, o)
		}
	}
	sort.Strings(files)
	sort.Strings(dirs)
	for _, fl := range files {
		fmt.Fprintln(hc.Stdout, fl)
	}
	for k, d := range dirs {
		if len(ops) > 1 {
			if k > 0 || len(files) > 0 {
				fmt.Fprintln(hc.Stdout)
			}
			fmt.Fprintf(hc.Stdout, "%s:\n", d)
		}
		p, _ := m.f.Resolve(m.abs(ctx, d), true)
		var names []string
		if has(f, "a") {
			names = append(names, ".", "..")
		}
		for _, c := range m.f.Children(p) {
			if strings.HasPrefix(c, ".") && !has(f, "aA") {
				continue
			}
			names = append(names, c)
		}
		for _, name := range names {
			fmt.Fprintln(hc.Stdout, name)
		}
	}
	return code
}
