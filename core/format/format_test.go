package format_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/layerlab/layerlab/core/format"
)

// The data the differential tests run templates on: the shapes docker's format data has
// (rows with methods, nested structs and pointers, maps, slices, times, json numbers).
type row struct {
	id   string
	size int64
}

func (r *row) ID() string       { return r.id }
func (r *row) Size() int64      { return r.size }
func (r *row) Plus(n int) int64 { return r.size + int64(n) }
func (r *row) Label(k string) (string, error) {
	if k == "" {
		return "", errors.New("empty label key")
	}
	return "label-" + k, nil
}

type nested struct {
	User  string
	Env   []string
	Ports map[string]struct{}
	Check *struct {
		Interval time.Duration
		Retries  int
	}
}

type doc struct {
	Name    string
	Tags    []string
	Labels  map[string]string
	Num     int
	Neg     int
	U       uint
	F       float64
	B       bool
	Nested  *nested
	NilPtr  *nested
	Any     any
	NilAny  any
	Empty   []string
	Created time.Time
	D       time.Duration
	Raw     map[string]any
	Rows    []*row
	IntMap  map[int]string
	Str     fmt.Stringer
	private string
}

func testDoc() doc {
	var raw map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"Id":"sha256:abc","Size":1234,"RepoTags":["a:1","b:2"],"Config":{"Env":["A=1"],"Labels":null,"User":""},"Empty":{}}`))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		panic(err)
	}
	return doc{
		Name:   "layerlab/app",
		Tags:   []string{"1.0", "latest", "x y"},
		Labels: map[string]string{"maintainer": "me", "a": "b", "z": ""},
		Num:    3, Neg: -2, U: 7, F: 2.5, B: true,
		Nested: &nested{User: "root", Env: []string{"PATH=/bin", "HOME=/root"}, Ports: map[string]struct{}{"80/tcp": {}},
			Check: &struct {
				Interval time.Duration
				Retries  int
			}{3, 3}}, // 3ns: small enough to range over
		Any:     "anything",
		Created: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		D:       1500 * time.Millisecond,
		Raw:     raw,
		Rows:    []*row{{"r1", 10}, {"r2", 0}},
		IntMap:  map[int]string{3: "three", 1: "one", 2: "two"},
		Str:     time.Duration(5),
		private: "hidden",
	}
}

var methods = format.NewMethods().Merge(format.StdMethods).
	Add("ID", (*row).ID).Add("Size", (*row).Size).Add("Plus", (*row).Plus).Add("Label", (*row).Label)

// docker's functions (core/cli registers the same).
var funcs = map[string]any{
	"json": func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return string(b)
	},
	"join":     strings.Join,
	"split":    strings.Split,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"title":    strings.Title, //nolint:staticcheck // docker uses it
	"pad":      func(s string, a, b int) string { return strings.Repeat(" ", a) + s + strings.Repeat(" ", b) },
	"truncate": func(s string, n int) string { return s[:min(n, len(s))] },
}

type result struct {
	out string
	err string
}

func runText(tmpl string, data any, missingKeyError bool) (result, bool) {
	t, err := template.New("").Funcs(template.FuncMap(funcs)).Parse(tmpl)
	if err != nil {
		return result{err: err.Error()}, false
	}
	if missingKeyError {
		t.Option("missingkey=error")
	}
	var b bytes.Buffer
	err = t.Execute(&b, data)
	r := result{out: b.String()}
	if err != nil {
		r.err = err.Error()
	}
	return r, true
}

func runOurs(tmpl string, data any, missingKeyError bool) (result, bool) {
	t, err := format.New("").Funcs(funcs).Methods(methods).Parse(tmpl)
	if err != nil {
		return result{err: err.Error()}, false
	}
	if missingKeyError {
		t.Option("missingkey=error")
	}
	var b bytes.Buffer
	err = t.Execute(&b, data)
	r := result{out: b.String()}
	if err != nil {
		r.err = err.Error()
	}
	return r, true
}

// compare runs tmpl with both engines on each data value and reports any difference.
func compare(t *testing.T, tmpl string) {
	t.Helper()
	d := testDoc()
	for _, data := range []any{d, &d, d.Raw, map[string]string{"Type": "TYPE"}, nil} {
		for _, mk := range []bool{false, true} {
			want, wantParsed := runText(tmpl, data, mk)
			got, gotParsed := runOurs(tmpl, data, mk)
			if !gotParsed && strings.Contains(got.err, "not supported by layerlab's templates") {
				return // left out on purpose, and said so
			}
			if wantParsed != gotParsed {
				t.Fatalf("template %q: parsed=%v (%s); text/template parsed=%v (%s)", tmpl, gotParsed, got.err, wantParsed, want.err)
			}
			if !wantParsed {
				return // both refuse it; the wording of syntax errors is checked in TestParseErrors
			}
			// text/template may write part of the output before an error; so does format
			if got != want {
				t.Fatalf("template %q on %T (missingkey=error %v):\ngot  %q, error %q\nwant %q, error %q", tmpl, data, mk, got.out, got.err, want.out, want.err)
			}
		}
	}
}

func TestMatchesTextTemplate(t *testing.T) {
	for _, tmpl := range corpus {
		t.Run(tmpl, func(t *testing.T) { compare(t, tmpl) })
	}
}

// corpus is docker-style formats and the constructs around them.
var corpus = []string{
	"", "plain text", "{{.Name}}", "{{.Name}}:{{.Num}}", "{{ .Name }}", "{{- .Name -}}", "a {{- .Name -}} b",
	"a  {{- /* comment */ -}}  b", "{{/* c */}}x", "{{.Tags}}", "{{.Labels}}", "{{.Nested}}", "{{.NilPtr}}",
	"{{.Nested.User}}", "{{.Nested.Check.Interval}}", "{{.Nested.Check.Retries}}", "{{.NilPtr.User}}",
	"{{.Nope}}", "{{.Nested.Nope}}", "{{.private}}", "{{.Labels.maintainer}}", "{{.Labels.nope}}",
	"{{.Created}}", "{{.Created.IsZero}}", "{{.Created.Unix}}", "{{.Created.Format \"2006-01-02\"}}", "{{.Created.Year}}",
	"{{.Created.Clock}}", "{{.D}}", "{{.D.Seconds}}", "{{.Str}}", "{{.Any}}", "{{.NilAny}}", "{{.NilAny.X}}",
	"{{.Empty}}", "{{.F}}", "{{.U}}", "{{.B}}", "{{.Neg}}",
	"{{json .}}", "{{json .Tags}}", "{{json .Nested}}", "{{join .Tags \", \"}}", "{{split .Name \"/\"}}",
	"{{upper .Name}} {{lower .Name}} {{title .Name}}", "{{truncate .Name 5}}|{{pad .Name 2 3}}|",
	"{{println .Name}}{{println .Num}}", "{{print .Name .Num}}", "{{printf \"%s-%d\" .Name .Num}}", "{{printf \"%v\" .Tags}}",
	"{{index .Tags 0}}", "{{index .Tags 3}}", "{{index .Tags 5}}", "{{index .Tags -1}}", "{{index .Labels \"maintainer\"}}",
	"{{index .Labels \"nope\"}}", "{{index .IntMap 2}}", "{{index .Raw \"RepoTags\" 1}}", "{{index .Name 1}}", "{{index .Num 1}}",
	"{{index . \"Id\"}}", "{{index nil 1}}",
	"{{range .Tags}}{{println .}}{{end}}", "{{range $i, $e := .Tags}}{{$i}}={{$e}};{{end}}",
	"{{range $e := .Tags}}[{{$e}}]{{end}}", "{{range .Empty}}x{{else}}none{{end}}", "{{range .Labels}}{{.}},{{end}}",
	"{{range $k, $v := .Labels}}{{$k}}={{$v}} {{end}}", "{{range $k, $v := .IntMap}}{{$k}}={{$v}} {{end}}",
	"{{range .Tags}}{{if eq . \"latest\"}}{{break}}{{end}}{{.}} {{end}}", "{{range .Tags}}{{if eq . \"latest\"}}{{continue}}{{end}}{{.}} {{end}}",
	"{{range .Num}}{{.}}{{end}}", "{{range $i, $e := .Num}}{{.}}{{end}}", "{{range .Name}}{{.}}{{end}}", "{{range .NilPtr}}x{{end}}",
	"{{range .Rows}}{{.ID}}:{{.Size}} {{end}}", "{{range .Rows}}{{.Plus 5}} {{end}}", "{{range .Rows}}{{.Label \"k\"}} {{.Label \"\"}}{{end}}",
	"{{range .Rows}}{{.ID 1}}{{end}}", "{{range .Rows}}{{.Nope}}{{end}}", "{{(index .Rows 0).ID}}", "{{(index .Rows 1).Size | printf \"%05d\"}}",
	"{{if .B}}yes{{end}}", "{{if .Empty}}yes{{else}}no{{end}}", "{{if .Nope}}y{{else if .Num}}n{{else}}z{{end}}",
	"{{if and .B .Num}}a{{end}}", "{{if or .Empty .Name}}o{{end}}", "{{and .Num .Name}}", "{{or .Empty .NilPtr}}", "{{not .B}}",
	"{{and}}", "{{or 0 \"\" 3}}", "{{with .Nested}}{{.User}}{{end}}", "{{with .NilPtr}}x{{else}}nil{{end}}",
	"{{with .Empty}}x{{else with .Tags}}{{index . 0}}{{end}}", "{{with $x := .Name}}{{$x}}{{end}}",
	"{{$x := .Name}}{{$x}}", "{{$x := 1}}{{$x = 2}}{{$x}}", "{{$}}", "{{$.Name}}", "{{range .Tags}}{{$.Name}}{{end}}",
	"{{.Name | upper}}", "{{.Name | printf \"%q\"}}", "{{.Tags | join \"-\"}}", "{{.Name | len}}", "{{len .Tags}}", "{{len .Labels}}",
	"{{len .Num}}", "{{len .NilPtr}}", "{{eq .Num 3}}", "{{eq .Num 3 4}}", "{{eq .Name \"x\" \"layerlab/app\"}}", "{{ne .Num 3}}",
	"{{lt .Num 4}}", "{{le .Num 3}}", "{{gt .F 2.0}}", "{{ge .U 7}}", "{{eq .U 7}}", "{{lt .Neg .U}}", "{{eq .Num \"3\"}}",
	"{{lt .Tags .Tags}}", "{{eq .Nested .Nested}}", "{{eq .NilPtr nil}}", "{{eq .Tags .Tags}}", "{{eq .Num}}",
	"{{1}}", "{{-1}}", "{{1.5}}", "{{1e3}}", "{{0x10}}", "{{'a'}}", "{{\"s\"}}", "{{`raw`}}", "{{true}}", "{{nil}}", "{{.}}",
	"{{printf \"%T\" 1.0}}", "{{printf \"%T %T\" 1 'a'}}", "{{99999999999999999999}}",
	"{{slice .Name 1 3}}", "{{slice .Tags 1}}", "{{slice .Name 3 1}}",
	"{{.Raw.Id}}", "{{.Raw.Size}}", "{{.Raw.Size.Int64}}", "{{.Raw.Config.Env}}", "{{.Raw.Config.Labels}}", "{{.Raw.Nope}}",
	"{{.Raw.Config.Nope}}", "{{.Raw.Config.Labels.x}}", "{{json .Raw.Empty}}", "{{.Type}}", "{{.Name.X}}",
	"{{.Num.X}}", "{{printf}}", "{{upper}}", "{{upper 1}}", "{{truncate .Name \"x\"}}", "{{join .Name \",\"}}", "{{json}}",
	"{{.Name 1}}", "{{.Labels.a 1}}", "{{$x := .Nope}}{{$x}}", "{{template \"x\"}}", "{{html .Name}}",
	"{{.Nested.Check.Interval.Seconds}}", "{{(.Nested).User}}", "{{(1).X}}",
	"{{range $i, $e := .Labels}}{{$i}}{{end}}", "{{range .Tags}}{{else}}{{end}}", "x\n{{.Nope}}", "a\nb\n  {{.Nested.Nope}}",
	"{{printf \"%s\" (index .Tags 0)}}", "{{.Created.Format}}", "{{.D.Round 1000000000}}", "{{.Created.Add .D}}",
	"{{.Tags.X}}", "{{if}}{{end}}", "{{range}}{{end}}", "{{end}}", "{{else}}", "{{if .B}}", "{{.Name", "{{.Name}", "{{\"x}}",
	"{{.Name | }}", "{{| .Name}}", "{{(.Name}}", "{{.Name)}}", "{{$y}}", "{{nope}}", "{{.A.B.C.D.E.F.G.H.I.J.K}}",
	"{{index .Raw.RepoTags 0 1}}", "{{not}}", "{{len}}", "{{index}}", "{{break}}", "{{range .Tags}}{{break 1}}{{end}}",
}

// TestGenerated runs templates built at random from the supported grammar through both
// engines.
func TestGenerated(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 5000; i++ {
		compare(t, gen(r, 2))
	}
}

var (
	genFields = []string{".Name", ".Tags", ".Labels", ".Num", ".Neg", ".U", ".F", ".B", ".Nested", ".NilPtr", ".Nested.User",
		".Nested.Env", ".Nested.Check.Interval", ".Any", ".NilAny", ".Empty", ".Created", ".D", ".Raw", ".Raw.RepoTags",
		".Raw.Config", ".Raw.Size", ".Rows", ".IntMap", ".Nope", ".Labels.a", ".Created.IsZero", ".Str", ".", "$", "$.Name"}
	genConsts = []string{"0", "1", "-1", "2.5", "\"a\"", "\"latest\"", "\"\"", "true", "false", "nil", "3"}
	genFuncs  = []string{"json", "join", "split", "lower", "upper", "title", "pad", "truncate", "len", "index", "print",
		"println", "printf", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "slice"}
)

func genOperand(r *rand.Rand, depth int) string {
	switch n := r.Intn(10); {
	case n < 5:
		return genFields[r.Intn(len(genFields))]
	case n < 8 || depth == 0:
		return genConsts[r.Intn(len(genConsts))]
	default:
		return "(" + genPipeline(r, depth-1) + ")"
	}
}

func genCommand(r *rand.Rand, depth int) string {
	if r.Intn(2) == 0 {
		return genOperand(r, depth)
	}
	f := genFuncs[r.Intn(len(genFuncs))]
	args := []string{f}
	for k := r.Intn(4); k > 0; k-- {
		args = append(args, genOperand(r, depth))
	}
	return strings.Join(args, " ")
}

func genPipeline(r *rand.Rand, depth int) string {
	cmds := []string{genCommand(r, depth)}
	for r.Intn(4) == 0 {
		cmds = append(cmds, genCommand(r, depth))
	}
	return strings.Join(cmds, " | ")
}

func gen(r *rand.Rand, depth int) string {
	var b strings.Builder
	for k := 1 + r.Intn(3); k > 0; k-- {
		switch n := r.Intn(12); {
		case n < 2:
			b.WriteString([]string{"x", " ", "\n", "|", "\t"}[r.Intn(5)])
		case n < 8 || depth == 0:
			b.WriteString("{{" + genPipeline(r, 1) + "}}")
		case n == 8:
			b.WriteString("{{if " + genPipeline(r, 1) + "}}" + gen(r, depth-1))
			if r.Intn(2) == 0 {
				b.WriteString("{{else}}" + gen(r, depth-1))
			}
			b.WriteString("{{end}}")
		case n == 9:
			b.WriteString("{{with " + genPipeline(r, 1) + "}}" + gen(r, depth-1) + "{{end}}")
		case n == 10:
			decl := []string{"", "$e := ", "$i, $e := "}[r.Intn(3)]
			body := gen(r, depth-1)
			if decl != "" {
				body += "{{$e}}"
			}
			b.WriteString("{{range " + decl + genPipeline(r, 1) + "}}" + body + "{{end}}")
		default:
			b.WriteString("{{$v := " + genPipeline(r, 1) + "}}{{$v}}")
		}
	}
	return b.String()
}

// FuzzMatchesTextTemplate: any template text both engines accept gives the same output and
// error; text/template's refusal is ours too. Constructs layerlab leaves out are skipped.
func FuzzMatchesTextTemplate(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tmpl string) {
		for _, w := range []string{"define", "template", "block", "html", "js", "urlquery", "call", "range", "{{else"} {
			// range over channels and iterator funcs, and the constructs above, are left out;
			// ranges are covered by the corpus and TestGenerated
			if strings.Contains(tmpl, w) {
				return
			}
		}
		if strings.Count(tmpl, "{{") > 12 || len(tmpl) > 300 {
			return // keep runs quick; depth is what the generator explores
		}
		compare(t, tmpl)
	})
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{"{{.Nope", "template: :1: unclosed action"},
		{"{{nope}}", `template: :1: function "nope" not defined`},
		{"a\n{{if .B}}", "template: :2: unexpected EOF"},
		{"{{html .Name}}", `template: :1: function "html" is not supported by layerlab's templates`},
		{"{{define \"x\"}}{{end}}", "template: :1: {{define}} is not supported by layerlab's templates"},
	}
	for _, tc := range tests {
		_, err := format.New("").Parse(tc.tmpl)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q): got %v; want %q", tc.tmpl, err, tc.want)
		}
	}
}

// TestStdMethodsComplete: every exported method of the standard types in StdMethods is
// listed, so a template calling one behaves as with text/template.
func TestStdMethodsComplete(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[time.Time](), reflect.TypeFor[*time.Time](), reflect.TypeFor[time.Duration](),
		reflect.TypeFor[json.Number](), reflect.TypeFor[json.RawMessage](), reflect.TypeFor[*json.RawMessage](), reflect.TypeFor[time.Month](), reflect.TypeFor[time.Weekday]()} {
		listed := map[string]bool{}
		for _, n := range format.StdMethods.Names(typ) {
			listed[n] = true
		}
		if typ.Kind() == reflect.Pointer {
			for _, n := range format.StdMethods.Names(typ.Elem()) {
				listed[n] = true
			}
		}
		var missing []string
		for i := 0; i < typ.NumMethod(); i++ {
			if name := typ.Method(i).Name; !listed[name] {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("StdMethods lacks %v of %s", missing, typ)
		}
	}
}
