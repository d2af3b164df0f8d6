package format

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The template text is read in one pass: scanAction cuts an action into tokens, the parser
// builds the tree from them. Positions are byte offsets into the whole text, so that error
// messages can say line and column the way text/template does.

type tokKind int

const (
	tEOF tokKind = iota
	tField
	tVar
	tDot
	tIdent
	tString
	tRawString
	tNumber
	tBool
	tNil
	tPipe
	tLParen
	tRParen
	tDeclare
	tAssign
	tComma
	tSpace
	tKeyword
	tChar
)

type token struct {
	kind tokKind
	text string
	pos  int
}

var keywords = map[string]bool{
	"if": true, "else": true, "end": true, "range": true, "with": true, "break": true,
	"continue": true, "define": true, "template": true, "block": true,
}

// parseError is a syntax error: text/template words them "template: NAME:LINE: msg".
type parseError struct {
	name string
	line int
	msg  string
}

func (e *parseError) Error() string { return fmt.Sprintf("template: %s:%d: %s", e.name, e.line, e.msg) }

type parser struct {
	name  string
	text  string
	funcs func(string) bool
	// the tokens of the current action
	toks []token
	i    int
	// the text's items: text runs and actions, in order
	items []item
	at    int
	// rangeDepth counts enclosing range blocks: break and continue need one
	rangeDepth int
	vars       [][]string
}

// item is a piece of the template: literal text or one action's tokens.
type item struct {
	text     string
	isAction bool
	action   []token
	pos      int // where the action's tokens start (after "{{" and its trim marker)
	end      int // where the action ends, for the "unclosed action" line
}

func (p *parser) errorf(pos int, format string, args ...any) {
	panic(&parseError{name: p.name, line: 1 + strings.Count(p.text[:min(pos, len(p.text))], "\n"), msg: fmt.Sprintf(format, args...)})
}

