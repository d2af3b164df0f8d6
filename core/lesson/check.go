package lesson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/view"
)

// Check is one line of a ```check block: a predicate over the playground's state. The
// language is described in docs/lessons.md; its forms are:
//
//	image REF exists
//	image REF layers OP N             (OP: == != < <= > >=)
//	image REF shares a layer with REF
//	build succeeded
//	build tagged REF
//	build steps K..M cached           (or: build step K cached; "ran" for not CACHED)
//	file PATH exists
//	file PATH contains TEXT
//	hub REPO exists                   (or: public, private)
//	logged out [REGISTRY]             (or: logged in; default Docker Hub)
//	config REF .PATH == VALUE         (VALUE is JSON, or a bare string)
//	config REF .PATH contains VALUE
//
// and any of them after "not". ${USER} stands for the learner's Docker ID.
type Check struct {
	Text string
	Line int // in the lesson file; 0 when parsed alone

	not  bool
	kind string   // image-exists, image-layers, image-shares, build-ok, build-tagged, build-steps, file-exists, file-contains, hub, logged, config-eq, config-contains
	args []string // references, paths, the registry, the repository (unexpanded)
	op   string   // layers' comparison; hub's exists/public/private; logged's in/out; build steps' cached/ran
	n    int      // layers' N; build steps' K
	m    int      // build steps' M
	text string   // contains' text; config's value as written
}

// Result is what a check, or a step's checks, found.
type Result struct {
	Passed  bool   `json:"passed"`
	Message string `json:"message"`
}

// ParseCheck parses one check line.
func ParseCheck(line string) (*Check, error) {
	toks, err := tokenize(line)
	if err != nil {
		return nil, err
	}
	c := &Check{Text: strings.TrimSpace(line)}
	if len(toks) > 0 && toks[0] == "not" {
		c.not = true
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return nil, errors.New("empty check")
	}
	for _, t := range toks {
		if err := checkVars(t); err != nil {
			return nil, err
		}
	}
	bad := func(form string) error {
		return fmt.Errorf("write it as %q", form)
	}
	switch toks[0] {
	case "image":
		switch {
		case len(toks) == 3 && toks[2] == "exists":
			c.kind, c.args = "image-exists", toks[1:2]
		case len(toks) == 5 && toks[2] == "layers":
			n, err := strconv.Atoi(toks[4])
			if err != nil || n < 0 || !validOp(toks[3]) {
				return nil, bad("image REF layers == N")
			}
			c.kind, c.args, c.op, c.n = "image-layers", toks[1:2], toks[3], n
		case len(toks) == 7 && strings.Join(toks[2:6], " ") == "shares a layer with":
			c.kind, c.args = "image-shares", []string{toks[1], toks[6]}
		default:
			return nil, bad("image REF exists|layers == N|shares a layer with REF")
		}
	case "build":
		switch {
		case len(toks) == 2 && toks[1] == "succeeded":
			c.kind = "build-ok"
		case len(toks) == 3 && toks[1] == "tagged":
			c.kind, c.args = "build-tagged", toks[2:3]
		case len(toks) == 4 && (toks[1] == "steps" || toks[1] == "step") && (toks[3] == "cached" || toks[3] == "ran"):
			k, m, err := stepRange(toks[2])
			if err != nil {
				return nil, err
			}
			c.kind, c.n, c.m, c.op = "build-steps", k, m, toks[3]
		default:
			return nil, bad("build succeeded|tagged REF|steps K..M cached|steps K..M ran")
		}
	case "file":
		switch {
		case len(toks) == 3 && toks[2] == "exists":
			c.kind = "file-exists"
		case len(toks) == 4 && toks[2] == "contains":
			c.kind, c.text = "file-contains", toks[3]
			if c.text == "" {
				return nil, errors.New("contains needs some text")
			}
		default:
			return nil, bad(`file PATH exists|contains "TEXT"`)
		}
		if err := checkPath(toks[1]); err != nil {
			return nil, fmt.Errorf("file path %q %v", toks[1], err)
		}
		c.args = toks[1:2]
	case "hub":
		if len(toks) != 3 || (toks[2] != "exists" && toks[2] != "public" && toks[2] != "private") {
			return nil, bad("hub USER/NAME exists|public|private")
		}
		c.kind, c.args, c.op = "hub", toks[1:2], toks[2]
	case "logged":
		if len(toks) < 2 || len(toks) > 3 || (toks[1] != "in" && toks[1] != "out") {
			return nil, bad("logged out [REGISTRY]")
		}
		c.kind, c.op = "logged", toks[1]
		c.args = []string{""}
		if len(toks) == 3 {
			c.args[0] = toks[2]
		}
	case "config":
		if len(toks) != 5 || !strings.HasPrefix(toks[2], ".") || (toks[3] != "==" && toks[3] != "contains") {
			return nil, bad(`config REF .Config.Cmd == ["node","index.js"]`)
		}
		if _, err := fieldPath(toks[2]); err != nil {
			return nil, err
		}
		c.kind, c.args, c.text = "config-eq", toks[1:3], toks[4]
		if toks[3] == "contains" {
			c.kind = "config-contains"
		}
	default:
		return nil, fmt.Errorf("unknown check %q: a check starts with image, build, file, hub, logged or config (or not)", toks[0])
	}
	return c, nil
}

