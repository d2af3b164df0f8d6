package format

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// FuncMap names the functions a template may call, as text/template's FuncMap does: each a
// func with one result, or two when the second is an error.
type FuncMap map[string]any

// Template is a parsed template. Funcs may replace functions after parsing (a table header
// is rendered with stand-ins), as with text/template.
type Template struct {
	name            string
	text            string
	tree            listNode
	funcs           map[string]reflect.Value
	methods         *Methods
	missingKeyError bool
}

// New returns an empty template named name (the name appears in error messages).
func New(name string) *Template {
	return &Template{name: name, funcs: map[string]reflect.Value{}, methods: StdMethods}
}

// Funcs adds the functions in m (replacing those of the same name) and returns t.
func (t *Template) Funcs(m FuncMap) *Template {
	for name, fn := range m {
		v := reflect.ValueOf(fn)
		if v.Kind() != reflect.Func {
			panic("format: value for " + name + " not a function")
		}
		t.funcs[name] = v
	}
	return t
}

// Methods sets the table of methods templates may call on the data (StdMethods by default).
func (t *Template) Methods(m *Methods) *Template {
	t.methods = m
	return t
}

// Option sets an option; only "missingkey=error" (and the default, "missingkey=default"
// or "missingkey=invalid") exist here.
func (t *Template) Option(opts ...string) *Template {
	for _, o := range opts {
		switch o {
		case "missingkey=error":
			t.missingKeyError = true
		case "missingkey=default", "missingkey=invalid":
			t.missingKeyError = false
		default:
			panic("unrecognized option: " + o)
		}
	}
	return t
}

// Parse parses text as the template's body.
func (t *Template) Parse(text string) (*Template, error) {
	p := &parser{name: t.name, text: text, funcs: func(name string) bool {
		if _, ok := t.funcs[name]; ok {
			return true
		}
		return builtin(name)
	}}
	tree, err := p.parse()
	if err != nil {
		return nil, err
	}
	t.text, t.tree = text, tree
	return t, nil
}

// Execute applies the template to data, writing to w.
func (t *Template) Execute(w io.Writer, data any) (err error) {
	s := &state{t: t, w: w, vars: []variable{{"$", reflect.ValueOf(data)}}}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(execError); ok {
				err = e
				return
			}
			panic(r)
		}
	}()
	s.walkList(reflect.ValueOf(data), t.tree)
	return nil
}

// execError is an error while executing, worded as text/template words it.
type execError struct{ err error }

func (e execError) Error() string { return e.err.Error() }
func (e execError) Unwrap() error { return e.err }

type variable struct {
	name  string
	value reflect.Value
}

type state struct {
	t    *Template
	w    io.Writer
	node node
	vars []variable
}

type control int

const (
	ctlNone control = iota
	ctlBreak
	ctlContinue
)

var (
	reflectValueType = reflect.TypeFor[reflect.Value]()
	errorType        = reflect.TypeFor[error]()
	stringerType     = reflect.TypeFor[fmt.Stringer]()
	missing          = reflect.ValueOf(missingType{})
)

type missingType struct{}

func isMissing(v reflect.Value) bool { return v.IsValid() && v.Type() == missing.Type() }

func (s *state) at(n node) { s.node = n }

// errorf stops execution with an error placed at the current node.
func (s *state) errorf(format string, args ...any) {
	s.fail(fmt.Errorf(format, args...))
}

func (s *state) fail(err error) {
	if s.node == nil {
		panic(execError{fmt.Errorf("template: %s: %w", s.t.name, err)})
	}
	pos := s.node.position()
	before := s.t.text[:min(pos, len(s.t.text))]
	line := 1 + strings.Count(before, "\n")
	col := pos - (strings.LastIndex(before, "\n") + 1)
	ctx := s.node.String()
	panic(execError{fmt.Errorf("template: %s:%d:%d: executing %q at <%s>: %w", s.t.name, line, col, s.t.name, ctx, err)})
}

func (s *state) mark() int { return len(s.vars) }
func (s *state) pop(m int) { s.vars = s.vars[:m] }

func (s *state) setVar(name string, v reflect.Value) {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			s.vars[i].value = v
			return
		}
	}
	s.errorf("undefined variable: %s", name)
}

