package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/buildcheck"
	"github.com/layerlab/layerlab/core/dockerfile"
	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
)

// listOpt is docker's opts.ListOpts: a repeatable string flag shown as type "list".
type listOpt struct{ v []string }

func (l *listOpt) String() string     { return "[]" }
func (l *listOpt) Type() string       { return "list" }
func (l *listOpt) Set(v string) error { l.v = append(l.v, v); return nil }

func listValues(fs *pflag.FlagSet, name string) []string {
	return append([]string(nil), fs.Lookup(name).Value.(*listOpt).v...)
}

func buildSpec() spec {
	return spec{
		use:     "build [OPTIONS] PATH | URL | -",
		short:   "Build an image from a Dockerfile",
		aliases: "docker image build, docker build, docker builder build",
		args:    exactArgs(1),
		flags: func(fs *pflag.FlagSet) {
			fs.Var(&listOpt{}, "build-arg", "Set build-time variables")
			fs.StringP("file", "f", "", "Name of the Dockerfile (Default is \"PATH/Dockerfile\")")
			fs.Bool("no-cache", false, "Do not use cache when building the image")
			fs.String("progress", "auto", "Set type of progress output (\"auto\", \"plain\", \"quiet\")")
			fs.BoolP("quiet", "q", false, "Suppress the build output and print image ID on success")
			fs.VarP(&listOpt{}, "tag", "t", "Name and optionally a tag in the \"name:tag\" format")
			fs.String("target", "", "Set the target build stage to build.")
			fs.Bool("check", false, `Shorthand for "--call=check"`)
		},
		run: runBuild,
	}
}

func runBuild(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	file, _ := fs.GetString("file")
	noCache, _ := fs.GetBool("no-cache")
	progress, _ := fs.GetString("progress")
	quiet, _ := fs.GetBool("quiet")
	target, _ := fs.GetString("target")
	switch progress {
	case "auto", "plain", "tty":
	case "quiet":
		quiet = true
	default:
		return fmt.Errorf("ERROR: invalid progress mode %q: use auto, plain or quiet", progress)
	}
	df, ok := env.Files.(DirFiles)
	if env.Files == nil || !ok {
		return errors.New("ERROR: building needs a directory for the context, which this environment cannot give")
	}
	dir := args[0]
	if dir == "-" || strings.Contains(dir, "://") || strings.HasPrefix(dir, "git@") {
		return fmt.Errorf("ERROR: build context %q: only a local directory can be a build context in layerlab", dir)
	}
	bctx, err := df.FS(dir)
	if err != nil {
		return fmt.Errorf("ERROR: unable to prepare context: path %q not found", dir)
	}
	dfName := "Dockerfile"
	var dockerfile []byte
	if file == "" {
		if dockerfile, err = fs_ReadFile(bctx, "Dockerfile"); err != nil {
			return fmt.Errorf("ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory")
		}
	} else {
		dfName = path.Base(strings.ReplaceAll(file, "\\", "/"))
		f, err := env.Files.Open(file)
		if err != nil {
			return fmt.Errorf("ERROR: failed to solve: failed to read dockerfile: open %s: no such file or directory", dfName)
		}
		dockerfile, err = io.ReadAll(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("ERROR: reading %s: %w", file, err)
		}
	}
	buildArgs := map[string]string{}
	for _, kv := range listValues(fs, "build-arg") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			// docker takes a bare name's value from the environment, and drops it if unset
			if env.Getenv == nil {
				continue
			}
			if v = env.Getenv(k); v == "" {
				continue
			}
		}
		buildArgs[k] = v
	}
	if _, set := buildArgs["SOURCE_DATE_EPOCH"]; !set && env.Getenv != nil {
		// buildx passes SOURCE_DATE_EPOCH from its environment as a build arg
		if v := env.Getenv("SOURCE_DATE_EPOCH"); v != "" {
			buildArgs["SOURCE_DATE_EPOCH"] = v
		}
	}
	check, _ := fs.GetBool("check")
	findings := checkDockerfile(ctx, env, bctx, dockerfile, buildArgs, target, check)
	var pw *plainProgress
	opts := build.Options{
		Dockerfile: dockerfile,
		Context:    bctx,
		BuildArgs:  buildArgs,
		Tags:       listValues(fs, "tag"),
		Target:     target,
		NoCache:    noCache,
		Now:        env.Now,
		// a base image missing from the store is pulled as docker build pulls it; the
		// pull's own progress is not shown (BuildKit folds it into the FROM step)
		Pull: func(ctx context.Context, s string) error {
			r, err := ref.Parse(s)
			if err != nil {
				return err
			}
			_, err = pullOne(ctx, env, r, newMessages(io.Discard, &Env{}), nil)
			if nf := (*registry.NotFoundError)(nil); errors.As(err, &nf) {
				return build.ErrBaseNotFound
			}
			if de := (daemonError{}); errors.As(err, &de) {
				return de.err // BuildKit's words carry no "Error response from daemon"
			}
			return err
		},
	}
	if !quiet {
		pw = newPlainProgress(env.Stderr, dfName, dockerfile, int64(len(dockerfile)))
		pw.ctxBytes = func() int64 { return contextSize(bctx) }
		opts.Events = pw.event
		if !check {
			pw.warnings = findings.result.Warnings
			pw.summary = func() { buildcheck.WriteSummary(env.Stderr, findings.result.Warnings) }
		}
		pw.start()
	}
	if opts.Events != nil {
		opts.Events(build.Event{Type: build.Checked, Findings: buildcheck.Findings(findings.result.Warnings, findings.advice)})
	}
	if check {
		return findings.report(env, pw, dfName, dockerfile)
	}
	var ve *buildcheck.ViolationError
	if errors.As(findings.result.Err, &ve) {
		// `# check=error=true`: BuildKit stops after resolving the bases, before building
		if pw != nil {
			pw.event(build.Event{Type: build.Planned, Bases: findings.result.Bases})
			pw.summary()
		}
		return statusError{StatusCode: 1, Status: "error: failed to solve: " + ve.Error()}
	}
	res, err := build.Build(ctx, env.Store, opts)
	if err != nil {
		if pw != nil {
			pw.fail(err)
		}
		return statusError{StatusCode: 1, Status: "error: failed to solve: " + solveMessage(err)}
	}
	if pw != nil {
		pw.export(res, buildArgs["SOURCE_DATE_EPOCH"])
		pw.summary()
		buildcheck.WriteAdvice(env.Stderr, findings.advice)
	} else {
		fmt.Fprintln(env.Stdout, res.Config.String())
	}
	return nil
}

