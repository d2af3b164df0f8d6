package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
)

func pushFlags(fs *pflag.FlagSet) {
	fs.BoolP("all-tags", "a", false, "Push all tags of an image to the repository")
	fs.Bool("disable-content-trust", true, "Skip image signing")
	fs.BoolP("quiet", "q", false, "Suppress verbose output")
}

// runPush is `docker push`, printing what docker prints when its output is not a terminal.
func runPush(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	quiet, _ := fs.GetBool("quiet")
	if all, _ := fs.GetBool("all-tags"); all {
		return statusError{StatusCode: 1, Status: "docker: 'docker push --all-tags' is not available in layerlab yet"}
	}
	named, err := ref.ParseNamed(args[0])
	if err != nil {
		return err
	}
	if _, ok := named.(reference.Digested); ok {
		return fmt.Errorf("cannot push a digest reference")
	}
	out := env.Stdout
	if quiet {
		out = io.Discard
	}
	if reference.IsNameOnly(named) {
		fmt.Fprintln(out, "Using default tag: latest")
	}
	r, err := ref.Parse(args[0])
	if err != nil {
		return err
	}
	t, ok := r.(name.Tag)
	if !ok {
		return fmt.Errorf("cannot push %s: not a tag", args[0])
	}
	if isDockerHub(r) && env.Hub != nil {
		fmt.Fprintln(env.Stderr, "layerlab: docker.io pushes go to the practice hub of layerlab serve, not to Docker Hub")
	}
	fmt.Fprintf(out, "The push refers to repository [%s]\n", ref.Repository(r))
	es, err := env.Store.Index(ctx)
	if err != nil {
		return err
	}
	full := ref.String(r)
	found := false
	for _, e := range es {
		if e.Name != full {
			continue
		}
		found = true
		opts, err := remoteOptions(ctx, env)
		if isDockerHub(r) && env.Hub != nil {
			opts, err = hubOptions(ctx, env)
		}
		if err != nil {
			return err
		}
		opts = append(opts, registry.WithProgress(func(e registry.Event) { printPushEvent(out, e) }))
		res, err := registry.Push(ctx, env.Store, t, e.Descriptor, opts...)
		if err != nil {
			// docker prints a push's registry refusal as the registry worded it
			var ue *registry.UnauthorizedError
			if errors.As(err, &ue) && strings.HasPrefix(ue.Detail, "denied:") {
				return errors.New(ue.Detail)
			}
			return registryError(r, ref.Familiar(r), err)
		}
		fmt.Fprintf(out, "%s: digest: %s size: %d\n", t.TagStr(), res.Digest, res.Size)
		if quiet {
			fmt.Fprintln(env.Stdout, full)
		}
		return nil
	}
	if !found {
		return fmt.Errorf("An image does not exist locally with the tag: %s", ref.FamiliarName(r))
	}
	return nil
}

var pushStatus = map[registry.Phase]string{
	registry.PhasePreparing:          "Preparing",
	registry.PhaseWaiting:            "Waiting",
	registry.PhasePushed:             "Pushed",
	registry.PhaseLayerAlreadyExists: "Layer already exists",
}

func printPushEvent(w io.Writer, e registry.Event) {
	if e.Phase == registry.PhaseMounted {
		fmt.Fprintf(w, "%s: Mounted from %s\n", shortID(e.Layer), e.From)
		return
	}
	if s, ok := pushStatus[e.Phase]; ok {
		fmt.Fprintf(w, "%s: %s\n", shortID(e.Layer), s)
	}
}
