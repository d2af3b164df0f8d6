package term

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/proxy/client"
	"github.com/layerlab/layerlab/core/store"
)

// The shell's two persistent folders: the learner's files (the starting directory and the
// build context) and the home (~) outside it, so credentials never end up in a build context.
const (
	Workspace = "/workspace"
	Home      = "/root"
)

// Shell runs lines and scripts over an FS and an image store. It keeps no state between
// runs: the caller passes the directory to start in and gets back the one the run ended in.
type Shell struct {
	fs     FS
	store  store.Store
	now    func() time.Time
	remote func() []remote.Option
	hub    func() []remote.Option
	hubAPI func() *client.HubAPI
}

// Option sets a Shell's optional settings.
type Option func(*Shell)

// WithNow sets the clock docker commands measure "2 weeks ago" against (default time.Now).
func WithNow(now func() time.Time) Option { return func(s *Shell) { s.now = now } }

// WithRegistries sets how docker commands reach registries (cli.Env.Remote) and the practice
// hub (cli.Env.Hub); either may be nil (go-containerregistry's defaults; no hub).
func WithRegistries(remote, hub func() []remote.Option) Option {
	return func(s *Shell) { s.remote, s.hub = remote, hub }
}

// WithHubAPI sets how the hub command reaches the practice hub's repository API
// (cli.Env.HubAPI).
func WithHubAPI(api func() *client.HubAPI) Option { return func(s *Shell) { s.hubAPI = api } }

// New returns a shell over fsys whose docker commands use st.
func New(fsys FS, st store.Store, opts ...Option) *Shell {
	s := &Shell{fs: fsys, store: st, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// IO is a run's standard streams. TTY says the output goes to the terminal (ls prints
// columns; docker renders progress in place) rather than to a program.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	TTY            bool
	// Echo, when set, says Stdin is the terminal someone types at, which echoes what is typed
	// unless told otherwise: Echo(false) and Echo(true) around docker login's password. A
	// command whose stdin is redirected or piped is not given it.
	Echo func(on bool) error
}

// Run runs script (one line or many) starting in dir (Workspace when empty) and returns its
// exit status and the directory it ended in. A syntax error exits 2 with the position; a
// cancelled ctx (Ctrl-C) exits 130.
func (s *Shell) Run(ctx context.Context, dir, script string, stdio IO) (int, string) {
	if dir == "" {
		dir = Workspace
	}
	stdin := stdio.Stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	stdout, stderr := stdio.Stdout, stdio.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	file, err := syntax.NewParser().Parse(strings.NewReader(script), "")
	if err != nil {
		fmt.Fprintf(stderr, "layerlab: %v\n", err)
		return 2, dir
	}
	r, err := s.runner(dir, stdio, stdin, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "layerlab: starting the shell: %v\n", err)
		return 1, dir
	}
	if stdio.Echo != nil {
		probe, _ := syntax.NewParser().Parse(strings.NewReader(stdinProbe), "")
		if err := r.Run(ctx, probe); err != nil {
			fmt.Fprintf(stderr, "layerlab: starting the shell: %v\n", err)
			return 1, dir
		}
	}
	err = r.Run(ctx, file)
	end := r.Dir
	var es interp.ExitStatus
	switch {
	case ctx.Err() != nil:
		return 130, end
	case err == nil:
		return 0, end
	case errors.As(err, &es):
		return int(es), end
	default:
		fmt.Fprintf(stderr, "layerlab: %v\n", err)
		return 1, end
	}
}

func (s *Shell) runner(dir string, stdio IO, stdin io.Reader, stdout, stderr io.Writer) (*interp.Runner, error) {
	term := &terminal{tty: stdio.TTY, echo: stdio.Echo}
	env := expand.ListEnviron(
		"HOME="+Home,
		"PWD="+dir,
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"USER=root",
		"SHELL=/bin/sh",
	)
	return interp.New(
		interp.Env(env),
		// interp.Dir would stat dir on the host's filesystem; ours is s.fs.
		func(r *interp.Runner) error { r.Dir = dir; return nil },
		interp.StdIO(stdin, stdout, stderr),
		interp.CallHandler(func(ctx context.Context, args []string) ([]string, error) {
			// help is a bash builtin; ours lists the playground's commands.
			if args[0] == "help" {
				args[0] = helpCommand
			}
			return args, nil
		}),
		interp.ExecHandlers(func(interp.ExecHandlerFunc) interp.ExecHandlerFunc {
			return func(ctx context.Context, args []string) error {
				if args[0] == stdinProbe {
					term.in = interp.HandlerCtx(ctx).Stdin
					return nil
				}
				return s.exec(ctx, args, term)
			}
		}),
		interp.OpenHandler(func(ctx context.Context, name string, flag int, perm fs.FileMode) (io.ReadWriteCloser, error) {
			// Redirections pass the name as written; the FS wants it absolute.
			return s.open(ctx, Abs(interp.HandlerCtx(ctx).Dir, name), flag, perm)
		}),
		interp.AccessHandler(func(ctx context.Context, name string, _ interp.AccessMode) error {
			// Everything the learner has is theirs: access is existence.
			_, err := s.fs.Stat(ctx, name)
			return err
		}),
		interp.StatHandler(func(ctx context.Context, name string, _ bool) (fs.FileInfo, error) {
			fi, err := s.fs.Stat(ctx, Abs(interp.HandlerCtx(ctx).Dir, name))
			if err != nil {
				return nil, err
			}
			return statInfo{fi}, nil
		}),
		interp.ReadDirHandler2(func(ctx context.Context, name string) ([]fs.DirEntry, error) {
			fis, err := s.fs.ReadDir(ctx, Abs(interp.HandlerCtx(ctx).Dir, name))
			if err != nil {
				return nil, err
			}
			out := make([]fs.DirEntry, len(fis))
			for i, fi := range fis {
				out[i] = fs.FileInfoToDirEntry(statInfo{fi})
			}
			return out, nil
		}),
	)
}

