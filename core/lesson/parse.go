package lesson

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on a lesson file: a teacher may open one from any URL, so the parser bounds what it
// will hold.
const (
	MaxFileSize = 512 << 10
	MaxSteps    = 100
)

// Parse reads the lesson file named name (the name gives the ID and is used in errors).
func Parse(name string, src []byte) (*Lesson, error) {
	p := &parser{file: name}
	l, err := p.parse(src)
	if err != nil {
		return nil, err
	}
	l.ID = IDOf(name)
	return l, nil
}

type parser struct {
	file string
}

func (p *parser) errf(line int, format string, a ...any) error {
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) parse(src []byte) (*Lesson, error) {
	if len(src) > MaxFileSize {
		return nil, p.errf(0, "the file is %d bytes; a lesson may be at most %d: split it into two lessons", len(src), MaxFileSize)
	}
	if !utf8.Valid(src) {
		return nil, p.errf(0, "the file is not UTF-8 text: save it as UTF-8")
	}
	text := strings.TrimPrefix(string(src), "\ufeff") // a BOM some editors write
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, ln := range lines {
		if strings.ContainsRune(ln, 0) {
			return nil, p.errf(i+1, "the line holds a NUL byte: a lesson is plain text")
		}
	}
	l := &Lesson{}
	i, err := p.frontMatter(l, lines)
	if err != nil {
		return nil, err
	}
	if err := p.body(l, lines, i); err != nil {
		return nil, err
	}
	return l, nil
}

// frontMatter reads the block between the first two "---" lines and returns the index of the
// first body line.
func (p *parser) frontMatter(l *Lesson, lines []string) (int, error) {
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return 0, p.errf(1, "a lesson starts with front matter: a line \"---\", then title:, section: and order:, then \"---\"")
	}
	seen := map[string]int{}
	for i := 1; i < len(lines); i++ {
		ln := strings.TrimSpace(lines[i])
		if ln == "---" {
			for _, k := range []string{"title", "section", "order"} {
				if seen[k] == 0 {
					return 0, p.errf(i+1, "the front matter has no %s: add a line \"%s: ...\" before this one", k, k)
				}
			}
			return i + 1, nil
		}
		if ln == "" || strings.HasPrefix(ln, "#") {
			continue
		}
		k, v, ok := strings.Cut(ln, ":")
		if !ok {
			return 0, p.errf(i+1, "front matter line %q is not \"key: value\"", ln)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if first, dup := seen[k]; dup {
			return 0, p.errf(i+1, "%s is already set on line %d", k, first)
		}
		seen[k] = i + 1
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		switch k {
		case "title":
			l.Title = v
		case "section":
			l.Section = v
		case "order":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, p.errf(i+1, "order %q is not a whole number: write e.g. \"order: 3\"", v)
			}
			l.Order = n
		default:
			return 0, p.errf(i+1, "unknown front matter key %q: a lesson has title, section and order", k)
		}
		if v == "" {
			return 0, p.errf(i+1, "%s is empty", k)
		}
	}
	return 0, p.errf(len(lines), "the front matter is not closed: add a line \"---\" after order:")
}

// fence is an open fenced block.
type fence struct {
	line  int    // where it opened
	ticks string // the opening run of backticks
	kind  string // command, file, check, or "" for a block shown as text
	path  string // file's path=
	body  []string
}

func (p *parser) body(l *Lesson, lines []string, start int) error {
	var intro, text []string
	var st *Step
	var f *fence
	finishStep := func() error {
		if st == nil {
			return nil
		}
		st.Text = strings.TrimSpace(strings.Join(text, "\n"))
		if len(st.Checks) == 0 {
			return p.errf(st.Line, "step %q has no check: add a ```check block saying what the learner will have done", st.Title)
		}
		l.Steps = append(l.Steps, *st)
		text = nil
		return nil
	}
	for i := start; i < len(lines); i++ {
		ln := lines[i]
		n := i + 1
		if f != nil {
			if t := strings.TrimSpace(ln); strings.HasPrefix(t, f.ticks) && strings.Trim(t, "`") == "" {
				if err := p.closeFence(st, f, &text, lines); err != nil {
					return err
				}
				f = nil
				continue
			}
			f.body = append(f.body, ln)
			continue
		}
		if strings.HasPrefix(ln, "```") {
			nf, err := p.openFence(n, ln)
			if err != nil {
				return err
			}
			if nf.kind != "" && st == nil {
				return p.errf(n, "a ```%s block before the first step: put it under a \"## \" step heading", nf.kind)
			}
			f = nf
			continue
		}
		if strings.HasPrefix(ln, "## ") || ln == "##" {
			if err := finishStep(); err != nil {
				return err
			}
			title := strings.TrimSpace(strings.TrimPrefix(ln, "##"))
			if title == "" {
				return p.errf(n, "a step heading needs a title: \"## Pull an image\"")
			}
			if len(l.Steps) >= MaxSteps {
				return p.errf(n, "more than %d steps: split the lesson", MaxSteps)
			}
			st = &Step{Title: title, Line: n}
			continue
		}
		if h, ok := hint(ln); ok {
			if st == nil {
				return p.errf(n, "a hint before the first step: put it under a \"## \" step heading")
			}
			if h == "" {
				return p.errf(n, "the hint is empty: write it after \"> hint:\"")
			}
			st.Hints = append(st.Hints, h)
			continue
		}
		if st == nil {
			if strings.HasPrefix(ln, "# ") && strings.TrimSpace(strings.Join(intro, "")) == "" && strings.TrimSpace(ln[2:]) == l.Title {
				continue // a title heading repeating the front matter's
			}
			intro = append(intro, ln)
		} else {
			text = append(text, ln)
		}
	}
	if f != nil {
		return p.errf(f.line, "the %s block opened here is not closed: add a line %s after it", fenceName(f), f.ticks)
	}
	if err := finishStep(); err != nil {
		return err
	}
	if len(l.Steps) == 0 {
		return p.errf(0, "the lesson has no steps: add a \"## \" heading for each step, each with a ```check block")
	}
	l.Intro = strings.TrimSpace(strings.Join(intro, "\n"))
	return nil
}

