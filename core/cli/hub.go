package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/proxy/client"
)

// The hub command is layerlab's own, not docker's: what Docker Hub's website does for the
// practice hub of `layerlab serve` (create a repository, public or private; list; change
// visibility). It uses the Docker Hub credentials `docker login` stored in the client config.

const hubUsage = `Usage:  hub COMMAND

Manage repositories on the practice hub (what Docker Hub's website does)

Commands:
  create [--private] USER/NAME   Create a repository (public unless --private)
  ls                             List the repositories you can see
  visibility USER/NAME public|private
                                 Make a repository public or private

Log in first with docker login; a repository pushed to without being created is public.
`

func init() {
	Register(Command{Name: "hub", Run: runHub})
}

func runHub(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		w := env.Stdout
		code := 0
		if len(args) == 0 {
			w, code = env.Stderr, 1
		}
		io.WriteString(w, hubUsage)
		return code
	}
	if env.HubAPI == nil {
		fmt.Fprintln(env.Stderr, "hub: no practice hub here: run layerlab serve and point layerlab at it (--hub URL)")
		return 1
	}
	api := env.HubAPI()
	sub, rest := args[0], args[1:]
	fs := pflag.NewFlagSet("hub "+sub, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	private := false
	if sub == "create" {
		fs.BoolVar(&private, "private", false, "create the repository private")
	}
	if err := fs.Parse(rest); err != nil {
		fmt.Fprintf(env.Stderr, "hub %s: %v\n\n%s", sub, err, hubUsage)
		return 125
	}
	rest = fs.Args()
	user, password, err := hubCredentials(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "hub %s: %v\n", sub, err)
		return 1
	}
	needLogin := func() bool {
		if user == "" {
			fmt.Fprintf(env.Stderr, "hub %s: not logged in: run docker login first\n", sub)
			return true
		}
		return false
	}
	switch sub {
	case "create":
		if len(rest) != 1 {
			fmt.Fprintf(env.Stderr, "hub create: want one USER/NAME, got %d arguments\n\n%s", len(rest), hubUsage)
			return 125
		}
		if needLogin() {
			return 1
		}
		rp, err := api.Create(ctx, user, password, hubName(rest[0]), private)
		if err != nil {
			return hubFail(env, err)
		}
		fmt.Fprintf(env.Stdout, "Created %s repository docker.io/%s\n", visibility(rp.Private), rp.Name)
	case "ls":
		if len(rest) != 0 {
			fmt.Fprintf(env.Stderr, "hub ls: takes no arguments\n\n%s", hubUsage)
			return 125
		}
		list, err := api.Repositories(ctx, user, password)
		if err != nil {
			return hubFail(env, err)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "REPOSITORY\tVISIBILITY\tTAGS")
		for _, r := range list {
			tags := strings.Join(r.Tags, ",")
			if tags == "" {
				tags = "<none>"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, visibility(r.Private), tags)
		}
		tw.Flush()
	case "visibility":
		if len(rest) != 2 || (rest[1] != "public" && rest[1] != "private") {
			fmt.Fprintf(env.Stderr, "hub visibility: want USER/NAME public|private\n\n%s", hubUsage)
			return 125
		}
		if needLogin() {
			return 1
		}
		rp, err := api.SetVisibility(ctx, user, password, hubName(rest[0]), rest[1] == "private")
		if err != nil {
			return hubFail(env, err)
		}
		fmt.Fprintf(env.Stdout, "docker.io/%s is now %s\n", rp.Name, visibility(rp.Private))
	default:
		fmt.Fprintf(env.Stderr, "hub: unknown command %q\n\n%s", sub, hubUsage)
		return 125
	}
	return 0
}

// hubName accepts docker.io/USER/NAME as well as USER/NAME.
func hubName(s string) string {
	for _, p := range []string{"docker.io/", "index.docker.io/"} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

func visibility(private bool) string {
	if private {
		return "private"
	}
	return "public"
}

func hubFail(env *Env, err error) int {
	var he *client.HubError
	if errors.As(err, &he) {
		// the hub's message says what to do; the wrapping adds which command failed
		fmt.Fprintf(env.Stderr, "hub: %s\n", he.Message)
		return 1
	}
	fmt.Fprintf(env.Stderr, "hub: %v\n", err)
	return 1
}

// hubCredentials are the Docker Hub credentials in the client config ("" if none).
func hubCredentials(ctx context.Context, env *Env) (string, string, error) {
	cfg, err := loadConfig(ctx, env.Store)
	if err != nil {
		return "", "", err
	}
	user, password, _ := cfg.Lookup("index.docker.io")
	return user, password, nil
}
