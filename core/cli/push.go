package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
)

func pushFlags(fs *pflag.FlagSet) {
	fs.BoolP("all-tags", "a", false, "Push all tags of an image to the repository")
	fs.Bool("disable-content-trust", true, "Skip image signing")
	fs.BoolP("quiet", "q", false, "Suppress verbose output")
}

// hubPushNote is the line layerlab prints before docker's own output when a docker.io name
// goes to the practice hub.
const hubPushNote = "layerlab: docker.io pushes go to the practice hub of layerlab serve, not to Docker Hub"

// runPush is `docker push`: the engine's progress stream as the docker CLI shows it, redrawn
// in place on a terminal (Env.TTY).
func runPush(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	quiet, _ := fs.GetBool("quiet")
	all, _ := fs.GetBool("all-tags")
	named, err := ref.ParseNamed(args[0])
	if err != nil {
		return err
	}
	if all && !reference.IsNameOnly(named) {
		return errTagWithAll
	}
	if _, ok := named.(reference.Digested); ok {
		return fmt.Errorf("cannot push a digest reference")
	}
	out := env.Stdout
	if quiet {
		out = io.Discard
	}
	if !all && reference.IsNameOnly(named) {
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
	es, err := env.Store.Index(ctx)
	if err != nil {
		return err
	}
	// The tags to push, each with its image: one, or with -a every local tag of the
	// repository in lexical order, as the engine's reference store gives them.
	var tags []name.Tag
	images := map[string]store.Entry{}
	for _, e := range es {
		if e.Name == "" {
			continue
		}
		er, err := ref.Parse(e.Name)
		if err != nil {
			continue
		}
		et, ok := er.(name.Tag)
		if !ok {
			continue
		}
		if (all && ref.Repository(er) == ref.Repository(r)) || (!all && e.Name == ref.String(r)) {
			tags = append(tags, t.Context().Tag(et.TagStr()))
			images[et.TagStr()] = e
		}
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].TagStr() < tags[j].TagStr() })
	if isDockerHub(r) && env.Hub != nil {
		fmt.Fprintln(env.Stderr, hubPushNote)
	}
	msgs := newMessages(out, env)
	msgs.status("", "The push refers to repository ["+ref.Repository(r)+"]")
	if len(tags) == 0 {
		return fmt.Errorf("An image does not exist locally with the tag: %s", ref.FamiliarName(r))
	}
	opts, err := remoteOptions(ctx, env)
	if isDockerHub(r) && env.Hub != nil {
		opts, err = hubOptions(ctx, env)
	}
	if err != nil {
		return err
	}
	opts = append(opts, registry.WithProgress(func(e registry.Event) { pushEvent(msgs, e) }))
	for _, tag := range tags {
		res, err := registry.Push(ctx, env.Store, tag, images[tag.TagStr()].Descriptor, opts...)
		if err != nil {
			// docker prints a push's registry refusal as the registry worded it
			var ue *registry.UnauthorizedError
			if errors.As(err, &ue) && strings.HasPrefix(ue.Detail, "denied:") {
				return errors.New(ue.Detail)
			}
			return registryError(tag, ref.Familiar(tag), err)
		}
		msgs.status("", fmt.Sprintf("%s: digest: %s size: %d", tag.TagStr(), res.Digest, res.Size))
	}
	if quiet {
		if all {
			fmt.Fprintln(env.Stdout, ref.Repository(r))
		} else {
			fmt.Fprintln(env.Stdout, ref.String(r))
		}
	}
	return nil
}

// pushStatus is the engine's message for each phase of a layer's push.
var pushStatus = map[registry.Phase]string{
	registry.PhasePreparing:          "Preparing",
	registry.PhaseWaiting:            "Waiting",
	registry.PhasePushing:            "Pushing",
	registry.PhasePushed:             "Pushed",
	registry.PhaseLayerAlreadyExists: "Layer already exists",
}

func pushEvent(m *messages, e registry.Event) {
	if e.Phase == registry.PhaseMounted {
		m.progress(shortID(e.Layer), "Mounted from "+e.From, 0, 0)
		return
	}
	if s, ok := pushStatus[e.Phase]; ok {
		m.progress(shortID(e.Layer), s, e.Current, e.Total)
	}
}
