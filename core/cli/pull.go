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

// errTagWithAll is docker's refusal of pull -a / push -a with a tag or digest.
var errTagWithAll = errors.New("tag can't be used with --all-tags/-a")

// runPull is `docker pull`: the engine's progress stream as the docker CLI shows it, redrawn
// in place on a terminal (Env.TTY).
func runPull(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	quiet, _ := fs.GetBool("quiet")
	all, _ := fs.GetBool("all-tags")
	named, err := ref.ParseNamed(args[0])
	if err != nil {
		return err
	}
	if all && !reference.IsNameOnly(named) {
		return errTagWithAll
	}
	r, err := ref.Parse(args[0])
	if err != nil {
		return err
	}
	out := env.Stdout
	if quiet {
		out = io.Discard
	}
	if !all && reference.IsNameOnly(named) {
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
	msgs := newMessages(out, env)
	extra = append(extra, registry.WithProgress(func(e registry.Event) { pullEvent(msgs, e) }))
	if !all {
		res, err := pullOne(ctx, env, r, msgs, extra)
		if err != nil {
			return err
		}
		msgs.status("", "Digest: "+res.Digest.String())
		familiar := ref.Familiar(r)
		if res.Updated {
			msgs.status("", "Status: Downloaded newer image for "+familiar)
		} else {
			msgs.status("", "Status: Image is up to date for "+familiar)
		}
		fmt.Fprintln(env.Stdout, ref.String(r))
		return nil
	}

	// All tags: each tag's pull as above without its Status line; one Status line for the
	// repository at the end (Engine 20.10's wording: "image", not "images").
	tags, err := allTags(ctx, env, r.Context())
	if err != nil {
		return registryError(r, ref.FamiliarName(r), err)
	}
	updated := false
	for _, tag := range tags {
		res, err := pullOne(ctx, env, r.Context().Tag(tag), msgs, extra)
		if err != nil {
			return err
		}
		msgs.status("", "Digest: "+res.Digest.String())
		updated = updated || res.Updated
	}
	if updated {
		msgs.status("", "Status: Downloaded newer image for "+ref.FamiliarName(r))
	} else {
		msgs.status("", "Status: Image is up to date for "+ref.FamiliarName(r))
	}
	fmt.Fprintln(env.Stdout, ref.Repository(r))
	return nil
}

// pullOne pulls one tag or digest: a docker.io name from the practice hub when it holds it,
// otherwise from its registry. Errors are worded as docker words them.
func pullOne(ctx context.Context, env *Env, r name.Reference, msgs *messages, extra []registry.Option) (*registry.PullResult, error) {
	tagOrDigest := ref.String(r) // a digest reference is shown whole
	if t, ok := r.(name.Tag); ok {
		tagOrDigest = t.TagStr()
	}
	found := func(v1.Hash) { msgs.status(tagOrDigest, "Pulling from "+r.Context().RepositoryStr()) }
	familiar := ref.Familiar(r)
	var res *registry.PullResult
	var nf *registry.NotFoundError
	if isDockerHub(r) && env.Hub != nil {
		// the practice hub first: what learners pushed there is what they pull
		hopts, err := hubOptions(ctx, env)
		if err != nil {
			return nil, err
		}
		res, err = registry.Pull(ctx, env.Store, r, found, append(hopts, extra...)...)
		if err != nil && !errors.As(err, &nf) {
			return nil, registryError(r, familiar, err)
		}
	}
	if res != nil {
		return res, nil
	}
	opts, err := remoteOptions(ctx, env)
	if err != nil {
		return nil, err
	}
	res, err = registry.Pull(ctx, env.Store, r, found, append(opts, extra...)...)
	if err != nil {
		// docker prints errors from the pull's progress stream as they are
		var nm *registry.NoMatchError
		if errors.As(err, &nm) {
			return nil, errors.New(nm.Error())
		}
		return nil, registryError(r, familiar, err)
	}
	return res, nil
}

// allTags lists a repository's tags, from the practice hub for a docker.io name it holds.
func allTags(ctx context.Context, env *Env, repo name.Repository) ([]string, error) {
	if repo.RegistryStr() == name.DefaultRegistry && env.Hub != nil {
		hopts, err := hubOptions(ctx, env)
		if err != nil {
			return nil, err
		}
		tags, err := registry.Tags(ctx, repo, hopts...)
		var nf *registry.NotFoundError
		if err == nil || !errors.As(err, &nf) {
			return tags, err
		}
	}
	opts, err := remoteOptions(ctx, env)
	if err != nil {
		return nil, err
	}
	return registry.Tags(ctx, repo, opts...)
}

// pullStatus is the engine's message for each phase of a layer's pull.
var pullStatus = map[registry.Phase]string{
	registry.PhaseAlreadyExists:     "Already exists",
	registry.PhasePullingFSLayer:    "Pulling fs layer",
	registry.PhaseWaiting:           "Waiting",
	registry.PhaseDownloading:       "Downloading",
	registry.PhaseVerifyingChecksum: "Verifying Checksum",
	registry.PhaseDownloadComplete:  "Download complete",
	registry.PhaseExtracting:        "Extracting",
	registry.PhasePullComplete:      "Pull complete",
}

func pullEvent(m *messages, e registry.Event) {
	if s, ok := pullStatus[e.Phase]; ok {
		m.progress(shortID(e.Layer), s, e.Current, e.Total)
	}
}

func shortID(h v1.Hash) string {
	if len(h.Hex) > 12 {
		return h.Hex[:12]
	}
	return h.Hex
}