// checks are BuildKit's build checks and layerlab's advice for one Dockerfile.
type checks struct {
	result *buildcheck.Result
	advice []buildcheck.Advice
}

// checkDockerfile runs the checks as BuildKit would for this build: only the target's
// stages for a build, every stage for --check without --target. Base images' configs come
// from the store (a base not there yet checks as an empty config; the build then says
// what is missing).
func checkDockerfile(ctx context.Context, env *Env, bctx fs.FS, dockerfile []byte, buildArgs map[string]string, target string, all bool) checks {
	o := buildcheck.Options{BuildArgs: buildArgs, Target: target, All: all && target == "", Base: storeBase(ctx, env.Store)}
	if f, err := bctx.Open(".dockerignore"); err == nil {
		o.Ignore, _ = ignorefile.ReadAll(f)
		f.Close()
	}
	return checks{result: buildcheck.Check(dockerfile, o), advice: buildcheck.Advise(dockerfile)}
}

// report is `docker build --check`: buildx's progress up to the checks, its report on
// stdout, exit status 1 when anything was found; then layerlab's advice, labelled as such.
func (c checks) report(env *Env, pw *plainProgress, dfName string, dockerfile []byte) error {
	if pw != nil {
		pw.event(build.Event{Type: build.Planned, Bases: c.result.Bases})
	}
	failed, err := buildcheck.WriteCheck(env.Stdout, dfName, dockerfile, c.result)
	buildcheck.WriteAdvice(env.Stdout, c.advice)
	if err != nil {
		return statusError{StatusCode: 1, Status: "ERROR: " + strings.TrimSuffix(err.Error(), "\n")}
	}
	if failed {
		return statusError{StatusCode: 1}
	}
	return nil
}

// storeBase reads a base image's config from the store, by its normalized name.
func storeBase(ctx context.Context, s store.Store) func(string) (*dockerspec.DockerOCIImage, error) {
	return func(ref string) (*dockerspec.DockerOCIImage, error) {
		entries, err := s.Index(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Name != ref {
				continue
			}
			mb, err := store.ReadBlob(ctx, s, e.Descriptor.Digest)
			if err != nil {
				return nil, err
			}
			var m v1.Manifest
			if err := json.Unmarshal(mb, &m); err != nil {
				return nil, fmt.Errorf("reading the manifest of %s: %w", ref, err)
			}
			cb, err := store.ReadBlob(ctx, s, m.Config.Digest)
			if err != nil {
				return nil, err
			}
			var img dockerspec.DockerOCIImage
			if err := json.Unmarshal(cb, &img); err != nil {
				return nil, fmt.Errorf("reading the config of %s: %w", ref, err)
			}
			return &img, nil
		}
		return nil, fmt.Errorf("%s: %w", ref, store.ErrNotFound)
	}
}

// fs_ReadFile is fs.ReadFile (the flag set shadows the package name in runBuild).
var fs_ReadFile = fs.ReadFile

// solveMessage is the cause BuildKit names after "failed to solve: ": the step's own error
// without the Dockerfile position core/build prefixes and without the output it appends.
func solveMessage(err error) string {
	var se *build.StepError
	var pe *dockerfile.Error
	switch {
	case errors.As(err, &se):
		err = se.Err
	case errors.As(err, &pe) && pe.Err != nil:
		err = pe.Err // BuildKit's own words: "dockerfile parse error on line 2: ..."
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// errorBlock prints BuildKit's source excerpts for a failed build: the failing
// instruction's lines, and for a stage cycle each instruction of it.
func errorBlock(w io.Writer, name string, data []byte, err error) {
	var se *build.StepError
	var pe *dockerfile.Error
	switch {
	case errors.As(err, &se) && se.Line > 0:
		errorSourceRange(w, name, data, se.Line, se.EndLine)
		for _, m := range se.More {
			errorSourceRange(w, name, data, m[0], m[1])
		}
	case errors.As(err, &pe) && pe.Line > 0:
		errorSourceRange(w, name, data, pe.Line, pe.EndLine)
	}
}

// errorSourceRange prints BuildKit's source excerpt for lines line..endLine (endLine 0: one
// line), as buildcheck prints a check's.
func errorSourceRange(w io.Writer, name string, data []byte, line, endLine int) {
	buildcheck.WriteSource(w, name, data, []parser.Range{{Start: parser.Position{Line: line}, End: parser.Position{Line: endLine}}})
}
