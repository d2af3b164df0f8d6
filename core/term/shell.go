package term

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"mvdan.cc/sh/v3/syntax"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/proxy/client"
	"github.com/layerlab/layerlab/core/shell"
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
	// Columns, when above 0, is the terminal's width: the run's $COLUMNS, which docker's
	// progress bars are measured for (a bar wider than the terminal would wrap and break
	// the in-place redraw).
	Columns int
	// Echo, when set, says Stdin is the terminal someone types at, which echoes what is typed
	// unless told otherwise: Echo(false) and Echo(true) around docker login's password. A
	// command whose stdin is redirected or piped is not given it.
	Echo func(on bool) error
}

// stdinProbe is a command Run runs first, unseen, when its stdin is a terminal: the stdin the
// shell hands it is what a later command gets when its stdin is neither redirected nor piped.
const stdinProbe = "layerlab-stdin-probe"

// terminal is what a run knows of its terminal's input side: in, as the shell hands it to
// commands, and echo, when someone types at it.
type terminal struct {
	in   io.Reader
	echo func(bool) error
}

// Run runs script (one line or many) starting in dir (Workspace when empty) and returns its
// exit status and the directory it ended in. A syntax error exits 2 with the position; a
// cancelled ctx (Ctrl-C) exits 130.
func (s *Shell) Run(ctx context.Context, dir, script string, stdio IO) (int, string) {
	if dir == "" {
		dir = Workspace
	}
	stderr := stdio.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	term := &terminal{echo: stdio.Echo}
	prelude := ""
	if stdio.Echo != nil {
		prelude = stdinProbe
	}
	docker := func(ctx context.Context, e *shell.Env, args []string) int { return s.docker(ctx, e, args, term) }
	env := []string{
		"HOME=" + Home,
		"PWD=" + dir,
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"USER=root",
		"SHELL=/bin/sh",
	}
	if stdio.Columns > 0 {
		env = append(env, "COLUMNS="+strconv.Itoa(stdio.Columns))
	}
	sh := shell.New(shellFS{s.fs}, shell.Config{
		Env:     env,
		Dir:     dir,
		Stdin:   stdio.Stdin,
		Stdout:  stdio.Stdout,
		Stderr:  stderr,
		TTY:     stdio.TTY,
		Flavour: shell.Coreutils,
		Now:     s.now,
		Prelude: prelude,
		Extra: map[string]shell.Applet{
			"docker":    docker,
			"hub":       docker,
			helpCommand: help,
			stdinProbe: func(_ context.Context, e *shell.Env, _ []string) int {
				term.in = e.Stdin
				return 0
			},
			"clear": func(_ context.Context, e *shell.Env, _ []string) int {
				// Clear the screen and the scrollback, as xterm's clear does.
				fmt.Fprint(e.Stdout, "\x1b[H\x1b[2J\x1b[3J")
				return 0
			},
		},
		NotFound: func(e *shell.Env, name string) int {
			fmt.Fprintf(e.Stderr, "%s: the playground does not have this command; run help to see the ones it has\n", name)
			return 127
		},
		Keep: func(p string) bool { return p == "/" || p == Workspace || p == Home },
		Call: func(ctx context.Context, args []string) ([]string, error) {
			// help is a bash builtin; ours lists the playground's commands.
			if args[0] == "help" {
				args[0] = helpCommand
			}
			return args, nil
		},
	})
	code, end, err := sh.Run(ctx, script, syntax.LangBash)
	var se *shell.SyntaxError
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "layerlab: %v\n", err)
		return 2, dir
	case ctx.Err() != nil:
		return 130, end
	case err != nil:
		fmt.Fprintf(stderr, "layerlab: %v\n", err)
		return 1, end
	}
	return code, end
}

// docker runs a docker command line (or layerlab's hub command) through core/cli.
func (s *Shell) docker(ctx context.Context, e *shell.Env, args []string, term *terminal) int {
	cargs := args[1:]
	if args[0] == "hub" {
		cargs = args // layerlab's own hub command, run through the same table
	}
	// docker writes tables cell by cell; the page gets them a line at a time.
	stdout, stderr := &lineWriter{w: e.Stdout}, &lineWriter{w: e.Stderr}
	defer stdout.flush()
	defer stderr.flush()
	var input *cli.Input
	stdin := e.Stdin
	if term.echo != nil && term.in != nil && e.Stdin == term.in {
		input = &cli.Input{Echo: term.echo}
		// a prompt ("Password: ") has no newline: show it before waiting for the answer
		stdin = flushingReader{r: stdin, flush: func() { stdout.flush(); stderr.flush() }}
	}
	code := cli.Run(ctx, &cli.Env{
		Store:  s.store,
		Stdin:  stdin,
		Stdout: stdout,
		Stderr: stderr,
		Files:  filesAt{ctx: ctx, fs: s.fs, dir: e.Dir},
		Now:    s.now,
		Getenv: e.Getenv,
		Remote: s.remote,
		Hub:    s.hub,
		HubAPI: s.hubAPI,
		// On the page's terminal pull and push redraw layer lines in place; $COLUMNS,
		// when the page sets it, is the width docker's progress bars are measured for.
		TTY:   e.TTY,
		Input: input,
		Width: func() int {
			n, _ := strconv.Atoi(e.Getenv("COLUMNS"))
			return n
		},
	}, cargs)
	if ctx.Err() != nil && code != 0 {
		code = 130
	}
	return code
}

// flushingReader flushes the command's output before each read of its input.
type flushingReader struct {
	r     io.Reader
	flush func()
}

func (f flushingReader) Read(p []byte) (int, error) {
	f.flush()
	return f.r.Read(p)
}

// helpCommand is what the call handler turns help into, so it reaches the exec handler.
const helpCommand = "layerlab-help"

// help lists what the playground's shell has.
func help(_ context.Context, e *shell.Env, _ []string) int {
	fmt.Fprint(e.Stdout, helpText)
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
  grep sed head tail wc sort uniq cut tr find xargs tee ln chmod tar gzip gunzip ...
              the busybox tools a Dockerfile's RUN can use work here too
  clear       clear the terminal
  help        this list

Pipes (|), redirection (>, >>, <, 2>&1), && and ||, variables and heredocs work as in sh.
`

// Commands are the names the shell runs (for tab completion), sorted.
func Commands() []string {
	names := []string{"docker", "hub", "help", "clear", "cd", "pwd", "echo", "printf", "exit", "true", "false", "test"}
	names = append(names, shell.Commands()...)
	sort.Strings(names)
	out := names[:0]
	for i, n := range names {
		if i == 0 || n != names[i-1] {
			out = append(out, n)
		}
	}
	return out
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
func Abs(dir, name string) string { return shell.Abs(dir, name) }

// lineWriter passes writes on a line at a time (up to the last \n or \r written), so a
// command that writes a table cell by cell reaches the terminal in whole lines, while
// progress (\r) still shows as it comes.
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
