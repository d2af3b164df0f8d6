package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store/layout"
)

const usage = `Usage:  layerlab [--store DIR] [--hub URL] COMMAND [ARG...]
        layerlab serve [--addr HOST:PORT]

Runs docker image commands (images, history, image inspect, tag, rmi, save, load, ...)
against an image store on disk, or serves the browser playground.

Options:
      --store DIR   the store directory, an OCI image layout
                    (default $LAYERLAB_HOME, else ~/.layerlab)
      --hub URL     a running layerlab serve: docker.io names are pushed
                    to its practice hub and pulled from there when it has
                    them, other registries reached through its proxy
                    (default http://127.0.0.1:8080; --hub= for none)

Run 'layerlab COMMAND --help' for a docker command's help.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g, args, err := globalFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "layerlab: %v\n\n%s", err, usage)
		return 125
	}
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, usage)
		return 125
	case args[0] == "-h" || args[0] == "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case args[0] == "serve":
		return serve(ctx, args[1:], stdout, stderr)
	}

	storeDir := g.store
	hub, err := parseHub(g.hub)
	if err != nil {
		fmt.Fprintf(stderr, "layerlab: %v\n", err)
		return 125
	}
	if storeDir == "" {
		storeDir, err = defaultStoreDir(os.Getenv, os.UserHomeDir)
		if err != nil {
			fmt.Fprintf(stderr, "layerlab: %v\n", err)
			return 125
		}
	}
	st, err := layout.Open(storeDir)
	if err != nil {
		fmt.Fprintf(stderr, "layerlab: opening store %s: %v\n", storeDir, err)
		return 125
	}
	env := &cli.Env{
		Store:  st,
		Stdin:  stdin,
		Stdout: stdout,
		Stderr: stderr,
		Files:  osFiles{},
		Now:    time.Now,
		Getenv: os.Getenv,
	}
	withHub(env, hub)
	withTerminal(env, stdin, stdout)
	return cli.Run(ctx, env, args)
}

// globals are layerlab's own flags.
type globals struct {
	store string // --store; "" means the default
	hub   string // --hub; "" means none
}

// globalFlags takes layerlab's own flags (--store, --hub) off the front of args. Everything
// from the first other word on is the command and belongs to it.
func globalFlags(args []string) (g globals, rest []string, err error) {
	g.hub = defaultHub
	for len(args) > 0 {
		a := args[0]
		matched := false
		for _, f := range []struct {
			name    string
			v       *string
			emptyOK bool
		}{{"store", &g.store, false}, {"hub", &g.hub, true}} {
			switch {
			case a == "--"+f.name || a == "-"+f.name:
				if len(args) < 2 || (args[1] == "" && !f.emptyOK) {
					return globals{}, nil, fmt.Errorf("flag needs an argument: --%s", f.name)
				}
				*f.v, args = args[1], args[2:]
			case strings.HasPrefix(a, "--"+f.name+"="):
				*f.v, args = strings.TrimPrefix(a, "--"+f.name+"="), args[1:]
				if *f.v == "" && !f.emptyOK {
					return globals{}, nil, fmt.Errorf("flag needs an argument: --%s", f.name)
				}
			default:
				continue
			}
			matched = true
			break
		}
		if !matched {
			return g, args, nil
		}
	}
	return g, args, nil
}

// defaultStoreDir is $LAYERLAB_HOME, else ~/.layerlab.
func defaultStoreDir(getenv func(string) string, home func() (string, error)) (string, error) {
	if d := getenv("LAYERLAB_HOME"); d != "" {
		return d, nil
	}
	h, err := home()
	if err != nil {
		return "", fmt.Errorf("finding the store directory: set LAYERLAB_HOME or pass --store: %w", err)
	}
	return filepath.Join(h, ".layerlab"), nil
}