func (s *state) varValue(name string) reflect.Value {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			return s.vars[i].value
		}
	}
	s.errorf("undefined variable: %s", name)
	return reflect.Value{}
}

func (s *state) walkList(dot reflect.Value, list listNode) control {
	for _, n := range list {
		if c := s.walk(dot, n); c != ctlNone {
			return c
		}
	}
	return ctlNone
}

func (s *state) walk(dot reflect.Value, n node) control {
	s.at(n)
	switch n := n.(type) {
	case *textNode:
		io.WriteString(s.w, n.text)
	case *actionNode:
		v := s.evalPipeline(dot, n.pipe)
		if len(n.pipe.decl) == 0 {
			s.printValue(n, v)
		}
	case *branchNode:
		if n.kind == "range" {
			return s.walkRange(dot, n)
		}
		return s.walkIfOrWith(dot, n)
	case *breakNode:
		return ctlBreak
	case *continueNode:
		return ctlContinue
	}
	return ctlNone
}

func (s *state) walkIfOrWith(dot reflect.Value, n *branchNode) control {
	defer s.pop(s.mark())
	val := s.evalPipeline(dot, n.pipe)
	truth, ok := isTrue(indirectInterface(val))
	if !ok {
		s.errorf("if/with can't use %v", val)
	}
	if truth {
		if n.kind == "with" {
			return s.walkList(val, n.list)
		}
		return s.walkList(dot, n.list)
	}
	if n.elseList != nil {
		return s.walkList(dot, n.elseList)
	}
	return ctlNone
}

func (s *state) walkRange(dot reflect.Value, n *branchNode) control {
	s.at(n)
	defer s.pop(s.mark())
	val, _ := indirect(s.evalPipeline(dot, n.pipe))
	mark := s.mark()
	// one runs the body for one element; it reports whether to stop
	one := func(index, elem reflect.Value) bool {
		if len(n.pipe.decl) > 0 {
			if n.pipe.isAssign {
				if len(n.pipe.decl) > 1 {
					s.setVar(n.pipe.decl[0].idents[0], index)
					s.setVar(n.pipe.decl[1].idents[0], elem)
				} else {
					s.setVar(n.pipe.decl[0].idents[0], elem)
				}
			} else {
				s.vars[mark-1].value = elem
				if len(n.pipe.decl) > 1 {
					s.vars[mark-2].value = index
				}
			}
		}
		defer s.pop(mark)
		return s.walkList(elem, n.list) == ctlBreak
	}
	ran := false
	switch val.Kind() {
	case reflect.Array, reflect.Slice:
		for i := 0; i < val.Len(); i++ {
			ran = true
			if one(reflect.ValueOf(i), val.Index(i)) {
				break
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if len(n.pipe.decl) > 1 {
			s.errorf("can't use %v to iterate over more than one variable", val)
		}
		var count uint64
		if val.CanInt() {
			if val.Int() > 0 {
				count = uint64(val.Int())
			}
		} else {
			count = val.Uint()
		}
		for i := uint64(0); i < count; i++ {
			ran = true
			e := reflect.New(val.Type()).Elem()
			if val.CanInt() {
				e.SetInt(int64(i))
			} else {
				e.SetUint(i)
			}
			if one(e, e) {
				break
			}
		}
	case reflect.Map:
		keys := sortedKeys(val)
		for _, k := range keys {
			ran = true
			if one(k, val.MapIndex(k)) {
				break
			}
		}
	case reflect.Invalid:
		// a missing or nil value ranges over nothing
	case reflect.Chan, reflect.Func:
		s.errorf("range over %s is not supported by layerlab's templates", val.Type())
	default:
		s.errorf("range can't iterate over %v", val)
	}
	if !ran && n.elseList != nil {
		return s.walkList(dot, n.elseList)
	}
	return ctlNone
}

// sortedKeys orders a map's keys as fmt and text/template do for the basic kinds.
func sortedKeys(m reflect.Value) []reflect.Value {
	keys := m.MapKeys()
	sort.SliceStable(keys, func(i, j int) bool { return compareKeys(keys[i], keys[j]) < 0 })
	return keys
}

func compareKeys(a, b reflect.Value) int {
	switch a.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cmp3(a.Int() < b.Int(), a.Int() > b.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return cmp3(a.Uint() < b.Uint(), a.Uint() > b.Uint())
	case reflect.String:
		return strings.Compare(a.String(), b.String())
	case reflect.Float32, reflect.Float64:
		return cmp3(a.Float() < b.Float(), a.Float() > b.Float())
	case reflect.Bool:
		return cmp3(!a.Bool() && b.Bool(), a.Bool() && !b.Bool())
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return cmp3(a.IsNil() && !b.IsNil(), !a.IsNil() && b.IsNil())
		}
		ae, be := a.Elem(), b.Elem()
		if ae.Type() != be.Type() {
			return strings.Compare(ae.Type().String(), be.Type().String())
		}
		return compareKeys(ae, be)
	}
	return 0
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	}
	return 0
}

