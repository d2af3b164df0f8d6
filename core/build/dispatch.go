package build

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

var nonEnvArgs = map[string]bool{"SOURCE_DATE_EPOCH": true}

func (b *builder) stateEnv(st *stageState) *envList { return &envList{kv: st.env} }

// dispatch applies one instruction, as dockerfile2llb's dispatch does.
func (b *builder) dispatch(ctx context.Context, st *stageState, cmd instructions.Command, global *envList) error {
	if _, isArg := cmd.(*instructions.ArgCommand); !isArg {
		if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
			if err := ex.Expand(func(word string) (string, error) {
				w, _, err := b.lex.ProcessWord(word, b.stateEnv(st))
				return w, err
			}); err != nil {
				return err
			}
		}
	}
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansionRaw); ok {
		if err := ex.ExpandRaw(func(word string) (string, error) {
			lex := shell.NewLex('\\')
			lex.SkipProcessQuotes = true
			w, _, err := lex.ProcessWord(word, b.stateEnv(st))
			return w, err
		}); err != nil {
			return err
		}
	}
	img := &st.image
	switch c := cmd.(type) {
	case *instructions.MaintainerCommand:
		img.Author = c.Maintainer
		b.history(st, "MAINTAINER "+c.Maintainer, false)
	case *instructions.EnvCommand:
		msg := "ENV"
		for _, e := range c.Env {
			msg += " " + e.String()
			st.env = setEnv(st.env, e.Key, e.Value)
			img.Config.Env = setEnv(img.Config.Env, e.Key, e.Value)
		}
		b.history(st, msg, false)
	case *instructions.LabelCommand:
		msg := "LABEL"
		if img.Config.Labels == nil {
			img.Config.Labels = map[string]string{}
		}
		for _, v := range c.Labels {
			img.Config.Labels[v.Key] = v.Value
			msg += " " + v.String()
		}
		b.history(st, msg, false)
	case *instructions.ArgCommand:
		return b.dispatchArg(st, c, global)
	case *instructions.WorkdirCommand:
		return b.dispatchWorkdir(ctx, st, c)
	case *instructions.CopyCommand:
		return b.dispatchCopy(ctx, st, c)
	case *instructions.UserCommand:
		img.Config.User = c.User
		b.history(st, "USER "+c.User, false)
	case *instructions.ExposeCommand:
		var ports []string
		for _, p := range c.Ports {
			ws, err := b.lex.ProcessWords(p, b.stateEnv(st))
			if err != nil {
				return err
			}
			for _, w := range ws {
				ps, err := parsePort(w)
				if err != nil {
					return err
				}
				ports = append(ports, ps...)
			}
		}
		if img.Config.ExposedPorts == nil {
			img.Config.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range ports {
			img.Config.ExposedPorts[p] = struct{}{}
		}
		b.history(st, fmt.Sprintf("EXPOSE %v", ports), false)
	case *instructions.VolumeCommand:
		if img.Config.Volumes == nil {
			img.Config.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if v == "" {
				return fmt.Errorf("VOLUME specified can not be an empty string")
			}
			img.Config.Volumes[v] = struct{}{}
		}
		b.history(st, fmt.Sprintf("VOLUME %v", c.Volumes), false)
	case *instructions.CmdCommand:
		args := []string(c.CmdLine)
		if c.PrependShell {
			args = withShell(img, args)
		}
		img.Config.Cmd = args
		img.Config.ArgsEscaped = true //nolint:staticcheck // BuildKit still writes it
		st.cmdSet = true
		b.history(st, fmt.Sprintf("CMD %q", args), false)
	case *instructions.EntrypointCommand:
		args := []string(c.CmdLine)
		if c.PrependShell {
			args = withShell(img, args)
		}
		img.Config.Entrypoint = args
		if !st.cmdSet {
			img.Config.Cmd = nil
		}
		b.history(st, fmt.Sprintf("ENTRYPOINT %q", args), false)
	case *instructions.HealthCheckCommand:
		img.Config.Healthcheck = &dockerspec.HealthcheckConfig{
			Test: c.Health.Test, Interval: c.Health.Interval, Timeout: c.Health.Timeout,
			StartPeriod: c.Health.StartPeriod, StartInterval: c.Health.StartInterval, Retries: c.Health.Retries,
		}
		b.history(st, fmt.Sprintf("HEALTHCHECK %+v", *img.Config.Healthcheck), false)
	case *instructions.StopSignalCommand:
		if !validSignal(c.Signal) {
			return fmt.Errorf("invalid signal: %s", c.Signal)
		}
		img.Config.StopSignal = c.Signal
		b.history(st, "STOPSIGNAL "+c.Signal, false)
	case *instructions.ShellCommand:
		img.Config.Shell = c.Shell
		b.history(st, fmt.Sprintf("SHELL %v", c.Shell), false)
	case *instructions.OnbuildCommand:
		img.Config.OnBuild = append(img.Config.OnBuild, c.Expression)
	case *instructions.RunCommand:
		return b.dispatchRun(ctx, st, c)
	case *instructions.AddCommand:
		return b.dispatchAdd(ctx, st, c)
	default:
		return fmt.Errorf("%s is not supported yet in layerlab", cmd.Name())
	}
	return nil
}

