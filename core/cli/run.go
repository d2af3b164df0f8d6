package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
)

// statusError is docker's cli.StatusError: Status goes to stderr, StatusCode is the exit code.
type statusError struct {
	Status     string
	StatusCode int
}

func (e statusError) Error() string { return e.Status }

// daemonError is what the engine refused: docker prints "Error response from daemon: ".
type daemonError struct{ err error }

func (e daemonError) Error() string { return "Error response from daemon: " + e.err.Error() }
func (e daemonError) Unwrap() error { return e.err }

func daemonErr(format string, a ...any) error { return daemonError{fmt.Errorf(format, a...)} }

var (
	mu       sync.RWMutex
	commands = map[string]Command{}
)

// Register adds c to the commands Run knows; a later registration of the same name replaces
// the earlier one.
func Register(c Command) {
	mu.Lock()
	defer mu.Unlock()
	commands[c.Name] = c
}

func lookup(name string) (Command, bool) {
	mu.RLock()
	defer mu.RUnlock()
	c, ok := commands[name]
	return c, ok
}

// group is a management command (`docker image`, `docker system`): its help lists docker's
// subcommands, whether or not layerlab has them yet.
type group struct {
	name, short string
	subs        [][2]string // name, short, as docker lists them
}

var groups = map[string]group{
	"image": {"image", "Manage images", [][2]string{
		{"build", "Build an image from a Dockerfile"},
		{"history", "Show the history of an image"},
		{"import", "Import the contents from a tarball to create a filesystem image"},
		{"inspect", "Display detailed information on one or more images"},
		{"load", "Load an image from a tar archive or STDIN"},
		{"ls", "List images"},
		{"prune", "Remove unused images"},
		{"pull", "Download an image from a registry"},
		{"push", "Upload an image to a registry"},
		{"rm", "Remove one or more images"},
		{"save", "Save one or more images to a tar archive (streamed to STDOUT by default)"},
		{"tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
	}},
	// docker 28.2's `docker builder --help`, recorded on this machine
	"builder": {"builder", "Manage builds", [][2]string{
		{"build", "Build an image from a Dockerfile"},
		{"prune", "Remove build cache"},
	}},
	// the buildx plugin is not installed here, so this group's help is not recorded; only
	// `docker buildx build` is offered
	"buildx": {"buildx", "Docker Buildx", [][2]string{
		{"build", "Start a build"},
	}},
	"system": {"system", "Manage Docker", [][2]string{
		{"df", "Show docker disk usage"},
		{"events", "Get real time events from the server"},
		{"info", "Display system-wide information"},
		{"prune", "Remove unused data"},
	}},
}

func (g group) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:  docker %s COMMAND\n\n%s\n\nCommands:\n", g.name, g.short)
	pad := 11 // cobra's minimum name padding
	for _, s := range g.subs {
		if len(s[0]) > pad {
			pad = len(s[0])
		}
	}
	for _, s := range g.subs {
		fmt.Fprintf(&b, "  %-*s %s\n", pad, s[0], s[1])
	}
	fmt.Fprintf(&b, "\nRun 'docker %s COMMAND --help' for more information on a command.\n", g.name)
	return b.String()
}