// helpCommand is what the call handler turns help into, so it reaches the exec handler.
const helpCommand = "layerlab-help"

// stdinProbe is a command Run runs first, unseen, when its stdin is a terminal: the stdin the
// shell hands it is what a later command gets when its stdin is neither redirected nor piped.
const stdinProbe = "layerlab-stdin-probe"

// terminal is what a run knows of its terminal: whether output goes to it, and the input
// side (in, as the shell hands it to commands, and echo) when someone types at it.
type terminal struct {
	tty  bool
	in   io.Reader
	echo func(bool) error
}

// exec runs one simple command that is not a shell builtin: an applet, docker, or the
// one-line answer for a command the playground does not have.
func (s *Shell) exec(ctx context.Context, args []string, term *terminal) error {
	tty := term.tty
	hc := interp.HandlerCtx(ctx)
	var input *cli.Input
	if term.echo != nil && term.in != nil && hc.Stdin == term.in {
		input = &cli.Input{Echo: term.echo}
	}
	env := &Env{
		FS:     s.fs,
		Dir:    hc.Dir,
		Stdin:  hc.Stdin,
		Stdout: hc.Stdout,
		Stderr: hc.Stderr,
		TTY:    tty,
		Getenv: func(k string) string { return hc.Env.Get(k).String() },
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	var code int
	switch name := args[0]; name {
	case "docker", "hub":
		cargs := args[1:]
		if name == "hub" {
			cargs = args // layerlab's own hub command, run through the same table
		}
		// docker writes tables cell by cell; the page gets them a line at a time.
		stdout, stderr := &lineWriter{w: env.Stdout}, &lineWriter{w: env.Stderr}
		defer stdout.flush()
		defer stderr.flush()
		var stdin io.Reader = env.Stdin
		if input != nil {
			// a prompt ("Password: ") has no newline: show it before waiting for the answer
			stdin = flushingReader{r: stdin, flush: func() { stdout.flush(); stderr.flush() }}
		}
		code = cli.Run(ctx, &cli.Env{
			Store:  s.store,
			Stdin:  stdin,
			Stdout: stdout,
			Stderr: stderr,
			Files:  filesAt{ctx: ctx, fs: s.fs, dir: hc.Dir},
			Now:    s.now,
			Getenv: env.Getenv,
			Remote: s.remote,
			Hub:    s.hub,
			HubAPI: s.hubAPI,
			// On the page's terminal pull and push redraw layer lines in place; $COLUMNS,
			// when the page sets it, is the width docker's progress bars are measured for.
			TTY:   tty,
			Input: input,
			Width: func() int {
				n, _ := strconv.Atoi(env.Getenv("COLUMNS"))
				return n
			},
		}, cargs)
	case helpCommand:
		code = help(env)
	case "clear":
		// Clear the screen and the scrollback, as xterm's clear does.
		fmt.Fprint(env.Stdout, "\x1b[H\x1b[2J\x1b[3J")
	default:
		a, ok := applets[name]
		if !ok {
			fmt.Fprintf(env.Stderr, "%s: the playground does not have this command; run help to see the ones it has\n", name)
			code = 127
			break
		}
		code = a(ctx, env, args[1:])
	}
	if ctx.Err() != nil && code != 0 {
		code = 130
	}
	if code == 0 {
		return nil
	}
	return interp.ExitStatus(uint8(code))
}

// help lists what the playground's shell has.
func help(env *Env) int {
	fmt.Fprint(env.Stdout, helpText)
	return 0
}

const helpText = `The playground's shell runs these commands over your files (/workspace; ~ is /root):

  docker      docker images, history, image inspect, tag, rmi, save, load, image prune, system df ...
  hub         the practice hub's repositories: hub create [--private] USER/NAME, hub ls, hub visibility
  ls          list files (-l long, -a all)
  cat         print files, or write one: cat > Dockerfile <<EOF
  echo        print its arguments
  mkdir       make folders (-p: with those above)
  rm          remove files (-r: folders, -f: no complaint when missing)
  cp          copy files (-r: folders)
  mv          move or rename
  cd, pwd     change or print the current folder
  touch       make an empty file or update its time
  sleep       wait some seconds (Ctrl-C stops it)
  clear       clear the terminal
  help        this list

Pipes (|), redirection (>, >>, <, 2>&1), && and ||, variables and heredocs work as in sh.
`

// Commands are the names the shell runs (for tab completion), sorted.
func Commands() []string {
	names := []string{"docker", "hub", "help", "clear", "cd", "pwd", "echo", "printf", "exit", "true", "false", "test"}
	for n := range applets {
		names = append(names, n)
	}
	return sortedUnique(names)
}

// open is the shell's redirections (<, >, >>) and what builtins open.
func (s *Shell) open(ctx context.Context, name string, flag int, _ fs.FileMode) (io.ReadWriteCloser, error) {
	if name == "/dev/null" {
		return devNull{}, nil
	}
	if flag&accessMode == readOnly {
		f, err := s.fs.Open(ctx, name)
		if err != nil {
			return nil, err
		}
		return readOnlyFile{f}, nil
	}
	w, err := s.fs.Create(ctx, name)
	if err != nil {
		return nil, err
	}
	if flag&appendFlag() != 0 {
		if f, err := s.fs.Open(ctx, name); err == nil {
			_, err = io.Copy(w, f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("appending to %s: %w", name, err)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return writeOnlyFile{w}, nil
}

// The access mode bits are the same on every platform Go runs on; O_APPEND is not, and core
// cannot import os to learn it, so appendFlag asks the interpreter which bit `>>` sets.
const (
	accessMode = 3
	readOnly   = 0
)

var appendFlag = sync.OnceValue(func() int {
	var trunc, app int
	r, err := interp.New(
		func(r *interp.Runner) error { r.Dir = "/"; return nil },
		interp.OpenHandler(func(ctx context.Context, name string, flag int, _ fs.FileMode) (io.ReadWriteCloser, error) {
			if name == "/a" {
				trunc = flag
			} else {
				app = flag
			}
			return devNull{}, nil
		}),
	)
	if err != nil {
		panic(fmt.Sprintf("term: starting the interpreter: %v", err))
	}
	file, _ := syntax.NewParser().Parse(strings.NewReader(": >/a; : >>/b"), "")
	if err := r.Run(context.Background(), file); err != nil {
		panic(fmt.Sprintf("term: learning the append flag: %v", err))
	}
	return app &^ trunc
})

type devNull struct{}

func (devNull) Read([]byte) (int, error)    { return 0, io.EOF }
func (devNull) Write(p []byte) (int, error) { return len(p), nil }
func (devNull) Close() error                { return nil }

type readOnlyFile struct{ cli.File }

func (readOnlyFile) Write([]byte) (int, error) { return 0, errors.New("file opened for reading") }

type writeOnlyFile struct{ io.WriteCloser }

func (writeOnlyFile) Read([]byte) (int, error) { return 0, errors.New("file opened for writing") }

// statInfo is a FileInfo as io/fs wants it.
type statInfo struct{ fi FileInfo }

func (s statInfo) Name() string       { return s.fi.Name }
func (s statInfo) Size() int64        { return s.fi.Size }
func (s statInfo) ModTime() time.Time { return s.fi.ModTime }
func (s statInfo) IsDir() bool        { return s.fi.Dir }
func (s statInfo) Sys() any           { return nil }
func (s statInfo) Mode() fs.FileMode {
	if s.fi.Dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

// filesAt is cli.Files resolving names against the shell's current directory.
type filesAt struct {
	ctx context.Context
	fs  FS
	dir string
}

func (f filesAt) Open(name string) (cli.File, error) { return f.fs.Open(f.ctx, Abs(f.dir, name)) }
func (f filesAt) Create(name string) (io.WriteCloser, error) {
	return f.fs.Create(f.ctx, Abs(f.dir, name))
}

// Abs resolves name against dir as the shell does.
func Abs(dir, name string) string {
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	return path.Join(dir, name)
}

// lineWriter passes writes on a line at a time (up to the last \n or \r written), so a
// command that writes a table cell by cell reaches the terminal in whole lines, while
// progress (\r) still shows as it comes.
// flushingReader flushes the command's output before each read of the terminal.
type flushingReader struct {
	r     io.Reader
	flush func()
}

func (f flushingReader) Read(p []byte) (int, error) {
	f.flush()
	return f.r.Read(p)
}

type lineWriter struct {
	w   io.Writer
	buf []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	if i := bytes.LastIndexAny(l.buf, "\n\r"); i >= 0 {
		_, err := l.w.Write(l.buf[:i+1])
		l.buf = append(l.buf[:0], l.buf[i+1:]...)
		if err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

func (l *lineWriter) flush() {
	if len(l.buf) > 0 {
		l.w.Write(l.buf)
		l.buf = nil
	}
}