func withShell(img *dockerspec.DockerOCIImage, args []string) []string {
	sh := []string{"/bin/sh", "-c"}
	if len(img.Config.Shell) > 0 {
		sh = append([]string(nil), img.Config.Shell...)
	}
	return append(sh, strings.Join(args, " "))
}

func (b *builder) dispatchArg(st *stageState, c *instructions.ArgCommand, global *envList) error {
	var parts []string
	for _, arg := range c.Args {
		bv, hasValue := b.o.BuildArgs[arg.Key]
		hasDefault := arg.Value != nil
		if !hasDefault && !hasValue {
			if v, ok := global.Get(arg.Key); ok {
				arg.Value = &v
			}
		}
		if hasValue {
			arg.Value = &bv
		} else if hasDefault {
			v, _, err := b.lex.ProcessWord(*arg.Value, b.stateEnv(st))
			if err != nil {
				return err
			}
			arg.Value = &v
		}
		if arg.Value != nil && !nonEnvArgs[arg.Key] {
			st.env = setEnv(st.env, arg.Key, *arg.Value)
		}
		st.buildArgs = append(st.buildArgs, arg)
		s := arg.Key
		if arg.Value != nil {
			s += "=" + *arg.Value
		}
		parts = append(parts, s)
	}
	b.history(st, "ARG "+strings.Join(parts, " "), false)
	return nil
}

// parsePort turns an EXPOSE word into "<port>/<proto>" entries (ranges expanded).
func parsePort(raw string) ([]string, error) {
	p := raw
	if i := strings.LastIndex(p, ":"); i >= 0 {
		p = p[i+1:]
	}
	port, proto, _ := strings.Cut(p, "/")
	if proto == "" {
		proto = "tcp"
	}
	start, end, isRange := strings.Cut(port, "-")
	s, err := strconv.Atoi(start)
	if err != nil || s < 0 || s > 65535 {
		return nil, fmt.Errorf("invalid port: %q: invalid containerPort: %s", raw, port)
	}
	e := s
	if isRange {
		if e, err = strconv.Atoi(end); err != nil || e < s || e > 65535 {
			return nil, fmt.Errorf("invalid port: %q: invalid containerPort: %s", raw, port)
		}
	}
	var out []string
	for i := s; i <= e; i++ {
		out = append(out, strconv.Itoa(i)+"/"+strings.ToLower(proto))
	}
	return out, nil
}

var signals = map[string]bool{"ABRT": true, "ALRM": true, "BUS": true, "CHLD": true, "CLD": true, "CONT": true, "FPE": true, "HUP": true, "ILL": true, "INT": true, "IO": true, "IOT": true, "KILL": true, "PIPE": true, "POLL": true, "PROF": true, "PWR": true, "QUIT": true, "SEGV": true, "STKFLT": true, "STOP": true, "SYS": true, "TERM": true, "TRAP": true, "TSTP": true, "TTIN": true, "TTOU": true, "URG": true, "USR1": true, "USR2": true, "VTALRM": true, "WINCH": true, "XCPU": true, "XFSZ": true}

func validSignal(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n > 0 && n <= 64
	}
	u := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if strings.HasPrefix(u, "RTMIN") || strings.HasPrefix(u, "RTMAX") {
		return true
	}
	return signals[u]
}
