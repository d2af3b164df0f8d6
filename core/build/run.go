package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/layerlab/layerlab/core/fsys"
	sh "github.com/layerlab/layerlab/core/shell"
)

// RunTimeout is how long one emulated RUN may take, and RunSizeLimit how many bytes its files
// may grow the filesystem by: a step that never ends or fills memory stops with an error
// instead of freezing the page.
var (
	RunTimeout         = 60 * time.Second
	RunSizeLimit int64 = 512 << 20
)

// dispatchRun emulates RUN: the command runs in mvdan.cc/sh's interpreter over the stage's
// in-memory filesystem, with core/shell's Go versions of the busybox applets.
func (b *builder) dispatchRun(ctx context.Context, st *stageState, c *instructions.RunCommand) error {
	plan, err := b.planRun(ctx, st, c) // heredocs, --network and --mount: mounts.go
	var missing *sourceMissing
	if errors.As(err, &missing) {
		return b.failStep(st, b.runStepName(st, c.String()+plan.nameSuffix), missing.err)
	}
	if err != nil {
		return err
	}
	args := plan.args
	if c.PrependShell {
		args = withShell(&st.image, args)
	}
	execArgs := args
	if plan.exec != nil {
		execArgs = plan.exec
	}
	env := b.stateEnv(st)
	created := "RUN " + runCommandString(args, st.buildArgs, env)
	name := b.runStepName(st, c.String()+plan.nameSuffix)
	wd := st.image.Config.WorkingDir
	if wd == "" {
		wd = "/"
	}
	user := st.image.Config.User
	key := hashKey(append([]string{st.key, "run", wd, user, strings.Join(env.kv, "\x00"), strings.Join(plan.key, "\x00")}, args...)...)
	b.inputs = &StepInputs{Instruction: c.String(), Parent: st.key, Env: env.kv, Workdir: wd}
	var out bytes.Buffer
	b.desc = "mount / from exec " + strings.Join(args, " ")
	err = b.step(ctx, st, name, key, func(f *fsys.FS) error {
		uid, gid := 0, 0
		if user != "" {
			var err error
			if uid, gid, err = lookupUser(f, user); err != nil {
				return err
			}
		}
		rctx, cancel := context.WithTimeout(ctx, RunTimeout)
		defer cancel()
		w := &limitedWriter{w: &out, n: 1 << 20}
		now := b.o.Now()
		r := sh.New(sh.NewImageFS(f, uid, gid, now), sh.Config{
			Env: env.kv, Dir: wd, UID: uid, GID: gid, Stdout: w, Stderr: w,
			Now: func() time.Time { return now }, MaxWrite: RunSizeLimit,
		})
		code, err := b.withMounts(ctx, f, plan.mounts, func() (int, error) { return r.Exec(rctx, execArgs) })
		switch {
		case errors.Is(err, sh.ErrTooBig):
			return fmt.Errorf("RUN wrote more than %.1f MB, the playground's limit", float64(RunSizeLimit)/(1<<20))
		case errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("RUN took longer than %s, the playground's limit", RunTimeout)
		case err != nil:
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
