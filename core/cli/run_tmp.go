package cli

// TEMPORARY (helper "web"): a stand-in for helper "cli"'s Run so that cmd/layerlab, wasm/ and
// e2e/ compile and run on the web branch. The lead drops this file when merging the cli branch.
// The two outputs below were recorded from the real docker CLI 28.2 on this machine
// (`docker images` on an empty engine; `docker frob`).

import (
	"context"
	"fmt"
	"strings"
)

// Run runs one docker command line (args = what follows "docker") and returns its exit code.
func Run(ctx context.Context, env *Env, args []string) int {
	if len(args) == 1 && args[0] == "images" {
		fmt.Fprintln(env.Stdout, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE")
		return 0
	}
	fmt.Fprintf(env.Stderr, "docker: unknown command: docker %s\n\nRun 'docker --help' for more information\n", strings.Join(args, " "))
	return 1
}
