package buildcheck_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/linter"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/layerlab/layerlab/core/buildcheck"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
)

// ruleCase is one directory of testdata/rules: a Dockerfile (and context files), an
// optional .dockerignore and an optional opts file of frontend options, one per line
// ("build-arg:K=V", "target=S", "build-arg:BUILDKIT_DOCKERFILE_CHECK=...").
type ruleCase struct {
	name   string
	dir    string
	df     []byte
	opts   []string
	ignore []string
}

func ruleCases(t *testing.T) []ruleCase {
	t.Helper()
	dirs, err := filepath.Glob("testdata/rules/*")
	if err != nil {
		t.Fatal(err)
	}
	var cases []ruleCase
	for _, dir := range dirs {
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		c := ruleCase{name: filepath.Base(dir), dir: abs}
		if c.df, err = os.ReadFile(filepath.Join(dir, "Dockerfile")); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "opts")); err == nil {
			c.opts = strings.Fields(string(b))
		}
		if f, err := os.Open(filepath.Join(dir, ".dockerignore")); err == nil {
			c.ignore, err = ignorefile.ReadAll(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		cases = append(cases, c)
	}
	if len(cases) < 22 {
		t.Fatalf("%d rule cases; want one per rule (22) at least", len(cases))
	}
	return cases
}

// options turns a case's frontend options into layerlab's.
func (c ruleCase) options(base func(string) (*dockerspec.DockerOCIImage, error)) buildcheck.Options {
	o := buildcheck.Options{BuildArgs: map[string]string{}, Ignore: c.ignore, Base: base}
	for _, opt := range c.opts {
		switch {
		case strings.HasPrefix(opt, "build-arg:BUILDKIT_DOCKERFILE_CHECK="):
			o.Config = strings.TrimPrefix(opt, "build-arg:BUILDKIT_DOCKERFILE_CHECK=")
		case strings.HasPrefix(opt, "build-arg:"):
			k, v, _ := strings.Cut(strings.TrimPrefix(opt, "build-arg:"), "=")
			o.BuildArgs[k] = v
		case strings.HasPrefix(opt, "target="):
			o.Target = strings.TrimPrefix(opt, "target=")
		}
	}
	o.All = o.Target == ""
	return o
}

func peerBase(t *testing.T, p *buildkitpeer.Peer) func(string) (*dockerspec.DockerOCIImage, error) {
	raw, err := p.Base.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(raw, &img); err != nil {
		t.Fatal(err)
	}
	return func(ref string) (*dockerspec.DockerOCIImage, error) {
		if ref != buildkitpeer.BaseRef {
			return nil, errors.New("no such image: " + ref)
		}
		c := img
		return &c, nil
	}
}

// finding is a warning as the report prints it: rule, message, line.
type finding struct{ Rule, Message, Line string }

var reportBlock = regexp.MustCompile(`(?m)^WARNING: (\w+)(?: - \S+)?\n(.*)\nDockerfile:(\d+)\n`)

func findings(report string) []finding {
	var fs []finding
	for _, m := range reportBlock.FindAllStringSubmatch(report, -1) {
		fs = append(fs, finding{m[1], m[2], m[3]})
	}
	return fs
}

// TestRulesAgainstBuildKit runs every case through real BuildKit v0.33.1 (the dockerfile
// frontend's lint request, which buildx's --check sends) and through layerlab, and wants
// the same report: each warning's rule, URL, message, line and source excerpt, in the same
// order. Each rule's own case must trigger that rule.
func TestRulesAgainstBuildKit(t *testing.T) {
	p := buildkitpeer.StartT(t)
	base := peerBase(t, p)
	for _, c := range ruleCases(t) {
		t.Run(c.name, func(t *testing.T) {
			res, err := p.Build(context.Background(), c.dir, buildkitpeer.BuildOptions{
				Opts: append(slices.Clone(c.opts), "requestid=frontend.lint"),
				Name: "docker.io/library/buildcheck:latest",
			})
			if err != nil {
				t.Fatalf("buildkit lint: %v", err)
			}
			want := ""
			if i := strings.Index(res.Log, "\nWARNING: "); i >= 0 {
				want = res.Log[i:]
			}
			r := buildcheck.Check(c.df, c.options(base))
			var out bytes.Buffer
			buildcheck.WriteCheck(&out, "Dockerfile", c.df, r)
			got := out.String()
			if i := strings.IndexByte(got, '\n'); i >= 0 && strings.HasPrefix(got, "Check complete") {
				got = got[i+1:] // buildx's count line; BuildKit's report starts after it
			}
			if r.Err != nil && len(r.Warnings) > 0 {
				got = strings.TrimSuffix(got, "\n") // buildx's blank line before the error
			}
			if got == "\n" && want == "" {
				got = ""
			}
			if strings.TrimPrefix(got, "Check complete, no warnings found.\n") != want {
				t.Errorf("findings: got %q; want %q", findings(got), findings(want))
				t.Errorf("report:\ngot  %q\nwant %q", got, want)
			}
			if isRule(c.name) && !slices.ContainsFunc(findings(want), func(f finding) bool { return f.Rule == c.name }) {
				t.Errorf("BuildKit reports %q for the %s case; the case must trigger its rule", findings(want), c.name)
			}
		})
	}
}