// split cuts the text into literal runs and actions, applying trim markers.
func (p *parser) split() {
	text := p.text
	off := 0
	for {
		i := strings.Index(text[off:], "{{")
		if i < 0 {
			if off < len(text) {
				p.items = append(p.items, item{text: text[off:], pos: off})
			}
			return
		}
		start := off + i
		lit := text[off:start]
		inner := start + 2
		if strings.HasPrefix(text[inner:], "- ") || strings.HasPrefix(text[inner:], "-\t") ||
			strings.HasPrefix(text[inner:], "-\n") || strings.HasPrefix(text[inner:], "-\r") {
			lit = strings.TrimRight(lit, " \t\r\n")
			inner++
		}
		if lit != "" {
			p.items = append(p.items, item{text: lit, pos: off})
		}
		// a comment: {{/* ... */}} with optional trim markers
		// (right after "{{", or after "{{-" and its one space)
		c := inner
		if inner != start+2 {
			c++
		}
		if strings.HasPrefix(text[c:], "/*") {
			e := strings.Index(text[c+2:], "*/")
			if e < 0 {
				p.errorf(start, "unclosed comment")
			}
			after := c + 2 + e + 2
			trimAfter := false
			switch {
			case strings.HasPrefix(text[after:], "}}"):
				after += 2
			case len(text) > after+3 && isSpace(text[after]) && text[after+1] == '-' && strings.HasPrefix(text[after+2:], "}}"):
				after += 4
				trimAfter = true
			default:
				p.errorf(start, "comment ends before closing delimiter")
			}
			off = after
			if trimAfter {
				off = skipSpace(text, off)
			}
			continue
		}
		toks, end, trimAfter := p.scanAction(inner)
		p.items = append(p.items, item{isAction: true, action: toks, pos: inner, end: end})
		off = end
		if trimAfter {
			off = skipSpace(text, off)
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// scanAction reads the tokens of the action starting at i, up to and past its "}}".
func (p *parser) scanAction(i int) (toks []token, end int, trimAfter bool) {
	text := p.text
	parens := 0
	for {
		if i >= len(text) {
			p.errorf(i, "unclosed action")
		}
		c := text[i]
		switch {
		case strings.HasPrefix(text[i:], "}}"):
			if parens > 0 {
				p.errorf(i, "unclosed left paren")
			}
			return toks, i + 2, false
		case isSpace(c):
			j := skipSpace(text, i)
			if strings.HasPrefix(text[j:], "-}}") {
				if parens > 0 {
					p.errorf(i, "unclosed left paren")
				}
				return toks, j + 3, true
			}
			if strings.Contains(text[i:j], "\n") && parens == 0 {
				// text/template allows newlines inside actions since Go 1.16; keep them as space
			}
			toks = append(toks, token{tSpace, text[i:j], i})
			i = j
		case c == '|':
			toks = append(toks, token{tPipe, "|", i})
			i++
		case c == '(':
			parens++
			toks = append(toks, token{tLParen, "(", i})
			i++
		case c == ')':
			parens--
			if parens < 0 {
				p.errorf(i, "unexpected right paren")
			}
			toks = append(toks, token{tRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", i})
			i++
		case c == ':':
			if i+1 >= len(text) || text[i+1] != '=' {
				p.errorf(i, "expected :=")
			}
			toks = append(toks, token{tDeclare, ":=", i})
			i += 2
		case c == '=':
			toks = append(toks, token{tAssign, "=", i})
			i++
		case c == '"':
			j := i + 1
			for {
				if j >= len(text) || text[j] == '\n' {
					p.errorf(i, "unterminated quoted string")
				}
				if text[j] == '\\' {
					j += 2
					continue
				}
				if text[j] == '"' {
					break
				}
				j++
			}
			toks = append(toks, token{tString, text[i : j+1], i})
			i = j + 1
		case c == '`':
			j := strings.IndexByte(text[i+1:], '`')
			if j < 0 {
				p.errorf(i, "unterminated raw quoted string")
			}
			toks = append(toks, token{tRawString, text[i : i+j+2], i})
			i += j + 2
		case c == '\'':
			j := i + 1
			for {
				if j >= len(text) || text[j] == '\n' {
					p.errorf(i, "unterminated character constant")
				}
				if text[j] == '\\' {
					j += 2
					continue
				}
				if text[j] == '\'' {
					break
				}
				j++
			}
			toks = append(toks, token{tChar, text[i : j+1], i})
			i = j + 1
		case c == '$':
			j := i + 1
			for j < len(text) && isAlnumAt(text, j) {
				_, n := utf8.DecodeRuneInString(text[j:])
				j += n
			}
			p.terminated(j)
			toks = append(toks, token{tVar, text[i:j], i})
			i = j
		case c == '.':
			if i+1 < len(text) && text[i+1] >= '0' && text[i+1] <= '9' {
				j := scanNumber(text, i)
				toks = append(toks, token{tNumber, text[i:j], i})
				i = j
				continue
			}
			j := i + 1
			for j < len(text) && isAlnumAt(text, j) {
				_, n := utf8.DecodeRuneInString(text[j:])
				j += n
			}
			p.terminated(j)
			if j == i+1 {
				toks = append(toks, token{tDot, ".", i})
			} else {
				toks = append(toks, token{tField, text[i:j], i})
			}
			i = j
		case c == '+' || c == '-' || (c >= '0' && c <= '9'):
			j := scanNumber(text, i)
			if j == i {
				p.errorf(i, "bad character %#U", rune(c))
			}
			toks = append(toks, token{tNumber, text[i:j], i})
			i = j
		case isAlnumAt(text, i):
			j := i
			for j < len(text) && isAlnumAt(text, j) {
				_, n := utf8.DecodeRuneInString(text[j:])
				j += n
			}
			p.terminated(j)
			w := text[i:j]
			switch {
			case keywords[w]:
				toks = append(toks, token{tKeyword, w, i})
			case w == "true" || w == "false":
				toks = append(toks, token{tBool, w, i})
			case w == "nil":
				toks = append(toks, token{tNil, w, i})
			default:
				toks = append(toks, token{tIdent, w, i})
			}
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(text[i:])
			p.errorf(i, "unexpected %q in command", r)
		}
	}
}

// terminated fails unless the word ending at i is followed by what may follow an operand.
func (p *parser) terminated(i int) {
	text := p.text
	if i >= len(text) || isSpace(text[i]) || strings.HasPrefix(text[i:], "}}") {
		return
	}
	switch text[i] {
	case '.', ',', '|', ':', ')', '(':
		return
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	p.errorf(i, "bad character %#U", r)
}

func isAlnumAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// scanNumber returns the end of the number starting at i (i itself when there is none).
func scanNumber(s string, i int) int {
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	digits := "0123456789_"
	if strings.HasPrefix(s[j:], "0x") || strings.HasPrefix(s[j:], "0X") {
		j += 2
		digits = "0123456789abcdefABCDEF_"
	}
	start := j
	for j < len(s) && strings.IndexByte(digits, s[j]) >= 0 {
		j++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && strings.IndexByte(digits, s[j]) >= 0 {
			j++
		}
	}
	if j == start || (j == start+1 && s[start] == '.') {
		return i
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			j = k
		}
	}
	// a number runs into letters: text/template reports it as a bad number
	for j < len(s) && isAlnumAt(s, j) {
		j++
	}
	return j
}

// ---- tree ----

type node interface {
	String() string
	position() int
}

type listNode []node

type textNode struct {
	pos  int
	text string
}

type actionNode struct {
	pos  int
	pipe *pipeNode
}

type branchNode struct {
	kind     string // "if", "with", "range"
	pos      int
	pipe     *pipeNode
	list     listNode
	elseList listNode
}

type breakNode struct{ pos int }
type continueNode struct{ pos int }

type pipeNode struct {
	pos      int
	isAssign bool
	decl     []*varNode
	cmds     []*cmdNode
}

type cmdNode struct {
	pos  int
	args []node
}

type fieldNode struct {
	pos    int
	idents []string
}

type varNode struct {
	pos    int
	idents []string // idents[0] is the variable's name with its $
}

type chainNode struct {
	pos   int
	node  node
	field []string
}

type identNode struct {
	pos  int
	name string
}

type dotNode struct{ pos int }
type nilNode struct{ pos int }
type boolNode struct {
	pos int
	val bool
}
type stringNode struct {
	pos    int
	quoted string
	text   string
}
type numberNode struct {
	pos     int
	text    string
	isInt   bool
	isUint  bool
	isFloat bool
	i       int64
	u       uint64
	f       float64
}

func (n *textNode) position() int     { return n.pos }
func (n *actionNode) position() int   { return n.pos }
func (n *branchNode) position() int   { return n.pos }
func (n *breakNode) position() int    { return n.pos }
func (n *continueNode) position() int { return n.pos }
func (n *pipeNode) position() int     { return n.pos }
func (n *cmdNode) position() int      { return n.pos }
func (n *fieldNode) position() int    { return n.pos }
func (n *varNode) position() int      { return n.pos }
func (n *chainNode) position() int    { return n.pos }
func (n *identNode) position() int    { return n.pos }
func (n *dotNode) position() int      { return n.pos }
func (n *nilNode) position() int      { return n.pos }
func (n *boolNode) position() int     { return n.pos }
func (n *stringNode) position() int   { return n.pos }
func (n *numberNode) position() int   { return n.pos }

func (n *textNode) String() string { return fmt.Sprintf("%q", n.text) }
func (n *actionNode) String() string {
	return "{{" + n.pipe.String() + "}}"
}
func (n *branchNode) String() string {
	s := "{{" + n.kind + " " + n.pipe.String() + "}}" + n.list.String()
	if n.elseList != nil {
		s += "{{else}}" + n.elseList.String()
	}
	return s + "{{end}}"
}
func (l listNode) String() string {
	var b strings.Builder
	for _, n := range l {
		b.WriteString(n.String())
	}
	return b.String()
}
func (n *breakNode) String() string    { return "{{break}}" }
func (n *continueNode) String() string { return "{{continue}}" }
func (n *pipeNode) String() string {
	var b strings.Builder
	for i, v := range n.decl {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.String())
	}
	if len(n.decl) > 0 {
		if n.isAssign {
			b.WriteString(" = ")
		} else {
			b.WriteString(" := ")
		}
	}
	for i, c := range n.cmds {
		if i > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}
func (n *cmdNode) String() string {
	var b strings.Builder
	for i, a := range n.args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if p, ok := a.(*pipeNode); ok {
			b.WriteString("(" + p.String() + ")")
			continue
		}
		b.WriteString(a.String())
	}
	return b.String()
}
func (n *fieldNode) String() string { return "." + strings.Join(n.idents, ".") }
func (n *varNode) String() string   { return strings.Join(n.idents, ".") }
func (n *chainNode) String() string {
	s := n.node.String()
	if _, ok := n.node.(*pipeNode); ok {
		s = "(" + s + ")"
	}
	for _, f := range n.field {
		s += "." + f
	}
	return s
}
func (n *identNode) String() string  { return n.name }
func (n *dotNode) String() string    { return "." }
func (n *nilNode) String() string    { return "nil" }
func (n *boolNode) String() string   { return strconv.FormatBool(n.val) }
func (n *stringNode) String() string { return n.quoted }
func (n *numberNode) String() string { return n.text }

// ---- parser ----

func (p *parser) parse() (list listNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*parseError)
			if !ok {
				panic(r)
			}
			err = pe
		}
	}()
	p.split()
	p.vars = [][]string{{"$"}}
	list, stop := p.itemList()
	if stop != "" {
		p.errorf(p.items[p.at-1].pos, "unexpected {{%s}}", stop)
	}
	return list, nil
}

// itemList parses items up to the end of the text or an {{else}} / {{end}}, returning which.
func (p *parser) itemList() (listNode, string) {
	var list listNode
	for p.at < len(p.items) {
		it := p.items[p.at]
		p.at++
		if !it.isAction {
			list = append(list, &textNode{pos: it.pos, text: it.text})
			continue
		}
		p.toks, p.i = it.action, 0
		p.skipSpace()
		t := p.peek()
		if t.kind == tKeyword {
			switch t.text {
			case "end", "else":
				return list, t.text
			}
			list = append(list, p.keyword(it))
			continue
		}
		if t.kind == tEOF {
			p.errorf(it.pos, "missing value for command")
		}
		pipe := p.pipeline("command", it.pos)
		list = append(list, &actionNode{pos: it.pos, pipe: pipe})
	}
	return list, ""
}

func (p *parser) keyword(it item) node {
	t := p.next()
	switch t.text {
	case "if", "with", "range":
		return p.branch(t.text, t.pos)
	case "break", "continue":
		p.skipSpace()
		if p.peek().kind != tEOF {
			p.errorf(t.pos, "unexpected %s in {{%s}}", describe(p.peek()), t.text)
		}
		if p.rangeDepth == 0 {
			p.errorf(t.pos, "{{%s}} outside {{range}}", t.text)
		}
		if t.text == "break" {
			return &breakNode{pos: t.pos}
		}
		return &continueNode{pos: t.pos}
	}
	p.errorf(t.pos, "{{%s}} is not supported by layerlab's templates", t.text)
	return nil
}

// branch parses {{if|with|range pipeline}} list [{{else [if|with ...]}} list] {{end}}.
func (p *parser) branch(kind string, pos int) node {
	p.vars = append(p.vars, nil)
	defer func() { p.vars = p.vars[:len(p.vars)-1] }()
	pipe := p.pipeline(kind, pos)
	if kind == "range" {
		p.rangeDepth++
	}
	list, stop := p.itemList()
	if kind == "range" {
		p.rangeDepth--
	}
	n := &branchNode{kind: kind, pos: pos, pipe: pipe, list: list}
	switch stop {
	case "":
		p.errorf(len(p.text), "unexpected EOF")
	case "else":
		p.next() // else
		p.skipSpace()
		if t := p.peek(); t.kind == tKeyword && (t.text == "if" && kind == "if" || t.text == "with" && kind == "with") {
			// {{else if ...}}: a nested branch that shares this one's {{end}}
			p.next()
			n.elseList = listNode{p.branch(t.text, t.pos)}
			return n
		}
		if t := p.peek(); t.kind != tEOF {
			p.errorf(t.pos, "unexpected %s in else", describe(t))
		}
		var stop2 string
		p.vars = append(p.vars, nil)
		n.elseList, stop2 = p.itemList()
		p.vars = p.vars[:len(p.vars)-1]
		if stop2 != "end" {
			if stop2 == "" {
				p.errorf(len(p.text), "unexpected EOF")
			}
			p.errorf(p.items[p.at-1].pos, "expected end; found {{else}}")
		}
	}
	p.next() // end
	p.skipSpace()
	if t := p.peek(); t.kind != tEOF {
		p.errorf(t.pos, "unexpected %s in end", describe(t))
	}
	return n
}

func (p *parser) peek() token {
	if p.i >= len(p.toks) {
		return token{kind: tEOF, pos: p.endPos()}
	}
	return p.toks[p.i]
}

func (p *parser) endPos() int {
	if len(p.toks) == 0 {
		return 0
	}
	l := p.toks[len(p.toks)-1]
	return l.pos + len(l.text)
}

func (p *parser) next() token {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func (p *parser) skipSpace() {
	for p.i < len(p.toks) && p.toks[p.i].kind == tSpace {
		p.i++
	}
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "EOF"
	case tRParen:
		return "<)>"
	case tString, tRawString:
		return "quoted string"
	}
	return "<" + t.text + ">"
}

// pipeline parses [decl :=] command | command ... up to the end of the action (or a ")").
func (p *parser) pipeline(context string, pos int) *pipeNode {
	p.skipSpace()
	pipe := &pipeNode{pos: p.peek().pos}
	// declarations: $x := / $x = / $i, $e :=
	if t := p.peek(); t.kind == tVar {
		save := p.i
		var decl []*varNode
		ok := false
		for {
			v := p.next()
			if v.kind != tVar {
				break
			}
			p.skipSpace()
			nt := p.next()
			if nt.kind == tDeclare || nt.kind == tAssign {
				decl = append(decl, &varNode{pos: v.pos, idents: []string{v.text}})
				pipe.isAssign = nt.kind == tAssign
				ok = true
				break
			}
			if nt.kind == tComma && context == "range" && len(decl) == 0 {
				decl = append(decl, &varNode{pos: v.pos, idents: []string{v.text}})
				p.skipSpace()
				continue
			}
			break
		}
		if ok {
			pipe.decl = decl
			for _, d := range decl {
				// as in text/template, an assignment also makes the name known to the
				// parser; assigning to an undeclared variable fails when run
				p.vars[len(p.vars)-1] = append(p.vars[len(p.vars)-1], d.idents[0])
			}
		} else {
			p.i = save
		}
	}
	for {
		p.skipSpace()
		t := p.peek()
		if t.kind == tEOF || t.kind == tRParen {
			if len(pipe.cmds) == 0 {
				p.errorf(t.pos, "missing value for %s", context)
			}
			return pipe
		}
		c := p.command()
		if len(pipe.cmds) > 0 {
			switch c.args[0].(type) {
			case *boolNode, *dotNode, *nilNode, *numberNode, *stringNode:
				p.errorf(c.pos, "non executable command in pipeline stage %d", len(pipe.cmds)+1)
			}
		}
		pipe.cmds = append(pipe.cmds, c)
		p.skipSpace()
		switch t := p.peek(); t.kind {
		case tPipe:
			p.next()
		case tEOF, tRParen:
		default:
			p.errorf(t.pos, "unexpected %s in operand", describe(t))
		}
	}
}

func (p *parser) known(name string) bool {
	for i := len(p.vars) - 1; i >= 0; i-- {
		for _, v := range p.vars[i] {
			if v == name {
				return true
			}
		}
	}
	return false
}

func (p *parser) command() *cmdNode {
	cmd := &cmdNode{pos: p.peek().pos}
	for {
		p.skipSpace()
		t := p.peek()
		if t.kind == tEOF || t.kind == tRParen || t.kind == tPipe {
			break
		}
		op := p.operand()
		if op == nil {
			p.errorf(t.pos, "unexpected %s in operand", describe(t))
		}
		cmd.args = append(cmd.args, op)
		// operands are separated by space
		switch n := p.peek(); n.kind {
		case tSpace, tEOF, tRParen, tPipe:
		default:
			p.errorf(n.pos, "unexpected %s in operand", describe(n))
		}
	}
	if len(cmd.args) == 0 {
		p.errorf(p.peek().pos, "empty command")
	}
	return cmd
}

// operand is a term followed by any .Field chain.
func (p *parser) operand() node {
	n := p.term()
	if n == nil {
		return nil
	}
	var fields []string
	// text/template places a chain at its second element
	last := n.position()
	for p.peek().kind == tField {
		t := p.next()
		if len(fields) == 0 {
			last = t.pos
		}
		fields = append(fields, t.text[1:])
	}
	if len(fields) == 0 {
		return n
	}
	switch n := n.(type) {
	case *fieldNode:
		n.idents = append(n.idents, fields...)
		n.pos = last
		return n
	case *varNode:
		n.idents = append(n.idents, fields...)
		n.pos = last
		return n
	case *boolNode, *stringNode, *numberNode, *nilNode, *dotNode:
		p.errorf(n.position(), "unexpected . after term %q", n.String())
	}
	return &chainNode{pos: n.position(), node: n, field: fields}
}

func (p *parser) term() node {
	t := p.next()
	switch t.kind {
	case tIdent:
		if !p.funcs(t.text) && unsupportedFuncs[t.text] {
			p.errorf(t.pos, "function %q is not supported by layerlab's templates", t.text)
		}
		if !p.funcs(t.text) {
			p.errorf(t.pos, "function %q not defined", t.text)
		}
		return &identNode{pos: t.pos, name: t.text}
	case tDot:
		return &dotNode{pos: t.pos}
	case tNil:
		return &nilNode{pos: t.pos}
	case tVar:
		if !p.known(t.text) {
			p.errorf(t.pos, "undefined variable %q", t.text)
		}
		return &varNode{pos: t.pos, idents: []string{t.text}}
	case tField:
		return &fieldNode{pos: t.pos, idents: []string{t.text[1:]}}
	case tBool:
		return &boolNode{pos: t.pos, val: t.text == "true"}
	case tNumber, tChar:
		return p.number(t)
	case tString, tRawString:
		s, err := strconv.Unquote(t.text)
		if err != nil {
			p.errorf(t.pos, "%s", err)
		}
		return &stringNode{pos: t.pos, quoted: t.text, text: s}
	case tLParen:
		pipe := p.pipeline("parenthesized pipeline", t.pos)
		if c := p.next(); c.kind != tRParen {
			p.errorf(c.pos, "unclosed left paren")
		}
		return pipe
	}
	p.i--
	return nil
}

func (p *parser) number(t token) node {
	n := &numberNode{pos: t.pos, text: t.text}
	if t.kind == tChar {
		r, _, tail, err := strconv.UnquoteChar(t.text[1:], '\'')
		if err != nil || tail != "'" {
			p.errorf(t.pos, "malformed character constant: %s", t.text)
		}
		n.isInt, n.isUint, n.isFloat = true, r >= 0, true
		n.i, n.u, n.f = int64(r), uint64(r), float64(r)
		return n
	}
	if strings.HasSuffix(t.text, "i") {
		p.errorf(t.pos, "complex number %s is not supported by layerlab's templates", t.text)
	}
	if u, err := strconv.ParseUint(t.text, 0, 64); err == nil {
		n.isUint, n.u = true, u
	}
	if i, err := strconv.ParseInt(t.text, 0, 64); err == nil {
		n.isInt, n.i = true, i
		if i == 0 {
			n.isUint, n.u = true, 0
		}
	}
	switch {
	case n.isInt:
		n.isFloat, n.f = true, float64(n.i)
	case n.isUint:
		n.isFloat, n.f = true, float64(n.u)
	default:
		f, err := strconv.ParseFloat(t.text, 64)
		if err == nil {
			if !strings.ContainsAny(t.text, ".eEpP") {
				p.errorf(t.pos, "integer overflow: %q", t.text)
			}
			n.isFloat, n.f = true, f
			if float64(int64(f)) == f {
				n.isInt, n.i = true, int64(f)
			}
			if f >= 0 && float64(uint64(f)) == f {
				n.isUint, n.u = true, uint64(f)
			}
		}
	}
	if !n.isInt && !n.isUint && !n.isFloat {
		p.errorf(t.pos, "illegal number syntax: %q", t.text)
	}
	return n
}