// Run runs one docker command line (args: what follows `docker`) and returns its exit code.
func Run(ctx context.Context, env *Env, args []string) int {
	registerBuiltins()
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		rest, err := parseRootFlags(args)
		if err != nil {
			return report(env, statusError{StatusCode: 125, Status: fmt.Sprintf(
				"%s\n\nUsage:  docker [OPTIONS] COMMAND [ARG...]\n\nRun 'docker --help' for more information", err)})
		}
		args = rest
	}
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "docker: 'docker' requires a command\n\nRun 'docker --help' for more information")
		return 1
	}
	name := args[0]
	rest := args[1:]
	if g, ok := groups[name]; ok {
		if len(rest) == 0 {
			// docker prints a management command's usage to stderr when it is run bare
			io.WriteString(env.Stderr, g.help())
			return 0
		}
		if rest[0] == "--help" || rest[0] == "-h" {
			if rest[0] == "-h" {
				io.WriteString(env.Stdout, "Flag shorthand -h has been deprecated, use --help\n")
			}
			io.WriteString(env.Stdout, g.help())
			return 0
		}
		if strings.HasPrefix(rest[0], "-") {
			return report(env, statusError{StatusCode: 125, Status: fmt.Sprintf(
				"unknown flag: %s\n\nUsage:  docker %s COMMAND\n\nRun 'docker %s --help' for more information", rest[0], name, name)})
		}
		sub := name + " " + rest[0]
		if c, ok := lookup(sub); ok {
			return c.Run(ctx, env, rest[1:])
		}
		known := false
		for _, s := range g.subs {
			known = known || s[0] == rest[0]
		}
		if known {
			fmt.Fprintf(env.Stderr, "docker: 'docker %s' is not available in layerlab yet\n", sub)
			return 1
		}
		fmt.Fprintf(env.Stderr, "docker: unknown command: docker %s\n\nUsage:  docker %s\n\nRun 'docker %s --help' for more information\n", sub, name, name)
		return 1
	}
	if c, ok := lookup(name); ok {
		return c.Run(ctx, env, rest)
	}
	fmt.Fprintf(env.Stderr, "docker: unknown command: docker %s\n\nRun 'docker --help' for more information\n", name)
	return 1
}

// report prints err as docker's main does and returns the exit code.
func report(env *Env, err error) int {
	if err == nil {
		return 0
	}
	var se statusError
	if errors.As(err, &se) {
		if se.Status != "" {
			fmt.Fprintln(env.Stderr, se.Status)
		}
		if se.StatusCode == 0 {
			return 1
		}
		return se.StatusCode
	}
	fmt.Fprintln(env.Stderr, err)
	return 1
}

// argsRule checks the positional arguments as docker's cli.ExactArgs & co. do.
type argsRule struct {
	min, max int // max < 0: no limit
}

func exactArgs(n int) argsRule { return argsRule{n, n} }
func minArgs(n int) argsRule   { return argsRule{n, -1} }
func maxArgs(n int) argsRule   { return argsRule{0, n} }
func noArgs() argsRule         { return argsRule{0, 0} }
func pluralize(w string, n int) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// spec describes one docker command the way docker's cobra definition does.
type spec struct {
	reg     string // the name it is registered under: "image list"
	path    string // the command path docker shows for it: "image ls"
	use     string // "ls [OPTIONS] [REPOSITORY[:TAG]]"
	short   string
	aliases string // "docker image ls, docker image list, docker images"
	args    argsRule
	// noInterspersed stops flag parsing at the first argument (docker tag).
	noInterspersed bool
	flags          func(fs *pflag.FlagSet)
	run            func(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error
}

func (s *spec) commandPath() string { return "docker " + s.path }

func (s *spec) useLine() string {
	parent := "docker"
	if i := strings.LastIndex(s.path, " "); i >= 0 {
		parent = "docker " + s.path[:i]
	}
	return parent + " " + s.use
}

func (s *spec) flagSet() *pflag.FlagSet {
	return s.flagSetTo(io.Discard)
}

// flagSetTo builds the command's flags; pflag's messages (a deprecated shorthand) go to w.
func (s *spec) flagSetTo(w io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(s.commandPath(), pflag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {}
	fs.SortFlags = true
	if s.flags != nil {
		s.flags(fs)
	}
	fs.BoolP("help", "h", false, "Print usage")
	fs.Lookup("help").Hidden = true
	fs.MarkShorthandDeprecated("help", "use --help")
	fs.SetInterspersed(!s.noInterspersed)
	return fs
}

// help renders docker's usage template for a leaf command.
func (s *spec) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:  %s\n\n%s\n", s.useLine(), s.short)
	if s.aliases != "" {
		fmt.Fprintf(&b, "\nAliases:\n  %s\n", s.aliases)
	}
	fs := s.flagSet()
	if hasVisible(fs) {
		fmt.Fprintf(&b, "\nOptions:\n%s\n", strings.TrimRight(fs.FlagUsagesWrapped(79), " \t\n"))
	}
	return b.String()
}

func hasVisible(fs *pflag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			n++
		}
	})
	return n > 0
}