func (s *state) evalPipeline(dot reflect.Value, pipe *pipeNode) reflect.Value {
	s.at(pipe)
	value := missing
	for _, c := range pipe.cmds {
		value = s.evalCommand(dot, c, value)
		// lift a concrete value out of an empty interface
		if value.Kind() == reflect.Interface && value.Type().NumMethod() == 0 {
			value = reflect.ValueOf(value.Interface())
		}
	}
	for _, d := range pipe.decl {
		if pipe.isAssign {
			s.setVar(d.idents[0], value)
		} else {
			s.vars = append(s.vars, variable{d.idents[0], value})
		}
	}
	return value
}

func (s *state) notAFunction(args []node, final reflect.Value) {
	if len(args) > 1 || !isMissing(final) {
		s.errorf("can't give argument to non-function %s", args[0])
	}
}

func (s *state) evalCommand(dot reflect.Value, cmd *cmdNode, final reflect.Value) reflect.Value {
	first := cmd.args[0]
	switch n := first.(type) {
	case *fieldNode:
		return s.evalFieldNode(dot, n, cmd.args, final)
	case *chainNode:
		return s.evalChainNode(dot, n, cmd.args, final)
	case *identNode:
		return s.evalFunction(dot, n, cmd, cmd.args, final)
	case *pipeNode:
		s.notAFunction(cmd.args, final)
		return s.evalPipeline(dot, n)
	case *varNode:
		return s.evalVariableNode(dot, n, cmd.args, final)
	}
	s.at(first)
	s.notAFunction(cmd.args, final)
	switch n := first.(type) {
	case *boolNode:
		return reflect.ValueOf(n.val)
	case *dotNode:
		return dot
	case *nilNode:
		s.errorf("nil is not a command")
	case *numberNode:
		return s.idealConstant(n)
	case *stringNode:
		return reflect.ValueOf(n.text)
	}
	s.errorf("can't evaluate command %q", first)
	return reflect.Value{}
}

// idealConstant is an untyped number's value where no type is asked for: an int, or a
// float64 when written with a point or an exponent.
func (s *state) idealConstant(n *numberNode) reflect.Value {
	s.at(n)
	isChar := strings.HasPrefix(n.text, "'")
	isHex := strings.HasPrefix(strings.TrimLeft(n.text, "+-"), "0x") || strings.HasPrefix(strings.TrimLeft(n.text, "+-"), "0X")
	switch {
	case n.isFloat && !isChar && !isHex && strings.ContainsAny(n.text, ".eEpP"):
		return reflect.ValueOf(n.f)
	case n.isInt:
		v := int(n.i)
		if int64(v) != n.i {
			s.errorf("%s overflows int", n.text)
		}
		return reflect.ValueOf(v)
	case n.isUint:
		s.errorf("%s overflows int", n.text)
	}
	return reflect.Value{}
}

func (s *state) evalFieldNode(dot reflect.Value, f *fieldNode, args []node, final reflect.Value) reflect.Value {
	s.at(f)
	return s.evalFieldChain(dot, dot, f, f.idents, args, final)
}

func (s *state) evalChainNode(dot reflect.Value, c *chainNode, args []node, final reflect.Value) reflect.Value {
	s.at(c)
	if _, ok := c.node.(*nilNode); ok {
		s.errorf("indirection through explicit nil in %s", c)
	}
	pipe := s.evalArg(dot, nil, c.node)
	return s.evalFieldChain(dot, pipe, c, c.field, args, final)
}

