package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// loginProbe is the repository CheckLogin asks about: any name does, the registry must
// authenticate the request before it can say "no such manifest".
const loginProbe = "layerlab/login-check"

// CheckLogin asks the registry at host (host[:port]; Docker Hub as "index.docker.io")
// whether user and password are accepted. A refusal is a *UnauthorizedError.
func CheckLogin(ctx context.Context, host, user, password string, opts ...Option) error {
	o := makeOptions(ctx, 1, opts)
	reg, err := name.NewRegistry(host)
	if err != nil {
		return fmt.Errorf("logging in to %s: %w", host, err)
	}
	t := reg.Repo(loginProbe).Tag("latest")
	ro := append(append([]remote.Option(nil), o.remote...), remote.WithAuth(&authn.Basic{Username: user, Password: password}))
	_, err = remote.Head(t, ro...)
	if err == nil {
		return nil
	}
	err = wrapRemote(err)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	return fmt.Errorf("logging in to %s: %w", host, err)
}