func isRule(name string) bool { return slices.Contains(allRules, name) }

// allRules are BuildKit v0.33.1's 22 rule names, from its linter package.
var allRules = []string{
	linter.RuleStageNameCasing.Name, linter.RuleFromAsCasing.Name, linter.RuleNoEmptyContinuation.Name,
	linter.RuleConsistentInstructionCasing.Name, linter.RuleDuplicateStageName.Name, linter.RuleReservedStageName.Name,
	linter.RuleJSONArgsRecommended.Name, linter.RuleMaintainerDeprecated.Name, linter.RuleUndefinedArgInFrom.Name,
	linter.RuleWorkdirRelativePath.Name, linter.RuleUndefinedVar.Name, linter.RuleMultipleInstructionsDisallowed.Name,
	linter.RuleLegacyKeyValueFormat.Name, linter.RuleInvalidBaseImagePlatform.Name, linter.RuleRedundantTargetPlatform.Name,
	linter.RuleSecretsUsedInArgOrEnv.Name, linter.RuleInvalidDefaultArgInFrom.Name, linter.RuleFromPlatformFlagConstDisallowed.Name,
	linter.RuleCopyIgnoredFile.Name, linter.RuleInvalidDefinitionDescription.Name, linter.RuleExposeProtoCasing.Name,
	linter.RuleExposeInvalidFormat.Name,
}

func TestEveryRuleHasACase(t *testing.T) {
	if len(allRules) != 22 {
		t.Fatalf("%d rules; BuildKit v0.33.1 has 22", len(allRules))
	}
	for _, r := range allRules {
		if _, err := os.Stat(filepath.Join("testdata/rules", r, "Dockerfile")); err != nil {
			t.Errorf("rule %s has no case: %v", r, err)
		}
	}
}

var violation = regexp.MustCompile(`lint violation found for rules: (.*)`)

// TestBuildChecksAgainstBuildKit builds each case (no lint request: a build, which only
// dispatches the stages its target needs) with `error=true`, so BuildKit names every rule
// that fired; layerlab's build-mode check must name the same rules.
func TestBuildChecksAgainstBuildKit(t *testing.T) {
	p := buildkitpeer.StartT(t)
	base := peerBase(t, p)
	for _, c := range ruleCases(t) {
		if bytes.Contains(c.df, []byte("# check=")) || slices.ContainsFunc(c.opts, func(o string) bool { return strings.Contains(o, "BUILDKIT_DOCKERFILE_CHECK") }) {
			continue // the error=true option would replace the case's own check settings
		}
		t.Run(c.name, func(t *testing.T) {
			res, _ := p.Build(context.Background(), c.dir, buildkitpeer.BuildOptions{
				Opts: append(slices.Clone(c.opts), "build-arg:BUILDKIT_DOCKERFILE_CHECK=error=true"),
				Name: "docker.io/library/buildcheck:latest",
			})
			var want []string
			if m := violation.FindStringSubmatch(res.Log); m != nil {
				want = strings.Split(m[1], ", ")
				sort.Strings(want)
			}
			o := c.options(base)
			o.All = false
			o.Config = "error=true"
			r := buildcheck.Check(c.df, o)
			var got []string
			var ve *buildcheck.ViolationError
			if errors.As(r.Err, &ve) {
				got = slices.Clone(ve.Rules)
				sort.Strings(got)
			}
			if !slices.Equal(got, want) {
				t.Errorf("rules: got %q; want %q (layerlab err %v)", got, want, r.Err)
			}
		})
	}
}
