package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/proxy/client"
	"github.com/layerlab/layerlab/core/store/layout"
)

const usage = `Usage:  layerlab [--store DIR] COMMAND [ARG...]
        layerlab serve [--addr HOST:PORT]

Runs docker image commands (images, history, image inspect, tag, rmi, save, load, ...)
against an image store on disk, or serves the browser playground.

Options:
      --store DIR   the store directory, an OCI image layout
                    (default $LAYERLAB_HOME, else ~/.layerlab)

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
	storeDir, args, err := globalFlags(args)
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
		HubAPI: func() *client.HubAPI { return &client.HubAPI{Base: hubURL(os.Getenv)} },
	}
	return cli.Run(ctx, env, args)
}

// globalFlags takes layerlab's own flags (only --store) off the front of args. Everything
// from the first other word on is the command and belongs to it.
func globalFlags(args []string) (storeDir string, rest []string, err error) {
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--store" || a == "-store":
			if len(args) < 2 || args[1] == "" {
				return "", nil, errors.New("flag needs an argument: --store")
			}
			storeDir, args = args[1], args[2:]
		case strings.HasPrefix(a, "--store="):
			storeDir, args = strings.TrimPrefix(a, "--store="), args[1:]
			if storeDir == "" {
				return "", nil, errors.New("flag needs an argument: --store")
			}
		default:
			return storeDir, args, nil
		}
	}
	return storeDir, args, nil
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
