package build

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"

	"github.com/layerlab/layerlab/core/fsys"
)

func init() {
	for name, fn := range map[string]applet{
		"head": (*machine).head, "tail": (*machine).tail, "wc": (*machine).wc, "tee": (*machine).tee,
		"basename": (*machine).basename, "dirname": (*machine).dirname, "env": (*machine).env,
		"id": (*machine).id, "whoami": (*machine).whoami, "which": (*machine).which,
		"sort": (*machine).sort, "uniq": (*machine).uniq, "tr": (*machine).tr, "cut": (*machine).cut,
		"grep": (*machine).grep, "chgrp": (*machine).chgrp,
	} {
		applets[name] = fn
	}
}

// inputs returns the contents of the named files, or stdin when there are none ("-" is stdin).
func (m *machine) inputs(ctx context.Context, applet string, names []string) ([][]byte, []string, int) {
	hc := interp.HandlerCtx(ctx)
	if len(names) == 0 {
		names = []string{"-"}
	}
	var out [][]byte
	var ok []string
	code := 0
	for _, n := range names {
		if n == "-" {
			b, _ := io.ReadAll(hc.Stdin)
			out, ok = append(out, b), append(ok, n)
			continue
		}
		p, err := m.f.Resolve(m.abs(ctx, n), true)
		node := m.f.Get(p)
		if err != nil || node == nil {
			code = m.errf(ctx, "%s: can't open '%s': No such file or directory", applet, n)
			continue
		}
		if node.IsDir() {
			code = m.errf(ctx, "%s: read error: Is a directory", applet)
			continue
		}
		out, ok = append(out, node.Data), append(ok, n)
	}
	return out, ok, code
}

// lines splits text into lines, keeping a final line without newline.
func lines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	s := strings.Split(string(b), "\n")
	if s[len(s)-1] == "" {
		s = s[:len(s)-1]
	}
	return s
}

func countArg(f map[byte]string, def int) (int, bool, error) {
	v, ok := f['n']
	if !ok {
		return def, false, nil
	}
	plus := strings.HasPrefix(v, "+")
	n, err := strconv.Atoi(strings.TrimPrefix(v, "+"))
	if err == nil && n < 0 {
		err = fmt.Errorf("negative count")
	}
	return n, plus, err
}

// numericShorthand turns "-5" into "-n 5" as head and tail accept it.
func numericShorthand(args []string) []string {
	out := make([]string, 0, len(args)+1)
	for _, a := range args {
		if len(a) > 1 && a[0] == '-' && a[1] >= '0' && a[1] <= '9' {
			out = append(out, "-n", a[1:])
			continue
		}
		out = append(out, a)
	}
	return out
}

func (m *machine) head(ctx context.Context, args []string) int {
	f, ops := flags(numericShorthand(args[1:]), "nc")
	n, _, err := countArg(f, 10)
	if err != nil {
		return m.errf(ctx, "head: invalid number '%s'", f['n'])
	}
	datas, names, code := m.inputs(ctx, "head", ops)
	w := interp.HandlerCtx(ctx).Stdout
	for i, d := range datas {
		if len(names) > 1 {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "==> %s <==\n", names[i])
		}
		if c, ok := f['c']; ok {
			k, _ := strconv.Atoi(c)
			w.Write(d[:max(0, min(k, len(d)))])
			continue
		}
		w.Write(firstLines(d, n))
	}
	return code
}

func firstLines(d []byte, n int) []byte {
	i := 0
	for k := 0; k < n && i < len(d); k++ {
		j := bytes.IndexByte(d[i:], '\n')
		if j < 0 {
			return d
		}
		i += j + 1
	}
	return d[:i]
}

func (m *machine) tail(ctx context.Context, args []string) int {
	f, ops := flags(numericShorthand(args[1:]), "nc")
	n, fromStart, err := countArg(f, 10)
	if err != nil {
		return m.errf(ctx, "tail: invalid number '%s'", f['n'])
	}
	datas, names, code := m.inputs(ctx, "tail", ops)
	w := interp.HandlerCtx(ctx).Stdout
	for i, d := range datas {
		if len(names) > 1 {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "==> %s <==\n", names[i])
		}
		if c, ok := f['c']; ok {
			k, _ := strconv.Atoi(c)
			w.Write(d[min(len(d), max(0, len(d)-k)):])
			continue
		}
		if fromStart {
			rest := d[len(firstLines(d, max(n-1, 0))):]
			w.Write(rest)
			continue
		}
		ls := strings.SplitAfter(string(d), "\n")
		if ls[len(ls)-1] == "" {
			ls = ls[:len(ls)-1]
		}
		w.Write([]byte(strings.Join(ls[max(0, len(ls)-n):], "")))
	}
	return code
}

