package build

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// ErrBaseNotFound is what Options.Pull returns for an image its registry does not have.
var ErrBaseNotFound = errors.New("base image not found")

// baseNotFound is a FROM naming an image the store does not hold, worded as BuildKit words
// a base its registry does not have.
type baseNotFound struct{ name, ref string }

func (e *baseNotFound) Error() string {
	return fmt.Sprintf("%s: failed to resolve source metadata for %s: %s: not found", e.name, e.ref, e.ref)
}

// checkBases resolves the needed stages' base images before anything runs, as BuildKit
// loads their metadata while converting the Dockerfile: a missing one fails the build on
// its "[internal] load metadata" vertex with the FROM line.
func (b *builder) checkBases(ctx context.Context, need map[int]bool, target int) error {
	entries, err := b.s.Index(ctx)
	if err != nil {
		return fmt.Errorf("reading the image index: %w", err)
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name] = true
	}
	for i := range b.df.Stages {
		name := b.bases[i]
		if _, isStage := b.stageIndex(name, i); !need[i] || isStage || name == "scratch" {
			continue
		}
		n, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			return &StepError{Line: stageLine(&b.df.Stages[i]), Instruction: "FROM " + name, Err: fmt.Errorf("failed to parse stage name %q: %w", name, err)}
		}
		ref := reference.TagNameOnly(n).String()
		if have[ref] {
			continue
		}
		if b.o.Pull != nil {
			err := b.o.Pull(ctx, ref)
			if err == nil {
				continue
			}
			if !errors.Is(err, ErrBaseNotFound) {
				b.o.Events(Event{Type: StepFailed, Name: "[internal] load metadata for " + ref, Err: err})
				return &StepError{Line: stageLine(&b.df.Stages[i]), Instruction: "FROM " + name,
					Err: fmt.Errorf("%s: failed to resolve source metadata for %s: %w", name, ref, err)}
			}
		}
		nf := &baseNotFound{name: name, ref: ref}
		b.o.Events(Event{Type: StepFailed, Name: "[internal] load metadata for " + ref, Err: fmt.Errorf("%s: not found", ref)})
		return &StepError{Line: stageLine(&b.df.Stages[i]), Instruction: "FROM " + name, Err: nf}
	}
	return nil
}

// checkCycles refuses stages that depend on each other through COPY --from or RUN
// --mount from=, as validateCircularDependency in dockerfile2llb does, naming the stage and
// showing each instruction of the cycle.
func (b *builder) checkCycles() error {
	stages := b.df.Stages
	byName := func(name string) (int, bool) {
		for j, st := range stages {
			if st.Name != "" && strings.EqualFold(st.Name, name) {
				return j, true
			}
		}
		return 0, false
	}
	type dep struct {
		to  int
		cmd instructions.Command
	}
	deps := make([][]dep, len(stages))
	for i, st := range stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.CopyCommand:
				if c.From == "" {
					continue
				}
				if n, err := strconv.Atoi(c.From); err == nil {
					if n >= 0 && n < len(stages) {
						deps[i] = append(deps[i], dep{n, c})
					}
				} else if j, ok := byName(c.From); ok {
					deps[i] = append(deps[i], dep{j, c})
				}
			case *instructions.RunCommand:
				for _, m := range instructions.GetMounts(c) {
					if j, ok := byName(m.From); ok && m.From != "" {
						deps[i] = append(deps[i], dep{j, c})
					}
				}
			}
		}
	}
	visited := map[int]bool{}
	onPath := map[int]bool{}
	var visit func(i int, cur []instructions.Command) []instructions.Command
	visit = func(i int, cur []instructions.Command) []instructions.Command {
		if visited[i] {
			return nil
		}
		visited[i], onPath[i] = true, true
		for _, d := range deps[i] {
			next := append(append([]instructions.Command(nil), cur...), d.cmd)
			if onPath[d.to] {
				return next
			}
			if c := visit(d.to, next); c != nil {
				return c
			}
		}
		delete(onPath, i)
		return nil
	}
	for i := range stages {
		cmds := visit(i, nil)
		if cmds == nil {
			continue
		}
		name := stages[i].Name
		if name == "" {
			name = fmt.Sprintf("stage-%d", i)
		}
		se := &StepError{Err: fmt.Errorf("circular dependency detected on stage: %s", name)}
		// BuildKit wraps the error with each location in turn and prints the last first.
		for k := len(cmds) - 1; k >= 0; k-- {
			start, end := cmdLines(cmds[k])
			if k == len(cmds)-1 {
				se.Line, se.EndLine, se.Instruction = start, end, fmt.Sprint(cmds[k])
				continue
			}
			se.More = append(se.More, [2]int{start, end})
		}
		return se
	}
	return nil
}

