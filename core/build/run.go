package build

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/layerlab/layerlab/core/fsys"
)

// RunTimeout is how long one emulated RUN may take, and RunSizeLimit how many bytes its files
// may grow the filesystem by: a step that never ends or fills memory stops with an error
// instead of freezing the page.
var (
	RunTimeout         = 60 * time.Second
	RunSizeLimit int64 = 512 << 20
)

var errTooBig = errors.New("size limit")

// dispatchRun emulates RUN: the command runs in mvdan.cc/sh's interpreter over the stage's
// in-memory filesystem, with Go versions of a few busybox applets (see applets.go).
func (b *builder) dispatchRun(ctx context.Context, st *stageState, c *instructions.RunCommand) error {
	if len(c.Files) > 0 {
		return fmt.Errorf("RUN with a heredoc is not supported yet in layerlab")
	}
	if len(instructions.GetMounts(c)) > 0 || (instructions.GetNetwork(c) != instructions.NetworkDefault && instructions.GetNetwork(c) != "none") || instructions.GetSecurity(c) != instructions.SecuritySandbox {
		return fmt.Errorf("RUN --mount, --network and --security are not supported yet in layerlab")
	}
	args := []string(c.CmdLine)
	if c.PrependShell {
		args = withShell(&st.image, args)
	}
	env := b.stateEnv(st)
	created := "RUN " + runCommandString(args, st.buildArgs, env)
	name := b.runStepName(st, c.String())
	wd := st.image.Config.WorkingDir
	if wd == "" {
		wd = "/"
	}
	user := st.image.Config.User
	key := hashKey(append([]string{st.key, "run", wd, user, strings.Join(env.kv, "\x00")}, args...)...)
	b.inputs = &StepInputs{Instruction: c.String(), Parent: st.key, Env: env.kv, Workdir: wd}
	var out bytes.Buffer
	err := b.step(ctx, st, name, key, func(f *fsys.FS) error {
		uid, gid := 0, 0
		if user != "" {
			var err error
			if uid, gid, err = lookupUser(f, user); err != nil {
				return err
			}
		}
		rctx, cancel := context.WithTimeout(ctx, RunTimeout)
		defer cancel()
		m := &machine{f: f, uid: uid, gid: gid, now: b.o.Now(), out: &limitedWriter{w: &out, n: 1 << 20}, cancel: cancel}
		code, err := m.run(rctx, args, env.kv, wd)
		if m.tooBig {
			return fmt.Errorf("RUN wrote more than %.1f MB, the playground's limit", float64(RunSizeLimit)/(1<<20))
		}
		if err != nil {
			return err
		}
		if code != 0 {
			return fmt.Errorf("process %q did not complete successfully: exit code: %d", strings.Join(args, " "), code)
		}
		return nil
	}, func() []byte { return out.Bytes() })
	if err != nil {
		if out.Len() > 0 {
			return fmt.Errorf("%w\n%s", err, strings.TrimRight(out.String(), "\n"))
		}
		return err
	}
	b.history(st, created+" # buildkit", true)
	return nil
}

// runCommandString is how BuildKit writes a RUN into the history: "|N K=V ..." for the
// build args in scope, then the command.
func runCommandString(args []string, buildArgs []instructions.KeyValuePairOptional, env shell.EnvGetter) string {
	var tmp []string
	idx := map[string]int{}
	for _, arg := range buildArgs {
		v, ok := env.Get(arg.Key)
		if !ok {
			v = arg.ValueString()
		}
		if i, ok := idx[arg.Key]; ok {
			tmp[i] = arg.Key + "=" + v
		} else {
			idx[arg.Key] = len(tmp)
			tmp = append(tmp, arg.Key+"="+v)
		}
	}
	if len(tmp) > 0 {
		tmp = append([]string{fmt.Sprintf("|%d", len(tmp))}, tmp...)
	}
	return strings.Join(append(tmp, args...), " ")
}

// machine is one RUN's world: the filesystem, who runs, and where output goes.
type machine struct {
	written  int64 // bytes written to files so far
	tooBig   bool
	cancel   context.CancelFunc
	f        *fsys.FS
	uid, gid int
	now      time.Time
	out      io.Writer
}

// run executes argv: /bin/sh -c SCRIPT through the interpreter, anything else as an applet.
func (m *machine) run(ctx context.Context, argv, env []string, wd string) (int, error) {
	if len(argv) >= 3 && (argv[0] == "/bin/sh" || argv[0] == "/bin/ash" || argv[0] == "sh") && argv[1] == "-c" {
		return m.shell(ctx, argv[2], env, wd)
	}
	r, err := m.runner(env, wd)
	if err != nil {
		return 0, err
	}
	err = m.exec(interpCtx(ctx, r), argv)
	return exitCode(err)
}

func interpCtx(ctx context.Context, r *interp.Runner) context.Context { return ctx }

func exitCode(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var es interp.ExitStatus
	if errors.As(err, &es) {
		return int(es), nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return 0, fmt.Errorf("RUN took longer than %s, the playground's limit", RunTimeout)
	}

	return 0, err
}