func (m *machine) wc(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	datas, names, code := m.inputs(ctx, "wc", ops)
	want := ""
	for _, c := range "lwcm" {
		if _, ok := f[byte(c)]; ok {
			want += string(c)
		}
	}
	if want == "" {
		want = "lwc"
	}
	w := interp.HandlerCtx(ctx).Stdout
	var total [3]int
	print := func(counts [3]int, name string) {
		var parts []string
		for i, c := range "lwc" {
			if strings.ContainsRune(want, c) || (c == 'c' && strings.Contains(want, "m")) {
				if len(want) == 1 {
					parts = append(parts, strconv.Itoa(counts[i]))
				} else {
					parts = append(parts, fmt.Sprintf("%9d", counts[i]))
				}
			}
		}
		s := strings.Join(parts, " ")
		if name != "-" {
			s += " " + name
		}
		fmt.Fprintln(w, s)
	}
	for i, d := range datas {
		c := [3]int{bytes.Count(d, []byte("\n")), len(bytes.Fields(d)), len(d)}
		for k := range total {
			total[k] += c[k]
		}
		print(c, names[i])
	}
	if len(datas) > 1 {
		print(total, "total")
	}
	return code
}

func (m *machine) tee(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	hc := interp.HandlerCtx(ctx)
	data, _ := io.ReadAll(hc.Stdin)
	hc.Stdout.Write(data)
	flag := oWRONLY | oCREATE | oTRUNC
	if has(f, "a") {
		flag = oWRONLY | oCREATE | oAPPEND
	}
	code := 0
	for _, n := range ops {
		w, err := m.open(ctx, n, flag, 0o666)
		if err != nil {
			code = m.errf(ctx, "tee: %s: %v", n, err)
			continue
		}
		w.Write(data)
		w.Close()
	}
	return code
}

func (m *machine) basename(ctx context.Context, args []string) int {
	if len(args) < 2 {
		return m.errf(ctx, "basename: missing operand")
	}
	b := path.Base(args[1])
	if len(args) > 2 && b != args[2] {
		b = strings.TrimSuffix(b, args[2])
	}
	fmt.Fprintln(interp.HandlerCtx(ctx).Stdout, b)
	return 0
}

func (m *machine) dirname(ctx context.Context, args []string) int {
	if len(args) < 2 {
		return m.errf(ctx, "dirname: missing operand")
	}
	d := strings.TrimRight(args[1], "/")
	switch {
	case d == "" && args[1] != "":
		d = "/"
	case !strings.Contains(d, "/"):
		d = "."
	default:
		d = strings.TrimRight(d[:strings.LastIndex(d, "/")], "/")
		if d == "" {
			d = "/"
		}
	}
	fmt.Fprintln(interp.HandlerCtx(ctx).Stdout, d)
	return 0
}

func (m *machine) env(ctx context.Context, args []string) int {
	hc := interp.HandlerCtx(ctx)
	if len(args) > 1 {
		return m.errf(ctx, "env: running commands through env is not emulated yet in layerlab")
	}
	hc.Env.Each(func(name string, vr expand.Variable) bool {
		if vr.Exported {
			fmt.Fprintf(hc.Stdout, "%s=%s\n", name, vr.String())
		}
		return true
	})
	return 0
}

func (m *machine) names() (string, string) {
	user, group := strconv.Itoa(m.uid), strconv.Itoa(m.gid)
	if e := findEntry(m.f, "etc/passwd", func(f []string) bool { return f[2] == user }); e != nil {
		user = e[0]
	}
	if e := findEntry(m.f, "etc/group", func(f []string) bool { return f[2] == group }); e != nil {
		group = e[0]
	}
	return user, group
}

func (m *machine) id(ctx context.Context, args []string) int {
	f, _ := flags(args[1:], "")
	w := interp.HandlerCtx(ctx).Stdout
	user, group := m.names()
	switch {
	case has(f, "u") && has(f, "n"):
		fmt.Fprintln(w, user)
	case has(f, "u"):
		fmt.Fprintln(w, m.uid)
	case has(f, "g") && has(f, "n"):
		fmt.Fprintln(w, group)
	case has(f, "g"):
		fmt.Fprintln(w, m.gid)
	default:
		// The container's process has its primary group and the groups that list the user
		// as a member as supplementary groups, and busybox prints them.
		groups := []string{fmt.Sprintf("%d(%s)", m.gid, group)}
		if n := m.f.Get("etc/group"); n != nil {
			for _, line := range strings.Split(string(n.Data), "\n") {
				fs := strings.Split(line, ":")
				if len(fs) < 4 || fs[2] == strconv.Itoa(m.gid) {
					continue
				}
				for _, member := range strings.Split(fs[3], ",") {
					if member == user {
						groups = append(groups, fmt.Sprintf("%s(%s)", fs[2], fs[0]))
					}
				}
			}
		}
		fmt.Fprintf(w, "uid=%d(%s) gid=%d(%s) groups=%s\n", m.uid, user, m.gid, group, strings.Join(groups, ","))
	}
	return 0
}

