package buildcheck

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/buildkit/util/suggest"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/patternmatcher"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The platform layerlab builds for, and BuildKit's default here (linux/amd64 workers).
var defaultPlatform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ARGs that never reach the environment (dockerfile2llb's nonEnvArgs).
var nonEnvArgs = map[string]bool{"BUILDKIT_SBOM_SCAN_CONTEXT": true, "BUILDKIT_SBOM_SCAN_STAGE": true}

// dispatcher follows dockerfile2llb's toDispatchState far enough to run its checks: which
// stages are dispatched, in what order, and what environment each instruction sees.
type dispatcher struct {
	c       *checker
	lint    *linter.Linter
	lex     *shell.Lex
	global  *envList
	allArgs map[string]bool // every ARG declared before the first FROM
	states  []*state
	byName  map[string]*state
	ignore  *patternmatcher.PatternMatcher
}

type state struct {
	stage        instructions.Stage
	name         string
	base         *state
	deps         []*state
	commands     []command
	unregistered bool // an image named by COPY --from or a mount, not a stage
	dispatched   bool
	resolved     bool
	onBuildInit  bool // its ONBUILD triggers have been added

	env        *envList
	buildArgs  []instructions.KeyValuePairOptional
	image      dockerspec.DockerOCIImage
	platform   *ocispecs.Platform
	workdirSet bool
	cmd        tracker
	entrypoint tracker
	health     tracker
}

type command struct {
	instructions.Command
	sources []*state
}

type tracker struct {
	loc []parser.Range
	set bool
}

func (d *dispatcher) run(stages []instructions.Stage, metaArgs []instructions.ArgCommand) error {
	validateStageNames(stages, d.lint)
	validateCommandCasing(stages, d.lint)

	target := d.c.o.Target
	if target == "" {
		target = stages[len(stages)-1].Name
	}
	defaults := defaultArgs(d.c.o.BuildArgs, target)
	d.validateBaseImagesWithDefaultArgs(stages, defaults, metaArgs)
	var err error
	d.global, d.allArgs, err = d.buildMetaArgs(defaults, metaArgs, d.c.o.BuildArgs)
	if err != nil {
		return err
	}
	if len(d.c.o.Ignore) > 0 {
		if m, err := patternmatcher.New(d.c.o.Ignore); err == nil {
			d.ignore = m
		}
	}
	d.byName = map[string]*state{}
	if err := d.buildStates(stages); err != nil {
		return err
	}
	tgt := d.states[len(stages)-1]
	if d.c.o.Target != "" {
		t, ok := d.byName[strings.ToLower(d.c.o.Target)]
		if !ok {
			return fmt.Errorf("target stage %q could not be found", d.c.o.Target)
		}
		tgt = t
	}
	for _, s := range d.states[:len(stages)] {
		for _, cmd := range s.stage.Commands {
			if err := d.addCommand(s, cmd, false); err != nil {
				return err
			}
		}
	}
	reachable, err := d.resolve(tgt)
	if err != nil {
		return err
	}
	for _, s := range d.states {
		if !d.c.o.All {
			if !reachable[s] || s.dispatched {
				continue
			}
		}
		if err := d.dispatchState(s); err != nil {
			return err
		}
	}
	return nil
}

// defaultArgs are the predefined platform ARGs, with build args overriding them.
func defaultArgs(buildArgs map[string]string, target string) *envList {
	if target == "" {
		target = "default"
	}
	p := defaultPlatform
	var env *envList
	for _, kv := range [...][2]string{
		{"BUILDPLATFORM", formatPlatform(p)}, {"BUILDOS", p.OS}, {"BUILDOSVERSION", p.OSVersion},
		{"BUILDARCH", p.Architecture}, {"BUILDVARIANT", p.Variant},
		{"TARGETPLATFORM", formatPlatform(p)}, {"TARGETOS", p.OS}, {"TARGETOSVERSION", p.OSVersion},
		{"TARGETARCH", p.Architecture}, {"TARGETVARIANT", p.Variant},
		{"TARGETSTAGE", target},
	} {
		v := kv[1]
		if ov, ok := buildArgs[kv[0]]; ok {
			v = ov
		}
		env = env.with(kv[0], v)
	}
	return env
}

// buildMetaArgs evaluates the ARGs before the first FROM.
func (d *dispatcher) buildMetaArgs(args *envList, cmds []instructions.ArgCommand, buildArgs map[string]string) (*envList, map[string]bool, error) {
	all := map[string]bool{}
	for _, cmd := range cmds {
		for _, kp := range cmd.Args {
			var value *string
			if v, ok := buildArgs[kp.Key]; ok {
				value = &v
			} else if kp.Value != nil {
				res, err := d.lex.ProcessWordWithMatches(*kp.Value, args)
				if err != nil {
					return nil, nil, parser.WithLocation(err, cmd.Location())
				}
				value = &res.Result
			}
			if value != nil {
				args = args.with(kp.Key, *value)
			}
			all[kp.Key] = true
		}
	}
	return args, all, nil
}

func (d *dispatcher) validateBaseImagesWithDefaultArgs(stages []instructions.Stage, defaults *envList, metaArgs []instructions.ArgCommand) {
	args, _, err := d.buildMetaArgs(defaults, metaArgs, nil)
	if err != nil {
		return
	}
	for _, st := range stages {
		m, err := d.lex.ProcessWordWithMatches(st.BaseName, args)
		if err != nil {
			return
		}
		if _, err := reference.ParseNormalizedNamed(m.Result); err != nil {
			d.lint.Run(&linter.RuleInvalidDefaultArgInFrom, st.Location, linter.RuleInvalidDefaultArgInFrom.Format(st.BaseName))
		}
	}
}

// buildStates is buildDispatchStates: each stage's FROM expanded and checked.
func (d *dispatcher) buildStates(stages []instructions.Stage) error {
	for i, st := range stages {
		lint := d.lint.WithMergedConfigFromComments(st.Comments)
		m, err := d.lex.ProcessWordWithMatches(st.BaseName, d.global)
		d.reportUnusedFromArgs(m.Unmatched, st.Location, lint)
		if err != nil {
			return parser.WithLocation(err, st.Location)
		}
		if m.Result == "" {
			return parser.WithLocation(fmt.Errorf("base name (%s) should not be blank", st.BaseName), st.Location)
		}
		st.BaseName = m.Result
		s := &state{stage: st, name: st.Name}
		if v := st.Platform; v != "" {
			pm, err := d.lex.ProcessWordWithMatches(v, d.global)
			d.reportUnusedFromArgs(pm.Unmatched, st.Location, lint)
			d.reportRedundantTargetPlatform(st.Platform, pm, st.Location, lint)
			reportConstPlatformDisallowed(st.Name, pm, st.Location, lint)
			if err != nil {
				return parser.WithLocation(fmt.Errorf("failed to process arguments for platform %s: %w", pm.Result, err), st.Location)
			}
			if pm.Result == "" {
				return parser.WithLocation(fmt.Errorf("empty platform value from expression %s", v), st.Location)
			}
			p, err := parsePlatform(pm.Result)
			if err != nil {
				return parser.WithLocation(fmt.Errorf("failed to parse platform %s: %w", v, err), st.Location)
			}
			s.platform = &p
		}
		if st.Name == "" {
			s.name = fmt.Sprintf("stage-%d", i)
		}
		d.addState(s)
	}
	return nil
}

func (d *dispatcher) addState(s *state) {
	d.states = append(d.states, s)
	if b, ok := d.byName[s.stage.BaseName]; ok {
		s.base = b
	}
	if s.stage.Name != "" {
		d.byName[strings.ToLower(s.stage.Name)] = s
	}
}

// lookup finds the stage a COPY --from or a mount names, or registers the image it names.
func (d *dispatcher) lookup(name string, loc []parser.Range) *state {
	if s, ok := d.byName[strings.ToLower(name)]; ok {
		return s
	}
	s := &state{stage: instructions.Stage{BaseName: name, Location: loc}, unregistered: true}
	d.states = append(d.states, s)
	return s
}

// addCommand is toCommand: it records which stages or images a command reads from.
func (d *dispatcher) addCommand(s *state, ic instructions.Command, prepend bool) error {
	cmd := command{Command: ic}
	switch c := ic.(type) {
	case *instructions.CopyCommand:
		if c.From != "" {
			res, err := d.lex.ProcessWordWithMatches(c.From, &envList{})
			if err != nil {
				return err
			}
			if res.Result != c.From {
				return errors.New("variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround")
			}
			var src *state
			if n, err := strconv.Atoi(c.From); err == nil {
				if n < 0 || n >= len(d.states) {
					return fmt.Errorf("invalid stage index %d", n)
				}
				src = d.states[n]
			} else {
				src = d.lookup(c.From, c.Location())
			}
			cmd.sources = []*state{src}
		}
	case *instructions.RunCommand:
		for _, m := range instructions.GetMounts(c) {
			from := m.From
			if from == "" {
				from = "scratch"
			}
			cmd.sources = append(cmd.sources, d.lookup(from, nil))
		}
	}
	for _, src := range cmd.sources {
		if !slices.Contains(s.deps, src) {
			s.deps = append(s.deps, src)
		}
	}
	if prepend {
		s.commands = append([]command{cmd}, s.commands...)
	} else {
		s.commands = append(s.commands, cmd)
	}
	return nil
}

func reachableFrom(s *state, seen map[*state]bool) {
	if seen[s] {
		return
	}
	seen[s] = true
	if s.base != nil {
		reachableFrom(s.base, seen)
	}
	for _, dep := range s.deps {
		reachableFrom(dep, seen)
	}
}

// resolve reads the base images' configs and adds their ONBUILD triggers, as
// resolveStages does, until no trigger adds a stage.
func (d *dispatcher) resolve(target *state) (map[*state]bool, error) {
	for {
		reachable := map[*state]bool{}
		reachableFrom(target, reachable)
		for _, s := range d.states {
			r := reachable[s] || d.c.o.All
			if s.base == nil && !s.dispatched && !s.resolved {
				s.resolved = r
				d.resolveBase(s, r)
			}
		}
		newDeps := false
		for _, s := range d.states {
			if !reachable[s] || s.onBuildInit {
				continue
			}
			var triggers []string
			if s.base == nil {
				triggers = slices.Clone(s.image.Config.OnBuild)
			} else {
				for _, c := range s.base.commands {
					if ob, ok := c.Command.(*instructions.OnbuildCommand); ok {
						triggers = append(triggers, ob.Expression)
					}
				}
			}
			s.image.Config.OnBuild = nil
			s.onBuildInit = true
			added, err := d.addTriggers(s, triggers)
			if err != nil {
				return nil, err
			}
			newDeps = newDeps || added
		}
		if !newDeps {
			return reachable, nil
		}
	}
}

func (d *dispatcher) addTriggers(s *state, triggers []string) (bool, error) {
	added := false
	var cmds []instructions.Command
	for _, t := range triggers {
		ast, err := parser.Parse(strings.NewReader(t))
		if err != nil {
			return false, parser.SetLocation(err, s.stage.Location)
		}
		if len(ast.AST.Children) != 1 {
			return false, parser.SetLocation(errors.New("onbuild trigger should be a single expression"), s.stage.Location)
		}
		node := ast.AST.Children[0]
		node.StartLine, node.EndLine = rangeStartEnd(s.stage.Location)
		ic, err := instructions.ParseCommand(node)
		if err != nil {
			return false, parser.SetLocation(err, s.stage.Location)
		}
		cmds = append(cmds, ic)
	}
	for i := len(cmds) - 1; i >= 0; i-- {
		before := len(s.deps)
		if err := d.addCommand(s, cmds[i], true); err != nil {
			return false, parser.SetLocation(err, s.stage.Location)
		}
		added = added || len(s.deps) > before
	}
	return added, nil
}

func rangeStartEnd(r []parser.Range) (int, int) {
	if len(r) == 0 {
		return 0, 0
	}
	start, end := int(^uint(0)>>1), 0
	for _, rng := range r {
		start = min(start, rng.Start.Line)
		end = max(end, rng.End.Line)
	}
	return start, end
}

// resolveBase reads a base image's config (resolveBaseImage) and checks its platform.
func (d *dispatcher) resolveBase(s *state, reachable bool) {
	if s.stage.BaseName == "scratch" {
		s.image = emptyImage(defaultPlatform)
		if s.platform == nil {
			p := defaultPlatform
			s.platform = &p
		}
		if s.unregistered {
			s.dispatched = true
		}
		return
	}
	origName := s.stage.BaseName
	if !reachable {
		return
	}
	ref := origName
	if n, err := reference.ParseNormalizedNamed(origName); err == nil {
		ref = reference.TagNameOnly(n).String()
	}
	if !slices.Contains(d.c.res.Bases, ref) {
		d.c.res.Bases = append(d.c.res.Bases, ref)
	}
	var img *dockerspec.DockerOCIImage
	if d.c.o.Base != nil {
		if i, err := d.c.o.Base(ref); err == nil && i != nil {
			img = i
		}
	}
	if img == nil {
		img = &dockerspec.DockerOCIImage{}
	}
	s.image = *img
	s.image.Config.Env = slices.Clone(img.Config.Env)
	s.image.Config.Shell = slices.Clone(img.Config.Shell)
	s.image.Config.OnBuild = slices.Clone(img.Config.OnBuild)
	if s.platform != nil && img.OS != "" {
		// an explicit --platform is checked against what the image is; an implicit one
		// adopts the image's platform (autoDetectPlatform), so it cannot mismatch
		if s.platform.OS != img.OS || s.platform.Architecture != img.Architecture {
			expected := formatPlatform(normalizePlatform(*s.platform))
			actual := formatPlatform(normalizePlatform(img.Platform))
			d.lint.Run(&linter.RuleInvalidBaseImagePlatform, s.stage.Location, linter.RuleInvalidBaseImagePlatform.Format(origName, expected, actual))
		}
	}
	if s.unregistered {
		s.dispatched = true
	}
}

func emptyImage(p ocispecs.Platform) dockerspec.DockerOCIImage {
	var img dockerspec.DockerOCIImage
	img.Platform = p
	img.Config.Env = []string{"PATH=" + defaultPath}
	return img
}

// dispatchState is dispatchStages' body for one stage.
func (d *dispatcher) dispatchState(s *state) error {
	if s.base != nil {
		s.env = s.base.env.clone()
		s.platform = s.base.platform
		s.image = s.base.image
		s.image.Config.Env = slices.Clone(s.base.image.Config.Env)
		s.image.Config.Shell = slices.Clone(s.base.image.Config.Shell)
		s.image.Config.OnBuild = nil
		s.workdirSet = s.base.workdirSet
		s.buildArgs = append(s.buildArgs, s.base.buildArgs...)
	} else {
		s.env = nil
	}
	s.dispatched = true
	if s.base == nil {
		hasPath := false
		for _, kv := range s.image.Config.Env {
			if k, _, _ := strings.Cut(kv, "="); k == "PATH" {
				hasPath = true
			}
		}
		if !hasPath {
			s.image.Config.Env = append(s.image.Config.Env, "PATH="+defaultPath)
		}
		for _, kv := range s.image.Config.Env {
			k, v, _ := strings.Cut(kv, "=")
			s.env = s.env.with(k, v)
		}
	}
	for _, cmd := range s.commands {
		if err := d.dispatch(s, cmd); err != nil {
			return parser.WithLocation(err, cmd.Location())
		}
	}
	return nil
}

func (d *dispatcher) dispatch(s *state, cmd command) error {
	lint := d.lint.WithMergedConfigFromComments(cmd.Comments())
	_, isArg := cmd.Command.(*instructions.ArgCommand)
	if ex, ok := cmd.Command.(instructions.SupportsSingleWordExpansion); ok && !isArg {
		err := ex.Expand(func(word string) (string, error) {
			env := s.env
			w, unmatched, err := d.lex.ProcessWord(word, env)
			d.reportUnmatched(cmd, s.buildArgs, env, unmatched, lint)
			return w, err
		})
		if err != nil {
			return err
		}
	}
	if ex, ok := cmd.Command.(instructions.SupportsSingleWordExpansionRaw); ok {
		err := ex.ExpandRaw(func(word string) (string, error) {
			lex := shell.NewLex('\\')
			lex.SkipProcessQuotes = true
			env := s.env
			w, unmatched, err := lex.ProcessWord(word, env)
			d.reportUnmatched(cmd, s.buildArgs, env, unmatched, lint)
			return w, err
		})
		if err != nil {
			return err
		}
	}
	switch c := cmd.Command.(type) {
	case *instructions.EnvCommand:
		for _, e := range c.Env {
			if e.NoDelim {
				lint.Run(&linter.RuleLegacyKeyValueFormat, c.Location(), linter.RuleLegacyKeyValueFormat.Format(c.Name()))
			}
			validateNoSecretKey("ENV", e.Key, c.Location(), lint)
			s.env = s.env.with(e.Key, e.Value)
		}
	case *instructions.WorkdirCommand:
		if !s.workdirSet && !path.IsAbs(c.Path) {
			lint.Run(&linter.RuleWorkdirRelativePath, c.Location(), linter.RuleWorkdirRelativePath.Format(c.Path))
		}
		s.workdirSet = true
	case *instructions.AddCommand:
		for _, src := range c.SourcePaths {
			if isRemote(src) {
				continue
			}
			d.validateCopySource(src, true, c.Location(), lint)
		}
	case *instructions.CopyCommand:
		if len(cmd.sources) != 0 {
			if !cmd.sources[0].dispatched {
				return fmt.Errorf("cannot copy from stage %q, it needs to be defined before current stage %q", c.From, s.name)
			}
			break
		}
		for _, src := range c.SourcePaths {
			d.validateCopySource(src, false, c.Location(), lint)
		}
	case *instructions.LabelCommand:
		for _, l := range c.Labels {
			if l.NoDelim {
				lint.Run(&linter.RuleLegacyKeyValueFormat, c.Location(), linter.RuleLegacyKeyValueFormat.Format(c.Name()))
			}
		}
	case *instructions.CmdCommand:
		validateUsedOnce(c, &s.cmd, lint)
		if c.PrependShell && len(s.image.Config.Shell) == 0 {
			lint.Run(&linter.RuleJSONArgsRecommended, c.Location(), linter.RuleJSONArgsRecommended.Format(c.Name()))
		}
	case *instructions.EntrypointCommand:
		validateUsedOnce(c, &s.entrypoint, lint)
		if c.PrependShell && len(s.image.Config.Shell) == 0 {
			lint.Run(&linter.RuleJSONArgsRecommended, c.Location(), linter.RuleJSONArgsRecommended.Format(c.Name()))
		}
	case *instructions.HealthCheckCommand:
		validateUsedOnce(c, &s.health, lint)
	case *instructions.ExposeCommand:
		return d.checkExpose(s, c, lint)
	case *instructions.ShellCommand:
		s.image.Config.Shell = slices.Clone(c.Shell)
	case *instructions.ArgCommand:
		return d.dispatchArg(s, c, lint)
	}
	return nil
}

func isRemote(src string) bool {
	return strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") ||
		strings.HasPrefix(src, "git@") || strings.HasPrefix(src, "git://") || strings.Contains(src, ".git#")
}

func (d *dispatcher) dispatchArg(s *state, c *instructions.ArgCommand, lint *linter.Linter) error {
	for _, arg := range c.Args {
		validateNoSecretKey("ARG", arg.Key, c.Location(), lint)
		_, hasValue := d.c.o.BuildArgs[arg.Key]
		hasDefault := arg.Value != nil
		if !hasDefault && !hasValue {
			if v, ok := d.global.Get(arg.Key); ok {
				arg.Value = &v
			}
		}
		if hasValue {
			v := d.c.o.BuildArgs[arg.Key]
			arg.Value = &v
		} else if hasDefault {
			env := s.env
			v, unmatched, err := d.lex.ProcessWord(*arg.Value, env)
			d.reportUnmatched(c, s.buildArgs, env, unmatched, lint)
			if err != nil {
				return err
			}
			arg.Value = &v
		}
		if arg.Value != nil && !nonEnvArgs[arg.Key] {
			s.env = s.env.with(arg.Key, *arg.Value)
		}
		s.buildArgs = append(s.buildArgs, arg)
	}
	return nil
}

func (d *dispatcher) reportUnmatched(cmd instructions.Command, buildArgs []instructions.KeyValuePairOptional, env *envList, unmatched map[string]struct{}, lint *linter.Linter) {
	if len(unmatched) == 0 {
		return
	}
	names := make([]string, 0, len(unmatched))
	for k := range unmatched {
		if !slices.ContainsFunc(buildArgs, func(a instructions.KeyValuePairOptional) bool { return a.Key == k }) && !nonEnvArgs[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names) // BuildKit walks a map here; sorted is one of its orders
	for _, k := range names {
		match, _ := suggest.Search(k, env.Keys(), true)
		lint.Run(&linter.RuleUndefinedVar, cmd.Location(), linter.RuleUndefinedVar.Format(k, match))
	}
}

func (d *dispatcher) reportUnusedFromArgs(unmatched map[string]struct{}, loc []parser.Range, lint *linter.Linter) {
	keys := map[string]bool{}
	for k := range d.allArgs {
		keys[k] = true
	}
	for _, k := range d.global.Keys() {
		keys[k] = true
	}
	argKeys := make([]string, 0, len(keys))
	for k := range keys {
		argKeys = append(argKeys, k)
	}
	sort.Strings(argKeys)
	names := make([]string, 0, len(unmatched))
	for k := range unmatched {
		if !keys[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, arg := range names {
		s, _ := suggest.Search(arg, argKeys, true)
		lint.Run(&linter.RuleUndefinedArgInFrom, loc, linter.RuleUndefinedArgInFrom.Format(arg, s))
	}
}

func (d *dispatcher) reportRedundantTargetPlatform(platformVar string, m shell.ProcessWordResult, loc []parser.Range, lint *linter.Linter) {
	if len(m.Matched) != 1 || len(m.Unmatched) != 0 {
		return
	}
	if _, ok := m.Matched["TARGETPLATFORM"]; !ok {
		return
	}
	if v, _ := d.global.Get("TARGETPLATFORM"); m.Result == v {
		lint.Run(&linter.RuleRedundantTargetPlatform, loc, linter.RuleRedundantTargetPlatform.Format(platformVar))
	}
}

func reportConstPlatformDisallowed(stageName string, m shell.ProcessWordResult, loc []parser.Range, lint *linter.Linter) {
	if len(m.Matched) > 0 || len(m.Unmatched) > 0 {
		return
	}
	p, err := parsePlatform(m.Result)
	if err != nil {
		return
	}
	if strings.Contains(stageName, p.OS) || strings.Contains(stageName, p.Architecture) {
		return
	}
	lint.Run(&linter.RuleFromPlatformFlagConstDisallowed, loc, linter.RuleFromPlatformFlagConstDisallowed.Format(m.Result))
}

func validateUsedOnce(c instructions.Command, t *tracker, lint *linter.Linter) {
	if t.set {
		lint.Run(&linter.RuleMultipleInstructionsDisallowed, t.loc, linter.RuleMultipleInstructionsDisallowed.Format(c.Name()))
	}
	t.loc, t.set = c.Location(), true
}

var reservedStageNames = map[string]bool{"context": true, "scratch": true}

func validateStageNames(stages []instructions.Stage, lint *linter.Linter) {
	seen := map[string]bool{}
	for _, st := range stages {
		if st.Name == "" {
			continue
		}
		if reservedStageNames[st.Name] {
			lint.Run(&linter.RuleReservedStageName, st.Location, linter.RuleReservedStageName.Format(st.Name))
		}
		if seen[st.Name] {
			lint.Run(&linter.RuleDuplicateStageName, st.Location, linter.RuleDuplicateStageName.Format(st.Name))
		}
		seen[st.Name] = true
	}
}

func selfConsistent(s string) bool { return s == strings.ToLower(s) || s == strings.ToUpper(s) }

func validateCommandCasing(stages []instructions.Stage, lint *linter.Linter) {
	lower, upper := 0, 0
	count := func(name string) {
		if selfConsistent(name) {
			if strings.ToLower(name) == name {
				lower++
			} else {
				upper++
			}
		}
	}
	for _, st := range stages {
		count(st.OrigCmd)
		for _, c := range st.Commands {
			count(c.Name())
		}
	}
	majorityLower := lower > upper
	match := func(name string, loc []parser.Range) {
		var want string
		if majorityLower && strings.ToLower(name) != name {
			want = "lowercase"
		} else if !majorityLower && strings.ToUpper(name) != name {
			want = "uppercase"
		}
		if want != "" {
			lint.Run(&linter.RuleConsistentInstructionCasing, loc, linter.RuleConsistentInstructionCasing.Format(name, want))
		}
	}
	for _, st := range stages {
		match(st.OrigCmd, st.Location)
		for _, c := range st.Commands {
			match(c.Name(), c.Location())
		}
	}
}

var (
	secretsDeny  = regexp.MustCompile(`(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)`)
	secretsAllow = regexp.MustCompile(`(?i)(?:_|^)(?:public|file|version)(?:_|$)`)
)

func validateNoSecretKey(instruction, key string, loc []parser.Range, lint *linter.Linter) {
	if secretsDeny.MatchString(key) && !secretsAllow.MatchString(key) {
		lint.Run(&linter.RuleSecretsUsedInArgOrEnv, loc, linter.RuleSecretsUsedInArgOrEnv.Format(instruction, key))
	}
}

// validateCopySource is validateCopySourcePath: a source the .dockerignore excludes.
func (d *dispatcher) validateCopySource(src string, isAdd bool, loc []parser.Range, lint *linter.Linter) {
	if d.ignore == nil || d.ignore.Exclusions() {
		return
	}
	cmd := "Copy"
	if isAdd {
		cmd = "Add"
	}
	src = path.Clean(strings.ReplaceAll(src, "\\", "/"))
	if src == "." || src == "/" {
		rootIgnored := false
		for _, p := range d.ignore.Patterns() {
			if p.Exclusion() {
				continue
			}
			switch p.String() {
			case "*", "**", "**/*":
				rootIgnored = true
			}
		}
		if !rootIgnored {
			return
		}
	}
	if ok, err := d.ignore.MatchesOrParentMatches(src); err == nil && ok {
		lint.Run(&linter.RuleCopyIgnoredFile, loc, linter.RuleCopyIgnoredFile.Format(cmd, src))
	}
}

// checkExpose expands and parses EXPOSE's ports as dispatchExpose does, for the two
// EXPOSE rules.
func (d *dispatcher) checkExpose(s *state, c *instructions.ExposeCommand, lint *linter.Linter) error {
	var ports []string
	for _, p := range c.Ports {
		ps, err := d.lex.ProcessWords(p, s.env)
		if err != nil {
			return err
		}
		ports = append(ports, ps...)
	}
	for _, raw := range ports {
		ip, hostPort, containerPort := splitPortParts(raw)
		port, proto, _ := strings.Cut(containerPort, "/")
		if port == "" {
			return fmt.Errorf("invalid port: %q: no port specified", raw)
		}
		switch strings.ToLower(proto) {
		case "":
			proto = "tcp"
		case "tcp", "udp", "sctp":
		default:
			return fmt.Errorf("invalid port: %q: invalid proto: %s", raw, proto)
		}
		if proto != strings.ToLower(proto) {
			lint.Run(&linter.RuleExposeProtoCasing, c.Location(), linter.RuleExposeProtoCasing.Format(raw))
		}
		if ip != "" || hostPort != "" {
			lint.Run(&linter.RuleExposeInvalidFormat, c.Location(), linter.RuleExposeInvalidFormat.Format(raw))
		}
	}
	return nil
}

func splitPortParts(raw string) (ip, hostPort, containerPort string) {
	parts := strings.Split(raw, ":")
	switch n := len(parts); n {
	case 1:
		return "", "", parts[0]
	case 2:
		return "", parts[0], parts[1]
	case 3:
		return parts[0], parts[1], parts[2]
	default:
		return strings.Join(parts[:n-2], ":"), parts[n-2], parts[n-1]
	}
}