func fenceName(f *fence) string {
	if f.kind == "" {
		return "fenced"
	}
	return "```" + f.kind
}

func hint(ln string) (string, bool) {
	t := strings.TrimSpace(ln)
	if !strings.HasPrefix(t, ">") {
		return "", false
	}
	t = strings.TrimSpace(t[1:])
	if len(t) < 5 || !strings.EqualFold(t[:5], "hint:") {
		return "", false
	}
	return strings.TrimSpace(t[5:]), true
}

func (p *parser) openFence(n int, ln string) (*fence, error) {
	j := 0
	for j < len(ln) && ln[j] == '`' {
		j++
	}
	f := &fence{line: n, ticks: ln[:j]}
	info := strings.Fields(ln[j:])
	if len(info) == 0 {
		return f, nil
	}
	switch info[0] {
	case "command", "commands":
		f.kind = "command"
	case "check", "checks":
		f.kind = "check"
	case "file":
		f.kind = "file"
	default:
		return f, nil // ```dockerfile, ```sh...: shown as text
	}
	for _, a := range info[1:] {
		k, v, ok := strings.Cut(a, "=")
		if f.kind != "file" || !ok || k != "path" {
			return nil, p.errf(n, "```%s does not take %q: write ```file path=Dockerfile, ```command or ```check", f.kind, a)
		}
		if f.path != "" {
			return nil, p.errf(n, "path= is given twice")
		}
		v = strings.Trim(v, `"'`)
		if err := checkPath(v); err != nil {
			return nil, p.errf(n, "file path %q: %v", v, err)
		}
		f.path = v
	}
	if f.kind == "file" && f.path == "" {
		return nil, p.errf(n, "a ```file block needs its path: ```file path=Dockerfile")
	}
	return f, nil
}

// checkPath accepts a clean relative workspace path.
func checkPath(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("is empty")
	case strings.HasPrefix(v, "/"):
		return fmt.Errorf("is absolute: give it relative to the workspace")
	case strings.ContainsAny(v, "\\\x00"):
		return fmt.Errorf("holds a backslash or NUL: use / between folders")
	case path.Clean(v) != v || v == "." || v == ".." || strings.HasPrefix(v, "../"):
		return fmt.Errorf("is not a clean path inside the workspace (no .., no ./, no trailing /)")
	}
	return nil
}

func (p *parser) closeFence(st *Step, f *fence, text *[]string, lines []string) error {
	switch f.kind {
	case "":
		*text = append(*text, lines[f.line-1])
		*text = append(*text, f.body...)
		*text = append(*text, f.ticks)
	case "command":
		var cmds []string
		for _, c := range f.body {
			if c = strings.TrimSpace(c); c != "" && !strings.HasPrefix(c, "#") {
				cmds = append(cmds, c)
			}
		}
		if len(cmds) == 0 {
			return p.errf(f.line, "the ```command block is empty: put one terminal command on each line")
		}
		st.Commands = append(st.Commands, cmds...)
	case "file":
		for _, have := range st.Files {
			if have.Path == f.path {
				return p.errf(f.line, "the step already offers %s: one ```file block per path", f.path)
			}
		}
		content := strings.Join(f.body, "\n")
		if content != "" {
			content += "\n"
		}
		st.Files = append(st.Files, File{Path: f.path, Content: content})
	case "check":
		added := 0
		for k, c := range f.body {
			if c = strings.TrimSpace(c); c == "" || strings.HasPrefix(c, "#") {
				continue
			}
			chk, err := ParseCheck(c)
			if err != nil {
				return p.errf(f.line+1+k, "check %q: %v", c, err)
			}
			chk.Line = f.line + 1 + k
			st.Checks = append(st.Checks, chk)
			added++
		}
		if added == 0 {
			return p.errf(f.line, "the ```check block is empty: one check on each line (see docs/lessons.md)")
		}
	}
	return nil
}