func (m *machine) whoami(ctx context.Context, args []string) int {
	user, _ := m.names()
	fmt.Fprintln(interp.HandlerCtx(ctx).Stdout, user)
	return 0
}

func (m *machine) which(ctx context.Context, args []string) int {
	hc := interp.HandlerCtx(ctx)
	code := 0
	for _, name := range args[1:] {
		found := false
		for _, dir := range strings.Split(hc.Env.Get("PATH").String(), ":") {
			p := path.Join(dir, name)
			if dir != "" && m.lookup(p) != "" {
				fmt.Fprintln(hc.Stdout, p)
				found = true
				break
			}
		}
		if !found {
			code = 1
		}
	}
	return code
}

func (m *machine) sort(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "kt")
	datas, _, code := m.inputs(ctx, "sort", ops)
	var all []string
	for _, d := range datas {
		all = append(all, lines(d)...)
	}
	less := func(a, b string) bool { return a < b }
	if has(f, "n") {
		less = func(a, b string) bool {
			x, y := leadingNumber(a), leadingNumber(b)
			if x != y {
				return x < y
			}
			return a < b
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if has(f, "r") {
			return less(all[j], all[i])
		}
		return less(all[i], all[j])
	})
	w := interp.HandlerCtx(ctx).Stdout
	prev := ""
	for i, l := range all {
		if has(f, "u") && i > 0 && l == prev {
			continue
		}
		prev = l
		fmt.Fprintln(w, l)
	}
	return code
}

func leadingNumber(s string) float64 {
	s = strings.TrimLeft(s, " \t")
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || (end == 0 && s[end] == '-')) {
		end++
	}
	v, _ := strconv.ParseFloat(s[:end], 64)
	return v
}

func (m *machine) uniq(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	datas, _, code := m.inputs(ctx, "uniq", ops[:min(len(ops), 1)])
	var all []string
	for _, d := range datas {
		all = append(all, lines(d)...)
	}
	w := interp.HandlerCtx(ctx).Stdout
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j] == all[i] {
			j++
		}
		n := j - i
		if (has(f, "d") && n < 2) || (has(f, "u") && n > 1) {
			i = j
			continue
		}
		if has(f, "c") {
			fmt.Fprintf(w, "%7d %s\n", n, all[i])
		} else {
			fmt.Fprintln(w, all[i])
		}
		i = j
	}
	return code
}