func validOp(op string) bool {
	switch op {
	case "==", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

func stepRange(s string) (int, int, error) {
	a, b, isRange := strings.Cut(s, "..")
	k, err1 := strconv.Atoi(a)
	m := k
	var err2 error
	if isRange {
		m, err2 = strconv.Atoi(b)
	}
	if err1 != nil || err2 != nil || k < 1 || m < k || m > 10000 {
		return 0, 0, fmt.Errorf("steps %q: give a step number or a range K..M, counting as the build prints [K/N]", s)
	}
	return k, m, nil
}

// tokenize splits a check line into words; a word in double quotes may hold spaces (Go's
// escapes apply), and the value after "==" or "contains" of a config check is the rest of
// the line.
func tokenize(s string) ([]string, error) {
	var toks []string
	s = strings.TrimSpace(s)
	for s != "" {
		if len(toks) == 4 && toks[0] == "config" || (len(toks) == 5 && toks[0] == "not" && toks[1] == "config") {
			rest := strings.TrimSpace(s)
			if strings.HasPrefix(rest, `"`) {
				if u, err := strconv.Unquote(rest); err == nil {
					rest = u
				} else {
					rest = strings.TrimSpace(s)
				}
			}
			return append(toks, rest), nil
		}
		if s[0] == '"' {
			end := 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return nil, errors.New("a quoted text is not closed: end it with \"")
			}
			u, err := strconv.Unquote(s[:end+1])
			if err != nil {
				return nil, fmt.Errorf("quoted text %s: %v", s[:end+1], err)
			}
			toks = append(toks, u)
			s = strings.TrimLeft(s[end+1:], " \t")
			continue
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			i = len(s)
		}
		toks = append(toks, s[:i])
		s = strings.TrimLeft(s[i:], " \t")
	}
	return toks, nil
}

// checkVars refuses a ${...} other than ${USER}.
func checkVars(s string) error {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 || s[i:i+j+1] != "${USER}" {
			return fmt.Errorf("only ${USER} (the learner's Docker ID) can be used in a lesson: found %q", s[i:])
		}
		s = s[i+j+1:]
	}
}

// Expand replaces ${USER} with user in a lesson's command, file or check.
func Expand(s, user string) string {
	if user == "" {
		user = "learner"
	}
	return strings.ReplaceAll(s, "${USER}", user)
}

func fieldPath(p string) ([]string, error) {
	parts := strings.Split(strings.TrimPrefix(p, "."), ".")
	for _, f := range parts {
		if f == "" {
			return nil, fmt.Errorf("field path %q has an empty part: write it as docker inspect's --format does, e.g. .Config.Cmd", p)
		}
	}
	return parts, nil
}

// Eval evaluates the check against st. An error means the state could not be read (not
// that the check failed).
func (c *Check) Eval(ctx context.Context, st *State) (Result, error) {
	ok, msg, err := c.eval(ctx, st)
	if err != nil {
		return Result{}, fmt.Errorf("checking %q: %w", c.Text, err)
	}
	if c.not {
		return Result{Passed: !ok, Message: msg}, nil
	}
	return Result{Passed: ok, Message: msg}, nil
}

func (c *Check) arg(i int, st *State) string { return Expand(c.args[i], st.user()) }

