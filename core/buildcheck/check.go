package buildcheck

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// Warning is one finding of a BuildKit rule.
type Warning struct {
	Rule        string // linter rule name, e.g. "JSONArgsRecommended"
	Description string // the rule's description
	URL         string // the rule's documentation page ("" for InvalidBaseImagePlatform)
	Message     string // BuildKit's message for this finding
	Location    []parser.Range
}

// Line is the first line the finding points at (0 when it has no position).
func (w Warning) Line() int {
	if len(w.Location) == 0 {
		return 0
	}
	return w.Location[0].Start.Line
}

// Short is the one-line form BuildKit sends with its progress: "Rule: message (line N)".
func (w Warning) Short() string { return linter.LintFormatShort(w.Rule, w.Message, w.Line()) }

// Options say what the checked build would be.
type Options struct {
	BuildArgs map[string]string // --build-arg values
	Target    string            // --target; "" for the last stage
	// All checks every stage, as `docker build --check` does when no target is given;
	// a build only dispatches (and so only checks) the stages its target needs.
	All bool
	// Config, when not empty, replaces the Dockerfile's `# check=` directive, as the
	// BUILDKIT_DOCKERFILE_CHECK build argument does ("skip=all", "error=true", ...).
	Config string
	// Ignore are the .dockerignore patterns of the context (CopyIgnoredFile).
	Ignore []string
	// Base returns the config of a base image, by the normalized name BuildKit resolves
	// ("docker.io/library/busybox:latest"). Its env, shell, ONBUILD triggers and platform
	// matter to the checks. Nil, or an error, checks as if the image had an empty config.
	Base func(ref string) (*dockerspec.DockerOCIImage, error)
}

// Result is what the checks found.
type Result struct {
	Warnings []Warning // in the order BuildKit emits them
	// Err is the error BuildKit's conversion stops with: a Dockerfile it cannot read, a
	// check option it cannot parse, or, with `# check=error=true`, the lint violation.
	Err error
	// ErrLocation is where Err points, if anywhere.
	ErrLocation []parser.Range
	// Bases are the base images the checked stages resolve, normalized, in order: the
	// "[internal] load metadata for ..." steps BuildKit shows before it checks.
	Bases []string
}

// ViolationError is the error BuildKit fails a build with when `error=true` is set and
// some rule fired.
type ViolationError struct{ Rules []string }

func (e *ViolationError) Error() string {
	return "lint violation found for rules: " + strings.Join(e.Rules, ", ")
}

// Check runs BuildKit's build checks over a Dockerfile.
func Check(dockerfile []byte, o Options) *Result {
	c := &checker{o: o, res: &Result{}}
	c.run(dockerfile)
	return c.res
}

type checker struct {
	o   Options
	res *Result
}

func (c *checker) warn(rule, description, url, msg string, loc []parser.Range) {
	c.res.Warnings = append(c.res.Warnings, Warning{Rule: rule, Description: description, URL: url, Message: msg, Location: slices.Clone(loc)})
}

func (c *checker) fail(err error, loc []parser.Range) {
	if c.res.Err == nil {
		c.res.Err = err
		c.res.ErrLocation = loc
	}
}

// newLinter is newRuleLinter: the BUILDKIT_DOCKERFILE_CHECK option, else the file's
// `# check=` directive.
func (c *checker) newLinter(dt []byte) (*linter.Linter, error) {
	str := c.o.Config
	if str == "" {
		str, _, _, _ = parser.ParseDirective("check", dt)
	}
	cfg, err := linter.ParseLintOptions(str)
	if err != nil {
		return nil, fmt.Errorf("failed to parse check options: %w", err)
	}
	cfg.Warn = c.warn
	return linter.New(cfg), nil
}

func (c *checker) run(dt []byte) {
	if len(dt) == 0 {
		c.fail(fmt.Errorf("the Dockerfile cannot be empty"), nil)
		return
	}
	lint, err := c.newLinter(dt)
	if err != nil {
		c.fail(err, nil)
		return
	}
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		c.fail(err, errLocation(err))
		return
	}
	for _, w := range ast.Warnings {
		if w.URL == linter.RuleNoEmptyContinuation.URL && w.Location != nil {
			lint.Run(&linter.RuleNoEmptyContinuation, []parser.Range{*w.Location}, linter.RuleNoEmptyContinuation.Format())
		}
	}
	stages, metaArgs, err := instructions.Parse(ast.AST, lint)
	if err != nil {
		c.fail(err, errLocation(err))
		return
	}
	if len(stages) == 0 {
		c.fail(fmt.Errorf("dockerfile contains no stages to build"), nil)
		return
	}
	d := &dispatcher{c: c, lint: lint, lex: newLex(ast.EscapeToken)}
	if err := d.run(stages, metaArgs); err != nil {
		c.fail(err, errLocation(err))
		return
	}
	if err := lint.Error(); err != nil {
		c.fail(&ViolationError{Rules: calledRules(lint)}, nil)
	}
}

// calledRules lists the rules that fired, once each, in the order they first fired
// (BuildKit lists them in map order, which varies from run to run).
func calledRules(lint *linter.Linter) []string {
	var rules []string
	for _, r := range *lint.CalledRules {
		if !slices.Contains(rules, r) {
			rules = append(rules, r)
		}
	}
	return rules
}

func errLocation(err error) []parser.Range {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 {
		return le.Locations[0]
	}
	return nil
}