// expandSet expands tr's ranges and escapes: "a-z", "\n".
func expandSet(s string) []rune {
	s = strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`, "[:upper:]", "A-Z", "[:lower:]", "a-z", "[:digit:]", "0-9", "[:space:]", " \t\n\r\v\f").Replace(s)
	r := []rune(s)
	var out []rune
	for i := 0; i < len(r); i++ {
		if i+2 < len(r) && r[i+1] == '-' && r[i] <= r[i+2] {
			for c := r[i]; c <= r[i+2]; c++ {
				out = append(out, c)
			}
			i += 2
			continue
		}
		out = append(out, r[i])
	}
	return out
}

func (m *machine) tr(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	hc := interp.HandlerCtx(ctx)
	data, _ := io.ReadAll(hc.Stdin)
	if len(ops) < 1 {
		return m.errf(ctx, "tr: missing operand")
	}
	set1 := expandSet(ops[0])
	in := map[rune]int{}
	for i, c := range set1 {
		if _, ok := in[c]; !ok {
			in[c] = i
		}
	}
	var set2 []rune
	if len(ops) > 1 {
		set2 = expandSet(ops[1])
	}
	var out strings.Builder
	var last rune = -1
	for _, c := range string(data) {
		i, ok := in[c]
		switch {
		case ok && has(f, "d"):
			continue
		case ok && len(set2) > 0:
			c = set2[min(i, len(set2)-1)]
		}
		if has(f, "s") && c == last {
			if _, sq := in[c]; sq || containsRune(set2, c) {
				continue
			}
		}
		last = c
		out.WriteRune(c)
	}
	io.WriteString(hc.Stdout, out.String())
	return 0
}

func containsRune(rs []rune, c rune) bool {
	for _, r := range rs {
		if r == c {
			return true
		}
	}
	return false
}

func (m *machine) cut(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "dfc")
	datas, _, code := m.inputs(ctx, "cut", ops)
	delim := "\t"
	if d, ok := f['d']; ok && d != "" {
		delim = d[:1]
	}
	spec, byChar := f['f'], false
	if c, ok := f['c']; ok {
		spec, byChar = c, true
	}
	want := func(i int) bool { // 1-based
		for _, part := range strings.Split(spec, ",") {
			lo, hi, isRange := strings.Cut(part, "-")
			a, _ := strconv.Atoi(lo)
			if lo == "" {
				a = 1
			}
			b := a
			if isRange {
				b = 1 << 30
				if hi != "" {
					b, _ = strconv.Atoi(hi)
				}
			}
			if i >= a && i <= b {
				return true
			}
		}
		return false
	}
	w := interp.HandlerCtx(ctx).Stdout
	for _, d := range datas {
		for _, l := range lines(d) {
			if byChar {
				var b strings.Builder
				for i, c := range []rune(l) {
					if want(i + 1) {
						b.WriteRune(c)
					}
				}
				fmt.Fprintln(w, b.String())
				continue
			}
			if !strings.Contains(l, delim) {
				if !has(f, "s") {
					fmt.Fprintln(w, l)
				}
				continue
			}
			var kept []string
			for i, field := range strings.Split(l, delim) {
				if want(i + 1) {
					kept = append(kept, field)
				}
			}
			fmt.Fprintln(w, strings.Join(kept, delim))
		}
	}
	return code
}

// breToRE turns a POSIX basic regular expression into Go syntax (the common subset).
func breToRE(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			n := p[i+1]
			switch n {
			case '(', ')', '{', '}', '|', '+', '?':
				b.WriteByte(n)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
			i++
			continue
		}
		switch c {
		case '(', ')', '{', '}', '|', '+', '?':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (m *machine) grep(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "e")
	var pattern string
	if e, ok := f['e']; ok {
		pattern = e
	} else if len(ops) > 0 {
		pattern, ops = ops[0], ops[1:]
	} else {
		m.errf(ctx, "grep: missing pattern")
		return 2
	}
	expr := breToRE(pattern)
	switch {
	case has(f, "F"):
		expr = regexp.QuoteMeta(pattern)
	case has(f, "E"):
		expr = pattern
	}
	if has(f, "x") {
		expr = "^(?:" + expr + ")$"
	}
	if has(f, "i") {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		m.errf(ctx, "grep: bad regex '%s'", pattern)
		return 2
	}
	datas, names, code := m.inputs(ctx, "grep", ops)
	if code != 0 {
		code = 2
	}
	w := interp.HandlerCtx(ctx).Stdout
	matched := false
	for i, d := range datas {
		count := 0
		for n, l := range lines(d) {
			if re.MatchString(l) == has(f, "v") {
				continue
			}
			matched = true
			count++
			if has(f, "q") {
				return 0
			}
			if has(f, "c") || has(f, "l") {
				continue
			}
			prefix := ""
			if len(names) > 1 {
				prefix = names[i] + ":"
			}
			if has(f, "n") {
				prefix += strconv.Itoa(n+1) + ":"
			}
			fmt.Fprintln(w, prefix+l)
		}
		if has(f, "l") && count > 0 {
			fmt.Fprintln(w, names[i])
		}
		if has(f, "c") {
			if len(names) > 1 {
				fmt.Fprintf(w, "%s:%d\n", names[i], count)
			} else {
				fmt.Fprintln(w, count)
			}
		}
	}
	if code != 0 {
		return code
	}
	if !matched {
		return 1
	}
	return 0
}

func (m *machine) chgrp(ctx context.Context, args []string) int {
	f, ops := flags(args[1:], "")
	if len(ops) < 2 {
		return m.errf(ctx, "chgrp: missing operand")
	}
	gid, err := strconv.Atoi(ops[0])
	if err != nil {
		e := findEntry(m.f, "etc/group", func(fs []string) bool { return fs[0] == ops[0] })
		if e == nil {
			return m.errf(ctx, "chgrp: unknown group %s", ops[0])
		}
		gid, _ = strconv.Atoi(e[2])
	}
	code := 0
	for _, name := range ops[1:] {
		p, err := m.f.Resolve(m.abs(ctx, name), true)
		if err != nil || m.f.Get(p) == nil {
			code = m.errf(ctx, "chgrp: %s: No such file or directory", name)
			continue
		}
		m.walk(p, has(f, "R"), func(p string, n *fsys.Node) {
			c := *n
			c.GID = gid
			m.f.Update(p, &c)
		})
	}
	return code
}
