package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// Flavour says whose wording the commands use.
type Flavour int

const (
	// Busybox is an image's /bin/sh: busybox's messages, and a command runs only when the
	// image has it on PATH.
	Busybox Flavour = iota
	// Coreutils is the terminal, which stands for the learner's own machine: GNU coreutils'
	// messages, and every applet is at hand.
	Coreutils
)

// An Applet is one command. args[0] is its name; it returns the exit status and reports
// errors on e.Stderr in its flavour's wording.
type Applet func(ctx context.Context, e *Env, args []string) int

// Config is what a Shell runs with.
type Config struct {
	Env      []string // KEY=VALUE
	Dir      string   // the working directory ("/" when empty)
	UID, GID int      // who runs (id, whoami, adduser's root check)
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	TTY      bool
	Flavour  Flavour
	Now      func() time.Time // default time.Now
	// MaxWrite, when positive, is how many bytes the run's files may take in total; past it
	// writes fail and the run stops with ErrTooBig.
	MaxWrite int64
	// Extra commands the caller adds (the terminal's docker, help, clear); they run before
	// any applet of the same name and need no file on PATH.
	Extra map[string]Applet
	// NotFound answers a command that cannot run (default: busybox's "/bin/sh: X: not found"
	// and one line listing what the playground can run); it returns the exit status.
	NotFound func(e *Env, name string) int
	// Keep reports names rm and mv refuse to touch (the terminal's /workspace).
	Keep func(name string) bool
	// Call, when set, sees every command line before it runs and may rewrite it
	// (interp.CallHandler).
	Call func(ctx context.Context, args []string) ([]string, error)
	// Prelude, when set, is a script Run runs first with the same interpreter, unseen by the
	// script's line numbers (the terminal uses it to learn the stdin its commands get).
	Prelude string
}

// Shell runs scripts and commands over an FS.
type Shell struct {
	fs      FS
	cfg     Config
	written atomic.Int64
	tooBig  atomic.Bool
	cancel  context.CancelFunc
}