func (c *Check) eval(ctx context.Context, st *State) (bool, string, error) {
	switch c.kind {
	case "image-exists", "image-layers", "image-shares":
		cat, err := view.Load(ctx, st.Store)
		if err != nil {
			return false, "", err
		}
		ref := c.arg(0, st)
		im, msg := lookup(cat, ref)
		if im == nil {
			return false, msg, nil
		}
		switch c.kind {
		case "image-exists":
			return true, fmt.Sprintf("image %s exists", ref), nil
		case "image-layers":
			n := len(im.DiffIDs)
			if compare(n, c.op, c.n) {
				return true, fmt.Sprintf("image %s has %d layers", ref, n), nil
			}
			return false, fmt.Sprintf("image %s has %d layers; this step wants %s %d", ref, n, c.op, c.n), nil
		default:
			other := c.arg(1, st)
			im2, msg := lookup(cat, other)
			if im2 == nil {
				return false, msg, nil
			}
			have := map[string]bool{}
			for _, d := range im.DiffIDs {
				have[d.String()] = true
			}
			for _, d := range im2.DiffIDs {
				if have[d.String()] {
					return true, fmt.Sprintf("%s and %s share layer %s", ref, other, d.Hex[:12]), nil
				}
			}
			return false, fmt.Sprintf("%s and %s share no layer", ref, other), nil
		}
	case "build-ok", "build-tagged", "build-steps":
		return c.evalBuild(ctx, st)
	case "file-exists", "file-contains":
		name := c.arg(0, st)
		if st.Workspace == nil {
			return false, "this playground has no workspace", nil
		}
		b, err := st.Workspace.ReadFile(ctx, name)
		if isNotExist(err) {
			return false, fmt.Sprintf("there is no file %s in the workspace yet", name), nil
		}
		if err != nil {
			return false, "", err
		}
		if c.kind == "file-exists" {
			return true, fmt.Sprintf("%s exists", name), nil
		}
		text := Expand(c.text, st.user())
		if bytes.Contains(b, []byte(text)) {
			return true, fmt.Sprintf("%s contains %q", name, text), nil
		}
		return false, fmt.Sprintf("%s does not contain %q yet", name, text), nil
	case "hub":
		repo := strings.TrimPrefix(c.arg(0, st), "docker.io/")
		if st.Hub == nil {
			return false, "this playground has no practice hub", nil
		}
		r, ok, err := st.Hub.Repository(ctx, repo)
		if err != nil {
			return false, "", err
		}
		vis := func(r Repository) string {
			if r.Private {
				return "private"
			}
			return "public"
		}
		switch {
		case !ok:
			return false, fmt.Sprintf("the practice hub has no repository %s", repo), nil
		case c.op == "exists" || c.op == vis(r):
			return true, fmt.Sprintf("the practice hub has %s repository %s", vis(r), repo), nil
		default:
			return false, fmt.Sprintf("repository %s is %s; this step wants it %s", repo, vis(r), c.op), nil
		}
	case "logged":
		host := registryHost(c.arg(0, st))
		b, err := st.Store.Record(ctx, configKind, configKey)
		if err != nil && !isNotExist(err) {
			return false, "", err
		}
		cfg, err := registry.ParseConfig(b)
		if err != nil {
			return false, "", err
		}
		user, _, in := cfg.Lookup(host)
		shown := host
		if host == "index.docker.io" {
			shown = "Docker Hub"
		}
		switch {
		case in && c.op == "in":
			return true, fmt.Sprintf("logged in to %s as %s", shown, user), nil
		case in:
			return false, fmt.Sprintf("config.json still holds credentials for %s (user %s)", shown, user), nil
		case c.op == "out":
			return true, fmt.Sprintf("config.json holds no credentials for %s", shown), nil
		default:
			return false, fmt.Sprintf("not logged in to %s", shown), nil
		}
	case "config-eq", "config-contains":
		return c.evalConfig(ctx, st)
	}
	return false, "", fmt.Errorf("unknown check kind %q", c.kind)
}

// The client config's record, as core/cli keeps it (cli's configKind and configKey).
const (
	configKind = "config"
	configKey  = "config.json"
)

func registryHost(s string) string {
	switch s {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io", "hub.docker.com":
		return "index.docker.io"
	}
	return s
}

func lookup(cat *view.Catalog, ref string) (*view.Image, string) {
	im, err := cat.Lookup(ref)
	if err != nil || im == nil {
		return nil, fmt.Sprintf("there is no image %s yet", ref)
	}
	return im, ""
}

func compare(a int, op string, b int) bool {
	switch op {
	case "==":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	}
	return false
}

// LastBuild reads the last build's record; ok is false when no build has run.
func LastBuild(ctx context.Context, st *State) (lb build.LastBuild, ok bool, err error) {
	b, err := st.Store.Record(ctx, build.LastBuildKind, build.LastBuildKey)
	if isNotExist(err) {
		return lb, false, nil
	}
	if err != nil {
		return lb, false, fmt.Errorf("reading the last build: %w", err)
	}
	if err := json.Unmarshal(b, &lb); err != nil {
		return lb, false, fmt.Errorf("reading the last build: %w", err)
	}
	return lb, true, nil
}

