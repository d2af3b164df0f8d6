package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
)

func pullFlags(fs *pflag.FlagSet) {
	fs.BoolP("all-tags", "a", false, "Download all tagged images in the repository")
	fs.Bool("disable-content-trust", true, "Skip image verification")
	fs.String("platform", "", "Set platform if server is multi-platform\ncapable")
	fs.BoolP("quiet", "q", false, "Suppress verbose output")
}

// runPull is `docker pull`, printing what docker prints when its output is not a terminal.
func runPull(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	quiet, _ := fs.GetBool("quiet")
	if all, _ := fs.GetBool("all-tags"); all {
		return statusError{StatusCode: 1, Status: "docker: 'docker pull --all-tags' is not available in layerlab yet"}
	}
	named, err := ref.ParseNamed(args[0])
	if err != nil {
		return err
	}
	r, err := ref.Parse(args[0])
	if err != nil {
		return err
	}
	out := env.Stdout
	if quiet {
		out = io.Discard
	}
	if reference.IsNameOnly(named) {
		fmt.Fprintln(out, "Using default tag: latest")
	}
	var extra []registry.Option
	if p, _ := fs.GetString("platform"); p != "" {
		pl, err := v1.ParsePlatform(p)
		if err != nil {
			return fmt.Errorf("invalid platform %q: %w", p, err)
		}
		extra = append(extra, registry.WithPlatform(*pl))
	}
	extra = append(extra, registry.WithProgress(func(e registry.Event) { printPullEvent(out, e) }))
	opts, err := remoteOptions(ctx, env)
	if err != nil {
		return err
	}
	opts = append(opts, extra...)
	tagOrDigest := ref.String(r)
	if t, ok := r.(name.Tag); ok {
		tagOrDigest = t.TagStr()
	}
	familiar := ref.Familiar(r)
	found := func(v1.Hash) {
		fmt.Fprintf(out, "%s: Pulling from %s\n", tagOrDigest, r.Context().RepositoryStr())
	}
	var res *registry.PullResult
	var nf *registry.NotFoundError
	if isDockerHub(r) && env.Hub != nil {
		// the practice hub first: what learners pushed there is what they pull
		hopts, err := hubOptions(ctx, env)
		if err != nil {
			return err
		}
		hopts = append(hopts, extra...)
		res, err = registry.Pull(ctx, env.Store, r, found, hopts...)
		if err != nil && !errors.As(err, &nf) {
			return registryError(r, familiar, err)
		}
	}
	if res == nil {
		res, err = registry.Pull(ctx, env.Store, r, found, opts...)
	}
	if err != nil {
		// docker prints errors from the pull's progress stream as they are
		var nm *registry.NoMatchError
		if errors.As(err, &nm) {
			return errors.New(nm.Error())
		}
		return registryError(r, familiar, err)
	}
	fmt.Fprintf(out, "Digest: %s\n", res.Digest)
	if res.Updated {
		fmt.Fprintf(out, "Status: Downloaded newer image for %s\n", familiar)
	} else {
		fmt.Fprintf(out, "Status: Image is up to date for %s\n", familiar)
	}
	fmt.Fprintln(env.Stdout, ref.String(r))
	return nil
}

// pullStatus is the engine's message for each phase; phases with a progress bar print
// nothing when the output is not a terminal.
var pullStatus = map[registry.Phase]string{
	registry.PhaseAlreadyExists:     "Already exists",
	registry.PhasePullingFSLayer:    "Pulling fs layer",
	registry.PhaseWaiting:           "Waiting",
	registry.PhaseVerifyingChecksum: "Verifying Checksum",
	registry.PhaseDownloadComplete:  "Download complete",
	registry.PhasePullComplete:      "Pull complete",
}

func printPullEvent(w io.Writer, e registry.Event) {
	if s, ok := pullStatus[e.Phase]; ok {
		fmt.Fprintf(w, "%s: %s\n", shortID(e.Layer), s)
	}
}

func shortID(h v1.Hash) string {
	if len(h.Hex) > 12 {
		return h.Hex[:12]
	}
	return h.Hex
}