func (s *spec) command() Command {
	return Command{Name: s.reg, Run: func(ctx context.Context, env *Env, args []string) int {
		return report(env, s.exec(ctx, env, args))
	}}
}

func (s *spec) exec(ctx context.Context, env *Env, args []string) error {
	var msgs bytes.Buffer
	fs := s.flagSetTo(&msgs)
	err := fs.Parse(args)
	// docker shows pflag's deprecation notices on stdout; its errors are reported below
	for _, line := range strings.SplitAfter(msgs.String(), "\n") {
		if strings.HasPrefix(line, "Flag shorthand ") {
			io.WriteString(env.Stdout, line)
		}
	}
	if err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			io.WriteString(env.Stdout, s.help())
			return nil
		}
		return statusError{StatusCode: 125, Status: fmt.Sprintf("%s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			err, s.useLine(), s.commandPath())}
	}
	if h, _ := fs.GetBool("help"); h {
		io.WriteString(env.Stdout, s.help())
		return nil
	}
	pos := fs.Args()
	if err := s.checkArgs(pos); err != nil {
		return err
	}
	return s.run(ctx, env, fs, pos)
}

func (s *spec) checkArgs(pos []string) error {
	r := s.args
	n := len(pos)
	switch {
	case r.max == 0 && n > 0:
		return fmt.Errorf("docker: '%s' accepts no arguments\n\nUsage:  %s\n\nRun '%[1]s --help' for more information",
			s.commandPath(), s.useLine())
	case r.min == r.max && n != r.min:
		return fmt.Errorf("docker: '%s' requires %d %s\n\nUsage:  %s\n\nRun '%[1]s --help' for more information",
			s.commandPath(), r.min, pluralize("argument", r.min), s.useLine())
	case n < r.min:
		return fmt.Errorf("docker: '%s' requires at least %d %s\n\nUsage:  %s\n\nSee '%[1]s --help' for more information",
			s.commandPath(), r.min, pluralize("argument", r.min), s.useLine())
	case r.max > 0 && n > r.max:
		// docker's own typo ("SRun") is part of the message
		return fmt.Errorf("docker: '%s' requires at most %d %s\n\nUsage:  %s\n\nSRun '%[1]s --help' for more information",
			s.commandPath(), r.max, pluralize("argument", r.max), s.useLine())
	}
	return nil
}

var registerOnce sync.Once

// registerBuiltins registers the image commands under all of docker's names.
func registerBuiltins() {
	registerOnce.Do(func() {
		for _, s := range builtinSpecs() {
			if _, ok := lookup(s.reg); !ok {
				Register(s.command())
			}
		}
	})
}

func (e *Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// parseRootFlags reads docker's global options (which layerlab accepts and ignores: it has no
// daemon to reach, contexts or TLS) and returns the command line after them.
func parseRootFlags(args []string) ([]string, error) {
	fs := pflag.NewFlagSet("docker", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SetInterspersed(false)
	fs.String("config", "", "Location of client config files")
	fs.StringP("context", "c", "", "Name of the context to use to connect to the daemon")
	fs.BoolP("debug", "D", false, "Enable debug mode")
	fs.StringSliceP("host", "H", nil, "Daemon socket to connect to")
	fs.StringP("log-level", "l", "info", "Set the logging level")
	fs.Bool("tls", false, "Use TLS; implied by --tlsverify")
	fs.String("tlscacert", "", "Trust certs signed only by this CA")
	fs.String("tlscert", "", "Path to TLS certificate file")
	fs.String("tlskey", "", "Path to TLS key file")
	fs.Bool("tlsverify", false, "Use TLS and verify the remote")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}