// cmdLines is the first and last line of an instruction (a heredoc's ranges cover its
// body); the last is 0 for a one-line instruction.
func cmdLines(c instructions.Command) (int, int) {
	loc := c.Location()
	if len(loc) == 0 {
		return 0, 0
	}
	start, end := loc[0].Start.Line, 0
	for _, r := range loc {
		start = min(start, r.Start.Line)
		end = max(end, r.Start.Line, r.End.Line)
	}
	if end == start {
		end = 0
	}
	return start, end
}

// prevalidate checks, before any step runs, what BuildKit checks while converting the
// Dockerfile: here, the RUN --mount options (a misspelt key fails before the FROM is
// pulled). Mounts whose options use variables are checked when the step runs.
func (b *builder) prevalidate(need map[int]bool) error {
	for i, st := range b.df.Stages {
		if !need[i] {
			continue
		}
		for _, c := range st.Commands {
			if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
				if j, ok := b.stageRef(cp.From); ok && j > i {
					start, end := cmdLines(cp)
					return &StepError{Line: start, EndLine: end, Instruction: cp.String(),
						Err: fmt.Errorf("cannot copy from stage %q, it needs to be defined before current stage %q", cp.From, stageLabel(b.df.Stages, i))}
				}
			}
			rc, ok := c.(*instructions.RunCommand)
			if !ok || len(instructions.GetMounts(rc)) == 0 {
				continue
			}
			for _, m := range instructions.GetMounts(rc) {
				if j, ok := b.stageRef(m.From); ok && m.From != "" && j > i {
					start, end := cmdLines(rc)
					target := m.Target
					if !strings.Contains(rc.String(), "$") {
						// the target is only known after expansion; without variables it is as written
						target = mountTarget(rc.String(), m.From)
					}
					return &StepError{Line: start, EndLine: end, Instruction: rc.String(),
						Err: fmt.Errorf("cannot mount from stage %q to %q, stage needs to be defined before current command", m.From, target)}
				}
			}
			if strings.Contains(rc.String(), "$") {
				continue
			}
			if err := rc.Expand(func(w string) (string, error) { return w, nil }); err != nil {
				start, end := cmdLines(rc)
				return &StepError{Line: start, EndLine: end, Instruction: rc.String(), Err: err}
			}
		}
	}
	return nil
}

var _ error = (*baseNotFound)(nil)

// failStep reports a step that fails while its cache key is computed (a COPY source or a
// bind mount source that is not there): BuildKit shows the step's vertex with the error,
// and the build's error says it was computing the cache key.
func (b *builder) failStep(st *stageState, name string, err error) error {
	ev := Event{Type: StepStarted, Step: st.cmdIndex, Total: st.cmdTotal, Name: name}
	b.o.Events(ev)
	ev.Type, ev.Err = StepFailed, err
	b.o.Events(ev)
	return fmt.Errorf("failed to compute cache key: %w", err)
}

// stageLabel is how dockerfile2llb names a stage in messages: its name, else "stage-N".
func stageLabel(stages []instructions.Stage, i int) string {
	if stages[i].Name != "" {
		return stages[i].Name
	}
	return fmt.Sprintf("stage-%d", i)
}

// mountTarget reads the target of the --mount naming from= in a RUN's text, for a message
// written before the mounts are expanded (which fills Target).
func mountTarget(run, from string) string {
	for _, f := range strings.Fields(run) {
		v, ok := strings.CutPrefix(f, "--mount=")
		if !ok {
			continue
		}
		var target string
		match := false
		for _, kv := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(kv, "=")
			switch strings.ToLower(k) {
			case "target", "dst", "destination":
				target = val
			case "from":
				match = val == from
			}
		}
		if match {
			return target
		}
	}
	return ""
}
