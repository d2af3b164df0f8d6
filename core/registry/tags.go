package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Tags lists a repository's tags in the registry's order (the distribution registry's is
// lexical), as pull --all-tags walks them. A repository the registry does not have is a
// *NotFoundError.
func Tags(ctx context.Context, repo name.Repository, opts ...Option) ([]string, error) {
	o := makeOptions(ctx, 1, opts)
	tags, err := remote.List(repo, o.remote...)
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s: %w", repo, wrapRemote(err))
	}
	return tags, nil
}