func (s *state) evalVariableNode(dot reflect.Value, v *varNode, args []node, final reflect.Value) reflect.Value {
	s.at(v)
	value := s.varValue(v.idents[0])
	if len(v.idents) == 1 {
		s.notAFunction(args, final)
		return value
	}
	return s.evalFieldChain(dot, value, v, v.idents[1:], args, final)
}

func (s *state) evalFieldChain(dot, recv reflect.Value, n node, idents []string, args []node, final reflect.Value) reflect.Value {
	last := len(idents) - 1
	for i := 0; i < last; i++ {
		recv = s.evalField(dot, idents[i], n, nil, missing, recv)
	}
	return s.evalField(dot, idents[last], n, args, final, recv)
}

func (s *state) evalFunction(dot reflect.Value, id *identNode, cmd node, args []node, final reflect.Value) reflect.Value {
	s.at(id)
	name := id.name
	if fn, ok := s.t.funcs[name]; ok {
		return s.evalCall(dot, fn, reflect.Value{}, cmd, name, args, final)
	}
	if builtin(name) {
		return s.evalBuiltin(dot, name, cmd, args, final)
	}
	s.errorf("%q is not a defined function", name)
	return reflect.Value{}
}

// evalField is .Name on recv: a listed method, a struct field or a map key.
func (s *state) evalField(dot reflect.Value, name string, n node, args []node, final, recv reflect.Value) reflect.Value {
	if !recv.IsValid() {
		if s.t.missingKeyError {
			s.errorf("nil data; no entry for key %q", name)
		}
		return reflect.Value{}
	}
	typ := recv.Type()
	recv, isNil := indirect(recv)
	if recv.Kind() == reflect.Interface && isNil {
		s.errorf("nil pointer evaluating %s.%s", typ, name)
	}
	ptr := recv
	if ptr.Kind() != reflect.Interface && ptr.Kind() != reflect.Pointer && ptr.CanAddr() {
		ptr = ptr.Addr()
	}
	if fn, r, ok := s.t.methods.lookup(ptr, name); ok {
		if !r.IsValid() {
			s.errorf("nil pointer evaluating %s.%s", typ, name)
		}
		return s.evalCall(dot, fn, r, n, name, args, final)
	}
	hasArgs := len(args) > 1 || !isMissing(final)
	switch recv.Kind() {
	case reflect.Struct:
		if f, ok := recv.Type().FieldByName(name); ok {
			field, err := recv.FieldByIndexErr(f.Index)
			if !f.IsExported() {
				s.errorf("%s is an unexported field of struct type %s", name, typ)
			}
			if err != nil {
				s.errorf("%v", err)
			}
			if hasArgs {
				s.errorf("%s has arguments but cannot be invoked as function", name)
			}
			return field
		}
	case reflect.Map:
		key := reflect.ValueOf(name)
		if key.Type().AssignableTo(recv.Type().Key()) {
			if hasArgs {
				s.errorf("%s is not a method but has arguments", name)
			}
			v := recv.MapIndex(key)
			if !v.IsValid() && s.t.missingKeyError {
				s.errorf("map has no entry for key %q", name)
			}
			return v
		}
	case reflect.Pointer:
		if et := recv.Type().Elem(); et.Kind() == reflect.Struct {
			if _, ok := et.FieldByName(name); !ok {
				break
			}
		}
		if isNil {
			s.errorf("nil pointer evaluating %s.%s", typ, name)
		}
	}
	s.errorf("can't evaluate field %s in type %s", name, typ)
	return reflect.Value{}
}