func (c *Check) evalBuild(ctx context.Context, st *State) (bool, string, error) {
	lb, ok, err := LastBuild(ctx, st)
	if err != nil {
		return false, "", err
	}
	if !ok {
		return false, "no build has run yet", nil
	}
	switch c.kind {
	case "build-ok":
		if lb.Error != "" {
			return false, "the last build failed: " + firstLine(lb.Error), nil
		}
		return true, "the last build succeeded", nil
	case "build-tagged":
		want := c.arg(0, st)
		n, err := normalize(want)
		if err != nil {
			return false, "", err
		}
		for _, t := range lb.Tags {
			if t == n {
				return true, fmt.Sprintf("the last build was tagged %s", want), nil
			}
		}
		return false, fmt.Sprintf("the last build was not tagged %s (build with -t %s)", want, want), nil
	}
	span := fmt.Sprintf("step %d", c.n)
	if c.m != c.n {
		span = fmt.Sprintf("steps %d..%d", c.n, c.m)
	}
	byNum := map[int]build.LastStep{}
	for _, s := range lb.Steps {
		byNum[s.Step] = s
	}
	for k := c.n; k <= c.m; k++ {
		s, ok := byNum[k]
		if !ok {
			if lb.Error != "" {
				return false, fmt.Sprintf("the last build failed before step %d: %s", k, firstLine(lb.Error)), nil
			}
			return false, fmt.Sprintf("the last build had no step %d (it had %d)", k, lb.Total), nil
		}
		if s.Failed {
			return false, fmt.Sprintf("step %d of the last build failed", k), nil
		}
		if c.op == "cached" && !s.Cached {
			return false, fmt.Sprintf("in the last build, %s ran instead of being CACHED", stepName(s, lb.Total)), nil
		}
		if c.op == "ran" && s.Cached {
			return false, fmt.Sprintf("in the last build, %s was CACHED", stepName(s, lb.Total)), nil
		}
	}
	if c.op == "cached" {
		verb := "were"
		if c.m == c.n {
			verb = "was"
		}
		return true, fmt.Sprintf("%s of the last build %s CACHED", span, verb), nil
	}
	return true, fmt.Sprintf("%s of the last build ran", span), nil
}

func stepName(s build.LastStep, total int) string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprintf("[%d/%d]", s.Step, total)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func (c *Check) evalConfig(ctx context.Context, st *State) (bool, string, error) {
	cat, err := view.Load(ctx, st.Store)
	if err != nil {
		return false, "", err
	}
	ref, field := c.arg(0, st), c.args[1]
	im, msg := lookup(cat, ref)
	if im == nil {
		return false, msg, nil
	}
	doc, err := view.InspectOf(im)
	if err != nil {
		return false, "", err
	}
	raw, err := doc.MarshalRaw()
	if err != nil {
		return false, "", err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, "", err
	}
	parts, _ := fieldPath(field)
	for _, p := range parts {
		m, ok := v.(map[string]any)
		if !ok {
			v = nil
			break
		}
		v = m[p]
	}
	got, _ := json.Marshal(v)
	wantText := Expand(c.text, st.user())
	var want any
	if err := json.Unmarshal([]byte(wantText), &want); err != nil {
		want = wantText // a bare string
	}
	if c.kind == "config-eq" {
		wb, _ := json.Marshal(want)
		if bytes.Equal(got, wb) {
			return true, fmt.Sprintf("%s's %s is %s", ref, field, got), nil
		}
		return false, fmt.Sprintf("%s's %s is %s; this step wants %s", ref, field, got, wb), nil
	}
	found := false
	switch x := v.(type) {
	case map[string]any:
		s, isStr := want.(string)
		_, found = x[s]
		found = found && isStr
	case []any:
		wb, _ := json.Marshal(want)
		for _, e := range x {
			eb, _ := json.Marshal(e)
			if bytes.Equal(eb, wb) {
				found = true
			}
		}
	case string:
		s, isStr := want.(string)
		found = isStr && strings.Contains(x, s)
	}
	if found {
		return true, fmt.Sprintf("%s's %s contains %s", ref, field, wantText), nil
	}
	return false, fmt.Sprintf("%s's %s is %s, without %s", ref, field, got, wantText), nil
}

// normalize spells a reference as the build's record keeps its tags.
func normalize(s string) (string, error) {
	r, err := ref.Parse(s)
	if err != nil {
		return "", fmt.Errorf("reference %q: %w", s, err)
	}
	return ref.String(r), nil
}
