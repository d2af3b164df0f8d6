package shell

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
)

func init() {
	register(map[string]Applet{
		"head": head, "tail": tail, "wc": wc, "tee": tee,
		"basename": basename, "dirname": dirname, "env": env,
		"id": id, "whoami": whoami, "which": which,
		"sort": sortApplet, "uniq": uniq, "tr": tr, "cut": cut,
		"grep": grep,
	})
}

// inputs returns the contents of the named files, or stdin when there are none ("-" is stdin).
func inputs(ctx context.Context, e *Env, applet string, names []string) ([][]byte, []string, int) {
	if len(names) == 0 {
		names = []string{"-"}
	}
	var out [][]byte
	var ok []string
	code := 0
	for _, n := range names {
		if n == "-" {
			b, _ := io.ReadAll(e.Stdin)
			out, ok = append(out, b), append(ok, n)
			continue
		}
		p := e.Abs(n)
		fi, err := e.FS.Stat(ctx, p)
		if err == nil && fi.IsDir() {
			code = e.Errorf("%s: read error: Is a directory", applet)
			continue
		}
		var b []byte
		if err == nil {
			b, err = readFile(ctx, e.FS, p)
		}
		if err != nil {
			code = e.Errorf("%s: can't open '%s': %s", applet, n, reason(err))
			continue
		}
		out, ok = append(out, b), append(ok, n)
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

func countArg(o opts, def int) (int, bool, error) {
	v := o.val('n')
	if !o.has("n") {
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

func head(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, append([]string{args[0]}, numericShorthand(args[1:])...), "n:c:qvF", nil)
	n, _, err := countArg(o, 10)
	if err != nil {
		return e.Errorf("head: invalid number '%s'", o.val('n'))
	}
	datas, names, code := inputs(ctx, e, "head", ops)
	w := e.Stdout
	for i, d := range datas {
		fileHeader(w, names, i)
		if c := o.val('c'); o.has("c") {
			k, _ := strconv.Atoi(c)
			w.Write(d[:max(0, min(k, len(d)))])
			continue
		}
		w.Write(firstLines(d, n))
	}
	return code
}

// fileHeader writes head's and tail's "==> NAME <==" before input i when there are several,
// with a blank line between inputs.
func fileHeader(w io.Writer, names []string, i int) {
	if len(names) < 2 {
		return
	}
	if i > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "==> %s <==\n", names[i])
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

func tail(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, append([]string{args[0]}, numericShorthand(args[1:])...), "n:c:qvF", nil)
	n, fromStart, err := countArg(o, 10)
	if err != nil {
		return e.Errorf("tail: invalid number '%s'", o.val('n'))
	}
	datas, names, code := inputs(ctx, e, "tail", ops)
	w := e.Stdout
	for i, d := range datas {
		fileHeader(w, names, i)
		if c := o.val('c'); o.has("c") {
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

func wc(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "lwcmL", nil)
	datas, names, code := inputs(ctx, e, "wc", ops)
	want := ""
	for _, c := range "lwcm" {
		if o.has(string(c)) {
			want += string(c)
		}
	}
	if want == "" {
		want = "lwc"
	}
	w := e.Stdout
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

func tee(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "ai", nil)
	data, _ := io.ReadAll(e.Stdin)
	e.Stdout.Write(data)
	code := 0
	for _, n := range ops {
		w, err := e.FS.Create(ctx, e.Abs(n), 0o666, o.has("a"))
		if err == nil {
			_, err = w.Write(data)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			code = e.Errorf("tee: %s: %s", n, reason(err))
		}
	}
	return code
}

func basename(ctx context.Context, e *Env, args []string) int {
	if len(args) < 2 {
		return e.Errorf("basename: missing operand")
	}
	b := path.Base(args[1])
	if len(args) > 2 && b != args[2] {
		b = strings.TrimSuffix(b, args[2])
	}
	fmt.Fprintln(e.Stdout, b)
	return 0
}

func dirname(ctx context.Context, e *Env, args []string) int {
	if len(args) < 2 {
		return e.Errorf("dirname: missing operand")
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
	fmt.Fprintln(e.Stdout, d)
	return 0
}

func env(ctx context.Context, e *Env, args []string) int {
	if len(args) > 1 {
		return e.Errorf("env: running commands through env is not emulated yet in layerlab")
	}
	for _, kv := range e.Vars() {
		fmt.Fprintln(e.Stdout, kv)
	}
	return 0
}

// names are the user and group names of e's uid and gid (the numbers when not listed).
func names(ctx context.Context, e *Env) (string, string) {
	user, group := strconv.Itoa(e.UID), strconv.Itoa(e.GID)
	if f := findEntry(ctx, e.FS, "/etc/passwd", func(f []string) bool { return f[2] == user }); f != nil {
		user = f[0]
	}
	if f := findEntry(ctx, e.FS, "/etc/group", func(f []string) bool { return f[2] == group }); f != nil {
		group = f[0]
	}
	return user, group
}

func id(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "ugnGr", nil)
	w := e.Stdout
	if len(ops) > 0 {
		// id USER: that user's ids, as the account files give them.
		f := findEntry(ctx, e.FS, "/etc/passwd", func(f []string) bool { return f[0] == ops[0] })
		if len(f) < 4 {
			return e.Errorf("id: unknown user %s", ops[0])
		}
		c := *e
		c.UID, _ = strconv.Atoi(f[2])
		c.GID, _ = strconv.Atoi(f[3])
		e = &c
	}
	user, group := names(ctx, e)
	switch {
	case o.has("u") && o.has("n"):
		fmt.Fprintln(w, user)
	case o.has("u"):
		fmt.Fprintln(w, e.UID)
	case o.has("g") && o.has("n"):
		fmt.Fprintln(w, group)
	case o.has("g"):
		fmt.Fprintln(w, e.GID)
	default:
		// The container's process has its primary group and the groups that list the user
		// as a member as supplementary groups, and busybox prints them.
		groups := []string{fmt.Sprintf("%d(%s)", e.GID, group)}
		if data, err := readFile(ctx, e.FS, "/etc/group"); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				fs := strings.Split(line, ":")
				if len(fs) < 4 || fs[2] == strconv.Itoa(e.GID) {
					continue
				}
				for _, member := range strings.Split(fs[3], ",") {
					if member == user {
						groups = append(groups, fmt.Sprintf("%s(%s)", fs[2], fs[0]))
					}
				}
			}
		}
		fmt.Fprintf(w, "uid=%d(%s) gid=%d(%s) groups=%s\n", e.UID, user, e.GID, group, strings.Join(groups, ","))
	}
	return 0
}

func whoami(ctx context.Context, e *Env, args []string) int {
	user, _ := names(ctx, e)
	fmt.Fprintln(e.Stdout, user)
	return 0
}

func which(ctx context.Context, e *Env, args []string) int {
	code := 0
	for _, name := range args[1:] {
		found := false
		for _, dir := range strings.Split(e.Getenv("PATH"), ":") {
			p := path.Join(dir, name)
			if dir != "" && e.s.executable(ctx, p) {
				fmt.Fprintln(e.Stdout, p)
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

func sortApplet(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "nrufbdk:t:sco:", nil)
	datas, _, code := inputs(ctx, e, "sort", ops)
	var all []string
	for _, d := range datas {
		all = append(all, lines(d)...)
	}
	less := func(a, b string) bool { return a < b }
	if o.has("n") {
		less = func(a, b string) bool {
			x, y := leadingNumber(a), leadingNumber(b)
			if x != y {
				return x < y
			}
			return a < b
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if o.has("r") {
			return less(all[j], all[i])
		}
		return less(all[i], all[j])
	})
	w := e.Stdout
	prev := ""
	for i, l := range all {
		if o.has("u") && i > 0 && l == prev {
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

func uniq(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "cdui", nil)
	datas, _, code := inputs(ctx, e, "uniq", ops[:min(len(ops), 1)])
	var all []string
	for _, d := range datas {
		all = append(all, lines(d)...)
	}
	w := e.Stdout
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j] == all[i] {
			j++
		}
		n := j - i
		if (o.has("d") && n < 2) || (o.has("u") && n > 1) {
			i = j
			continue
		}
		if o.has("c") {
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

func tr(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "cdsC", nil)
	data, _ := io.ReadAll(e.Stdin)
	if len(ops) < 1 {
		return e.Errorf("tr: missing operand")
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
		case ok && o.has("d"):
			continue
		case ok && len(set2) > 0:
			c = set2[min(i, len(set2)-1)]
		}
		if o.has("s") && c == last {
			if _, sq := in[c]; sq || containsRune(set2, c) {
				continue
			}
		}
		last = c
		out.WriteRune(c)
	}
	io.WriteString(e.Stdout, out.String())
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

func cut(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "d:f:c:b:sn", nil)
	datas, _, code := inputs(ctx, e, "cut", ops)
	delim := "\t"
	if d := o.val('d'); o.has("d") && d != "" {
		delim = d[:1]
	}
	spec, byChar := o.val('f'), false
	if c := o.val('c'); o.has("c") {
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
	w := e.Stdout
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
				if !o.has("s") {
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

func grep(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "e:f:EFiIvwxcqnlLsoHhr", nil)
	var pattern string
	if o.has("e") {
		pattern = o.val('e')
	} else if len(ops) > 0 {
		pattern, ops = ops[0], ops[1:]
	} else {
		e.Errorf("grep: missing pattern")
		return 2
	}
	expr := breToRE(pattern)
	switch {
	case o.has("F"):
		expr = regexp.QuoteMeta(pattern)
	case o.has("E"):
		expr = pattern
	}
	if o.has("x") {
		expr = "^(?:" + expr + ")$"
	}
	if o.has("i") {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		e.Errorf("grep: bad regex '%s'", pattern)
		return 2
	}
	datas, names, code := inputs(ctx, e, "grep", ops)
	if code != 0 {
		code = 2
	}
	w := e.Stdout
	matched := false
	for i, d := range datas {
		count := 0
		for n, l := range lines(d) {
			if re.MatchString(l) == o.has("v") {
				continue
			}
			matched = true
			count++
			if o.has("q") {
				return 0
			}
			if o.has("c") || o.has("l") {
				continue
			}
			prefix := ""
			if len(names) > 1 {
				prefix = names[i] + ":"
			}
			if o.has("n") {
				prefix += strconv.Itoa(n+1) + ":"
			}
			fmt.Fprintln(w, prefix+l)
		}
		if o.has("l") && count > 0 {
			fmt.Fprintln(w, names[i])
		}
		if o.has("c") {
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