// evalCall calls fn (with recv first when it is a method expression) on the command's
// arguments args[1:] and final, the previous command's value in a pipeline.
func (s *state) evalCall(dot, fn, recv reflect.Value, n node, name string, args []node, final reflect.Value) reflect.Value {
	if args != nil {
		args = args[1:]
	}
	typ := fn.Type()
	skip := 0
	if recv.IsValid() {
		skip = 1
	}
	numIn := len(args)
	if !isMissing(final) {
		numIn++
	}
	numParams := typ.NumIn() - skip
	numFixed := len(args)
	if typ.IsVariadic() {
		numFixed = numParams - 1
		if numIn < numFixed {
			s.errorf("wrong number of args for %s: want at least %d got %d", name, numFixed, numIn)
		}
	} else if numIn != numParams {
		s.errorf("wrong number of args for %s: want %d got %d", name, numParams, numIn)
	}
	if err := goodFunc(name, typ); err != nil {
		s.errorf("%v", err)
	}
	argv := make([]reflect.Value, 0, numIn+skip)
	if recv.IsValid() {
		argv = append(argv, recv)
	}
	i := 0
	for ; i < numFixed && i < len(args); i++ {
		argv = append(argv, s.evalArg(dot, typ.In(skip+i), args[i]))
	}
	if typ.IsVariadic() {
		et := typ.In(typ.NumIn() - 1).Elem()
		for ; i < len(args); i++ {
			argv = append(argv, s.evalArg(dot, et, args[i]))
		}
	}
	if !isMissing(final) {
		t := typ.In(typ.NumIn() - 1)
		if typ.IsVariadic() {
			if numIn-1 < numFixed {
				// the final argument fills the last fixed parameter
				t = typ.In(skip + numIn - 1)
			} else {
				t = t.Elem()
			}
		}
		argv = append(argv, s.validateType(final, t))
	}
	v, err := safeCall(fn, argv)
	if err != nil {
		s.at(n)
		s.errorf("error calling %s: %w", name, err)
	}
	if v.Type() == reflectValueType {
		v = v.Interface().(reflect.Value)
	}
	return v
}

func goodFunc(name string, typ reflect.Type) error {
	switch {
	case typ.NumOut() == 1:
		return nil
	case typ.NumOut() == 2 && typ.Out(1) == errorType:
		return nil
	case typ.NumOut() == 2:
		return fmt.Errorf("invalid function signature for %s: second return value should be error; is %s", name, typ.Out(1))
	}
	return fmt.Errorf("function %s has %d return values; should be 1 or 2", name, typ.NumOut())
}

func safeCall(fn reflect.Value, args []reflect.Value) (val reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	ret := fn.Call(args)
	if len(ret) == 2 && !ret[1].IsNil() {
		return ret[0], ret[1].Interface().(error)
	}
	return ret[0], nil
}

func canBeNil(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice:
		return true
	case reflect.Struct:
		return t == reflectValueType
	}
	return false
}

// validateType makes v fit a parameter of type t, as Go's assignment would.
func (s *state) validateType(v reflect.Value, t reflect.Type) reflect.Value {
	if !v.IsValid() {
		if t == nil {
			return reflect.ValueOf(nil)
		}
		if canBeNil(t) {
			return reflect.Zero(t)
		}
		s.errorf("invalid value; expected %s", t)
	}
	if t == reflectValueType && v.Type() != t {
		return reflect.ValueOf(v)
	}
	if t != nil && !v.Type().AssignableTo(t) {
		if v.Kind() == reflect.Interface && !v.IsNil() {
			v = v.Elem()
			if v.Type().AssignableTo(t) {
				return v
			}
		}
		switch {
		case v.Kind() == reflect.Pointer && v.Type().Elem().AssignableTo(t):
			v = v.Elem()
			if !v.IsValid() {
				s.errorf("dereference of nil pointer of type %s", t)
			}
		case reflect.PointerTo(v.Type()).AssignableTo(t) && v.CanAddr():
			v = v.Addr()
		default:
			s.errorf("wrong type for value; expected %s; got %s", t, v.Type())
		}
	}
	return v
}