// New returns a shell over fsys.
func New(fsys FS, cfg Config) *Shell {
	if cfg.Dir == "" {
		cfg.Dir = "/"
	}
	if cfg.Stdin == nil {
		cfg.Stdin = strings.NewReader("")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	return &Shell{fs: fsys, cfg: cfg}
}

// SyntaxError is a script the parser refused (the caller words it as its shell would).
type SyntaxError struct{ Err error }

func (e *SyntaxError) Error() string { return e.Err.Error() }
func (e *SyntaxError) Unwrap() error { return e.Err }

// Run parses and runs script, returning its exit status and the directory it ended in. A
// script that does not parse returns a *SyntaxError; an exit status is not an error; a
// context error (cancelled, timed out) or ErrTooBig is.
func (s *Shell) Run(ctx context.Context, script string, variant syntax.LangVariant) (int, string, error) {
	prog, err := syntax.NewParser(syntax.Variant(variant)).Parse(strings.NewReader(script), "")
	if err != nil {
		return 2, s.cfg.Dir, &SyntaxError{err}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.cancel = cancel
	r, err := s.runner()
	if err != nil {
		return 1, s.cfg.Dir, err
	}
	if s.cfg.Prelude != "" {
		pre, err := syntax.NewParser(syntax.Variant(variant)).Parse(strings.NewReader(s.cfg.Prelude), "")
		if err != nil {
			return 2, s.cfg.Dir, &SyntaxError{err}
		}
		if err := r.Run(ctx, pre); err != nil {
			code, err := s.status(ctx, err)
			return code, r.Dir, err
		}
	}
	err = r.Run(ctx, prog)
	code, err := s.status(ctx, err)
	return code, r.Dir, err
}

// Exec runs argv (an exec-form RUN): "sh -c SCRIPT" through the interpreter, anything else
// as a command found on PATH.
func (s *Shell) Exec(ctx context.Context, argv []string) (int, error) {
	if len(argv) >= 3 && (argv[0] == "/bin/sh" || argv[0] == "/bin/ash" || argv[0] == "sh") && argv[1] == "-c" {
		code, _, err := s.Run(ctx, argv[2], syntax.LangPOSIX)
		var se *SyntaxError
		if errors.As(err, &se) {
			fmt.Fprintf(s.cfg.Stderr, "/bin/sh: syntax error: %v\n", err)
			return 2, nil
		}
		return code, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.cancel = cancel
	r, err := s.runner()
	if err != nil {
		return 1, err
	}
	// The exec handler needs the interpreter's context: run argv as a one-word call.
	call := &syntax.CallExpr{}
	for _, a := range argv {
		call.Args = append(call.Args, &syntax.Word{Parts: []syntax.WordPart{&syntax.SglQuoted{Value: a}}})
	}
	err = r.Run(ctx, &syntax.File{Stmts: []*syntax.Stmt{{Cmd: call}}})
	return s.status(ctx, err)
}

func (s *Shell) status(ctx context.Context, err error) (int, error) {
	if s.tooBig.Load() {
		return 1, ErrTooBig
	}
	if err == nil {
		return 0, nil
	}
	var es interp.ExitStatus
	if errors.As(err, &es) {
		return int(es), nil
	}
	if ctx.Err() != nil {
		return 1, context.Cause(ctx)
	}
	return 1, err
}

func (s *Shell) runner() (*interp.Runner, error) {
	call := s.cfg.Call
	if call == nil {
		call = func(ctx context.Context, args []string) ([]string, error) { return args, nil }
	}
	return interp.New(
		interp.CallHandler(call),
		interp.Env(expand.ListEnviron(s.cfg.Env...)),
		// interp.Dir would stat the host's filesystem; ours is s.fs.
		func(r *interp.Runner) error { r.Dir = s.cfg.Dir; return nil },
		interp.StdIO(s.cfg.Stdin, s.cfg.Stdout, s.cfg.Stderr),
		interp.ExecHandlers(func(interp.ExecHandlerFunc) interp.ExecHandlerFunc { return s.exec }),
		interp.OpenHandler(s.open),
		interp.ReadDirHandler2(func(ctx context.Context, name string) ([]fs.DirEntry, error) {
			fis, err := s.fs.ReadDir(ctx, Abs(interp.HandlerCtx(ctx).Dir, name))
			if err != nil {
				return nil, err
			}
			out := make([]fs.DirEntry, len(fis))
			for i, fi := range fis {
				out[i] = fs.FileInfoToDirEntry(info{fi})
			}
			return out, nil
		}),
		interp.StatHandler(func(ctx context.Context, name string, follow bool) (fs.FileInfo, error) {
			p := Abs(interp.HandlerCtx(ctx).Dir, name)
			fi, err := s.fs.Lstat(ctx, p)
			if err == nil && follow && fi.IsLink() {
				fi, err = s.fs.Stat(ctx, p)
			}
			if err != nil {
				return nil, err
			}
			return info{fi}, nil
		}),
		interp.AccessHandler(func(ctx context.Context, name string, _ interp.AccessMode) error {
			_, err := s.fs.Stat(ctx, Abs(interp.HandlerCtx(ctx).Dir, name))
			return err
		}),
	)
}

// Env is what an applet may touch: the filesystem, the directory names are relative to,
// its streams and variables, and who runs it.
type Env struct {
	FS             FS
	Dir            string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	TTY            bool
	UID, GID       int
	Flavour        Flavour
	Getenv         func(string) string
	// Vars lists the exported variables as KEY=VALUE (env).
	Vars func() []string
	// Now is the clock (touch, adduser's shadow date).
	Now func() time.Time
	// Exec runs a command as the shell would (xargs, find -exec).
	Exec func(ctx context.Context, args []string) int

	s *Shell
}

// Abs resolves name against the working directory.
func (e *Env) Abs(name string) string { return Abs(e.Dir, name) }

// Errorf prints a message on stderr and returns 1.
func (e *Env) Errorf(format string, a ...any) int {
	fmt.Fprintf(e.Stderr, format+"\n", a...)
	return 1
}

// pick returns the wording of e's flavour.
func (e *Env) pick(busybox, coreutils string) string {
	if e.Flavour == Coreutils {
		return coreutils
	}
	return busybox
}

func (e *Env) kept(name string) bool { return e.s != nil && e.s.cfg.Keep != nil && e.s.cfg.Keep(name) }

func (s *Shell) env(ctx context.Context) *Env {
	hc := interp.HandlerCtx(ctx)
	e := &Env{
		FS: s.fs, Dir: hc.Dir, Stdin: hc.Stdin, Stdout: hc.Stdout, Stderr: hc.Stderr,
		TTY: s.cfg.TTY, Now: s.cfg.Now, UID: s.cfg.UID, GID: s.cfg.GID, Flavour: s.cfg.Flavour, s: s,
		Getenv: func(k string) string { return hc.Env.Get(k).String() },
		Vars: func() []string {
			var out []string
			hc.Env.Each(func(name string, vr expand.Variable) bool {
				if vr.Exported {
					out = append(out, name+"="+vr.String())
				}
				return true
			})
			return out
		},
	}
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	e.FS = limitFS{FS: s.fs, s: s}
	e.Exec = func(ctx context.Context, args []string) int {
		err := s.exec(ctx, args)
		var es interp.ExitStatus
		if errors.As(err, &es) {
			return int(es)
		}
		if err != nil {
			return 1
		}
		return 0
	}
	return e
}

// exec runs a simple command the interpreter did not handle itself.
func (s *Shell) exec(ctx context.Context, args []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := s.env(ctx)
	code := s.dispatch(ctx, e, args)
	if code == 0 {
		return nil
	}
	return interp.ExitStatus(uint8(code))
}

func (s *Shell) dispatch(ctx context.Context, e *Env, args []string) int {
	name := args[0]
	if fn, ok := s.cfg.Extra[name]; ok {
		return fn(ctx, e, args)
	}
	if s.cfg.Flavour == Coreutils {
		if fn, ok := applets[name]; ok && !imageOnly[name] {
			return fn(ctx, e, args)
		}
		return s.notFound(e, name)
	}
	if !s.onPath(ctx, e, name) {
		return s.notFound(e, name)
	}
	applet := path.Base(name)
	if applet == "busybox" && len(args) > 1 {
		applet, args = args[1], args[1:]
	}
	if builtins[applet] {
		// busybox's echo, printf, test... run as programs (from xargs or find -exec) behave
		// as the shell's builtins do.
		return builtin(ctx, append([]string{applet}, args[1:]...))
	}
	fn, ok := applets[applet]
	if !ok {
		fmt.Fprintf(e.Stderr, "/bin/sh: %s: not found\n", name)
		fmt.Fprintf(e.Stderr, "layerlab: %s is not emulated; RUN can execute: %s\n", name, Names())
		return 127
	}
	return fn(ctx, e, append([]string{applet}, args[1:]...))
}

func builtin(ctx context.Context, args []string) int {
	err := interp.HandlerCtx(ctx).Builtin(ctx, args)
	var es interp.ExitStatus
	if errors.As(err, &es) {
		return int(es)
	}
	if err != nil {
		return 1
	}
	return 0
}

// onPath reports whether name is an executable file: itself when it holds a slash, else
// in a PATH directory.
func (s *Shell) onPath(ctx context.Context, e *Env, name string) bool {
	if strings.Contains(name, "/") {
		return s.executable(ctx, e.Abs(name))
	}
	return s.lookPath(ctx, e, name) != ""
}

func (s *Shell) lookPath(ctx context.Context, e *Env, name string) string {
	for _, dir := range strings.Split(e.Getenv("PATH"), ":") {
		if dir == "" {
			continue
		}
		if p := path.Join(dir, name); s.executable(ctx, p) {
			return p
		}
	}
	return ""
}

func (s *Shell) executable(ctx context.Context, p string) bool {
	fi, err := s.fs.Stat(ctx, p)
	return err == nil && fi.IsRegular() && fi.Mode&0o111 != 0
}

func (s *Shell) notFound(e *Env, name string) int {
	if s.cfg.NotFound != nil {
		return s.cfg.NotFound(e, name)
	}
	fmt.Fprintf(e.Stderr, "/bin/sh: %s: not found\n", name)
	fmt.Fprintf(e.Stderr, "layerlab: RUN emulates these commands besides the shell's builtins: %s\n", Names())
	return 127
}

// builtins are busybox applets that are also shell builtins.
var builtins = map[string]bool{"echo": true, "printf": true, "test": true, "[": true, "true": true, "false": true, "pwd": true, "kill": true}

// applets are the emulated commands, by name; each file of applets adds its own in init.
var applets = map[string]Applet{}

func register(m map[string]Applet) {
	for k, v := range m {
		applets[k] = v
	}
}

// Names lists what a RUN can execute beyond the shell's syntax, sorted and space-separated.
func Names() string {
	var n []string
	for k := range builtins {
		n = append(n, k)
	}
	for k := range applets {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, " ")
}

// Commands lists the applets the terminal runs, sorted.
func Commands() []string {
	var n []string
	for k := range applets {
		if !imageOnly[k] {
			n = append(n, k)
		}
	}
	sort.Strings(n)
	return n
}

// open serves the interpreter's redirections.
func (s *Shell) open(ctx context.Context, name string, flag int, perm fs.FileMode) (io.ReadWriteCloser, error) {
	switch name {
	case "/dev/null":
		return devNull{}, nil
	case "/dev/stdout":
		return nopRWC{w: interp.HandlerCtx(ctx).Stdout}, nil
	case "/dev/stderr":
		return nopRWC{w: interp.HandlerCtx(ctx).Stderr}, nil
	}
	p := Abs(interp.HandlerCtx(ctx).Dir, name)
	if flag&(oWRONLY|oRDWR) == 0 {
		fi, err := s.fs.Stat(ctx, p)
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			return nil, pathErr("open", name, ErrIsDir)
		}
		r, err := s.fs.Open(ctx, p)
		if err != nil {
			return nil, err
		}
		return nopRWC{r: r, c: r}, nil
	}
	if flag&oCREATE == 0 {
		if _, err := s.fs.Stat(ctx, p); err != nil {
			return nil, err
		}
	}
	w, err := limitFS{FS: s.fs, s: s}.Create(ctx, p, perm, flag&oAPPEND != 0)
	if err != nil {
		return nil, err
	}
	return nopRWC{w: w, c: w}, nil
}

// limitFS counts what is written against the shell's budget.
type limitFS struct {
	FS
	s *Shell
}

func (l limitFS) Create(ctx context.Context, name string, perm fs.FileMode, appendTo bool) (io.WriteCloser, error) {
	w, err := l.FS.Create(ctx, name, perm, appendTo)
	if err != nil || l.s.cfg.MaxWrite <= 0 {
		return w, err
	}
	return &limitWriter{WriteCloser: w, s: l.s}, nil
}

func (l limitFS) Link(ctx context.Context, oldname, newname string) error {
	return hardLink(ctx, l.FS, oldname, newname)
}

type limitWriter struct {
	io.WriteCloser
	s *Shell
}

func (w *limitWriter) Write(b []byte) (int, error) {
	if w.s.written.Add(int64(len(b))) > w.s.cfg.MaxWrite {
		w.s.tooBig.Store(true)
		if w.s.cancel != nil {
			w.s.cancel()
		}
		return 0, ErrTooBig
	}
	return w.WriteCloser.Write(b)
}

type devNull struct{}

func (devNull) Read([]byte) (int, error)    { return 0, io.EOF }
func (devNull) Write(b []byte) (int, error) { return len(b), nil }
func (devNull) Close() error                { return nil }

type nopRWC struct {
	r io.Reader
	w io.Writer
	c io.Closer
}

func (n nopRWC) Read(b []byte) (int, error) {
	if n.r == nil {
		return 0, errors.New("file opened for writing")
	}
	return n.r.Read(b)
}

func (n nopRWC) Write(b []byte) (int, error) {
	if n.w == nil {
		return 0, errors.New("file opened for reading")
	}
	return n.w.Write(b)
}

func (n nopRWC) Close() error {
	if n.c == nil {
		return nil
	}
	return n.c.Close()
}

// readFile reads a whole file.
func readFile(ctx context.Context, fsys FS, name string) ([]byte, error) {
	r, err := fsys.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// writeFile creates or truncates name with data.
func writeFile(ctx context.Context, fsys FS, name string, data []byte, perm fs.FileMode) error {
	w, err := fsys.Create(ctx, name, perm, false)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