func (m *machine) runner(env []string, wd string) (*interp.Runner, error) {
	r, err := interp.New(
		interp.Env(expand.ListEnviron(env...)),
		interp.StdIO(strings.NewReader(""), m.out, m.out),
		interp.ExecHandlers(func(interp.ExecHandlerFunc) interp.ExecHandlerFunc { return m.exec }),
		interp.OpenHandler(m.open),
		interp.ReadDirHandler2(m.readDir),
		interp.StatHandler(m.stat),
		interp.AccessHandler(func(ctx context.Context, p string, mode interp.AccessMode) error {
			_, err := m.stat(ctx, p, true)
			return err
		}),
	)
	if err != nil {
		return nil, err
	}
	r.Dir = wd
	return r, nil
}

func (m *machine) shell(ctx context.Context, script string, env []string, wd string) (int, error) {
	prog, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(script), "")
	if err != nil {
		fmt.Fprintf(m.out, "/bin/sh: syntax error: %v\n", err)
		return 2, nil
	}
	r, err := m.runner(env, wd)
	if err != nil {
		return 0, err
	}
	return exitCode(r.Run(ctx, prog))
}

func (m *machine) abs(ctx context.Context, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(interp.HandlerCtx(ctx).Dir, p)
}

func (m *machine) stat(ctx context.Context, name string, follow bool) (fs.FileInfo, error) {
	p, err := m.f.Resolve(m.abs(ctx, name), follow)
	if err != nil {
		return nil, err
	}
	if m.f.Get(p) == nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	if follow {
		return fs.Stat(m.f.IOFS(), orDot(p))
	}
	return fs.Lstat(m.f.IOFS(), orDot(p))
}

func orDot(p string) string {
	if p == "" {
		return "."
	}
	return p
}

func (m *machine) readDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	p, err := m.f.Resolve(m.abs(ctx, name), true)
	if err != nil {
		return nil, err
	}
	return fs.ReadDir(m.f.IOFS(), orDot(p))
}

// open serves the interpreter's redirections from the in-memory filesystem.
func (m *machine) open(ctx context.Context, name string, flag int, perm fs.FileMode) (io.ReadWriteCloser, error) {
	switch name {
	case "/dev/null":
		return devNull{}, nil
	case "/dev/stdout", "/dev/stderr":
		return nopRWC{w: m.out}, nil
	}
	p, err := m.f.Resolve(m.abs(ctx, name), true)
	if err != nil {
		return nil, err
	}
	n := m.f.Get(p)
	if flag&(oWRONLY|oRDWR) == 0 {
		if n == nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		if n.IsDir() {
			return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("is a directory")}
		}
		return nopRWC{r: bytes.NewReader(n.Data)}, nil
	}
	if n != nil && n.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("is a directory")}
	}
	if n == nil && flag&oCREATE == 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	parent := m.f.Get(path.Dir("/" + p))
	if parent == nil || !parent.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	w := &fileWriter{m: m, p: p}
	if n != nil {
		c := *n
		w.node = &c
		if flag&oAPPEND != 0 {
			w.buf.Write(n.Data)
		}
	} else {
		w.node = &fsys.Node{Type: tar.TypeReg, Mode: int64(perm.Perm()) &^ 0o022, UID: m.uid, GID: m.gid}
	}
	// The file exists (empty or truncated) from the moment it is opened, as on a real system.
	if err := w.flush(); err != nil {
		return nil, err
	}
	return w, nil
}

type fileWriter struct {
	m    *machine
	p    string
	node *fsys.Node
	buf  bytes.Buffer
}

func (w *fileWriter) Read([]byte) (int, error) { return 0, io.EOF }
func (w *fileWriter) Write(b []byte) (int, error) {
	w.m.written += int64(len(b))
	if w.m.written > RunSizeLimit {
		w.m.tooBig = true
		w.m.cancel()
		return 0, errTooBig
	}
	return w.buf.Write(b)
}
func (w *fileWriter) Close() error { return w.flush() }
func (w *fileWriter) flush() error {
	c := *w.node
	c.Data = bytes.Clone(w.buf.Bytes())
	c.ModTime = w.m.now
	existed := w.m.f.Get(w.p) != nil
	if existed {
		return w.m.f.Update(w.p, &c)
	}
	return w.m.f.Write(w.p, &c, w.m.now)
}

type devNull struct{}

func (devNull) Read([]byte) (int, error)    { return 0, io.EOF }
func (devNull) Write(b []byte) (int, error) { return len(b), nil }
func (devNull) Close() error                { return nil }

type nopRWC struct {
	r io.Reader
	w io.Writer
}

func (n nopRWC) Read(b []byte) (int, error) {
	if n.r == nil {
		return 0, io.EOF
	}
	return n.r.Read(b)
}
func (n nopRWC) Write(b []byte) (int, error) {
	if n.w == nil {
		return len(b), nil
	}
	return n.w.Write(b)
}
func (nopRWC) Close() error { return nil }

// limitedWriter keeps the first n bytes of a step's output (what the page shows) and drops
// the rest, so that a chatty loop cannot fill memory either.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(b []byte) (int, error) {
	if l.n > 0 {
		k := min(len(b), l.n)
		l.w.Write(b[:k])
		l.n -= k
	}
	return len(b), nil
}