func (s *state) evalArg(dot reflect.Value, t reflect.Type, n node) reflect.Value {
	s.at(n)
	switch a := n.(type) {
	case *dotNode:
		return s.validateType(dot, t)
	case *nilNode:
		if t != nil && canBeNil(t) {
			return reflect.Zero(t)
		}
		s.errorf("cannot assign nil to %s", t)
	case *fieldNode:
		return s.validateType(s.evalFieldNode(dot, a, []node{n}, missing), t)
	case *varNode:
		return s.validateType(s.evalVariableNode(dot, a, nil, missing), t)
	case *pipeNode:
		return s.validateType(s.evalPipeline(dot, a), t)
	case *identNode:
		return s.validateType(s.evalFunction(dot, a, a, nil, missing), t)
	case *chainNode:
		return s.validateType(s.evalChainNode(dot, a, nil, missing), t)
	}
	if t == nil {
		s.errorf("can't handle %s for arg of type <nil>", n)
	}
	switch t.Kind() {
	case reflect.Bool:
		if b, ok := n.(*boolNode); ok {
			v := reflect.New(t).Elem()
			v.SetBool(b.val)
			return v
		}
		s.errorf("expected bool; found %s", n)
	case reflect.Float32, reflect.Float64:
		if num, ok := n.(*numberNode); ok && num.isFloat {
			v := reflect.New(t).Elem()
			v.SetFloat(num.f)
			return v
		}
		s.errorf("expected float; found %s", n)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if num, ok := n.(*numberNode); ok && num.isInt {
			v := reflect.New(t).Elem()
			v.SetInt(num.i)
			return v
		}
		s.errorf("expected integer; found %s", n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if num, ok := n.(*numberNode); ok && num.isUint {
			v := reflect.New(t).Elem()
			v.SetUint(num.u)
			return v
		}
		s.errorf("expected unsigned integer; found %s", n)
	case reflect.String:
		if str, ok := n.(*stringNode); ok {
			v := reflect.New(t).Elem()
			v.SetString(str.text)
			return v
		}
		s.errorf("expected string; found %s", n)
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return s.evalEmptyInterface(dot, n)
		}
	case reflect.Struct:
		if t == reflectValueType {
			return reflect.ValueOf(s.evalEmptyInterface(dot, n))
		}
	}
	s.errorf("can't handle %s for arg of type %s", n, t)
	return reflect.Value{}
}

func (s *state) evalEmptyInterface(dot reflect.Value, n node) reflect.Value {
	s.at(n)
	switch a := n.(type) {
	case *boolNode:
		return reflect.ValueOf(a.val)
	case *numberNode:
		return s.idealConstant(a)
	case *stringNode:
		return reflect.ValueOf(a.text)
	}
	s.errorf("can't handle assignment of %s to empty interface argument", n)
	return reflect.Value{}
}

// indirect follows pointers and interfaces to the value underneath; isNil says it stopped
// at a nil one.
func indirect(v reflect.Value) (reflect.Value, bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
	}
	return v, false
}

func indirectInterface(v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Interface || v.IsNil() {
		if v.Kind() == reflect.Interface {
			return reflect.Value{}
		}
		return v
	}
	return v.Elem()
}

// isTrue is the truth of a value for if, with, and, or, not: set and not empty or zero.
func isTrue(v reflect.Value) (truth, ok bool) {
	if !v.IsValid() {
		return false, true
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() > 0, true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Complex64, reflect.Complex128:
		return v.Complex() != 0, true
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.Interface, reflect.UnsafePointer:
		return !v.IsNil(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() != 0, true
	case reflect.Float32, reflect.Float64:
		return v.Float() != 0, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() != 0, true
	case reflect.Struct:
		return true, true
	}
	return false, false
}

// printValue writes what an action's value prints as: fmt's %v of it, pointers followed,
// "<no value>" for nothing.
func (s *state) printValue(n node, v reflect.Value) {
	s.at(n)
	p, ok := printable(v)
	if !ok {
		s.errorf("can't print %s of type %s", n, v.Type())
	}
	if _, err := fmt.Fprint(s.w, p); err != nil {
		s.fail(fmt.Errorf("writing: %w", err))
	}
}

func printable(v reflect.Value) (any, bool) {
	if v.Kind() == reflect.Pointer {
		v, _ = indirect(v)
	}
	if !v.IsValid() {
		return "<no value>", true
	}
	if !v.Type().Implements(errorType) && !v.Type().Implements(stringerType) {
		if v.CanAddr() && (reflect.PointerTo(v.Type()).Implements(errorType) || reflect.PointerTo(v.Type()).Implements(stringerType)) {
			v = v.Addr()
		} else {
			switch v.Kind() {
			case reflect.Chan, reflect.Func:
				return nil, false
			}
		}
	}
	return v.Interface(), true
}
