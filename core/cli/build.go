package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/dockerfile"
	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
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
			return err
		},
	}
	if !quiet {
		pw = newPlainProgress(env.Stderr, dfName, dockerfile, int64(len(dockerfile)))
		pw.ctxBytes = func() int64 { return contextSize(bctx) }
		opts.Events = pw.event
		pw.start()
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
	} else {
		fmt.Fprintln(env.Stdout, res.Config.String())
	}
	return nil
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

// errorSource prints BuildKit's source excerpt for the failing line (errdefs.Source.Print).
func errorSource(w io.Writer, name string, data []byte, line int) {
	errorSourceRange(w, name, data, line, 0)
}

// errorSourceRange is errdefs.Source.Print: the file name and first line, then the lines
// from start to end marked ">>>" with context around them (four lines for one line, two
// for a range).
func errorSourceRange(w io.Writer, name string, data []byte, line, endLine int) {
	lines := strings.Split(string(data), "\n")
	start, end := line, max(line, endLine)
	if start > len(lines) || start < 1 {
		return
	}
	end = min(end, len(lines))
	pad := 2
	if end == start {
		pad = 4
	}
	p := 0
	for p < pad {
		if start > 1 {
			start--
			p++
		}
		if end != len(lines) {
			end++
			p++
		}
		p++
	}
	fmt.Fprintf(w, "%s:%d\n--------------------\n", name, line)
	for i := start; i <= end; i++ {
		pfx := "   "
		if i >= line && i <= max(line, endLine) {
			pfx = ">>>"
		}
		fmt.Fprintf(w, " %3d | %s %s\n", i, pfx, lines[i-1])
	}
	fmt.Fprint(w, "--------------------\n")
}
