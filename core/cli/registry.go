package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
)

func isDockerHub(r name.Reference) bool { return r.Context().RegistryStr() == name.DefaultRegistry }

// hubOptions are remoteOptions for the practice hub.
func hubOptions(ctx context.Context, env *Env) ([]registry.Option, error) {
	cfg, err := loadConfig(ctx, env.Store)
	if err != nil {
		return nil, err
	}
	return []registry.Option{registry.WithRemote(env.Hub()...), registry.WithRemote(remote.WithAuthFromKeychain(cfg.Keychain()))}, nil
}

// The client config (Docker's ~/.docker/config.json) lives in the store as this record.
const (
	configKind = "config"
	configKey  = "config.json"
)

func loadConfig(ctx context.Context, s store.Store) (*registry.Config, error) {
	b, err := s.Record(ctx, configKind, configKey)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("reading the client config: %w", err)
	}
	return registry.ParseConfig(b)
}

func saveConfig(ctx context.Context, s store.Store, c *registry.Config) error {
	b, err := c.Marshal()
	if err != nil {
		return err
	}
	if err := s.PutRecord(ctx, configKind, configKey, b); err != nil {
		return fmt.Errorf("writing the client config: %w", err)
	}
	return nil
}

// remoteOptions are the options for talking to r's registry: the transport and the stored
// credentials.
func remoteOptions(ctx context.Context, env *Env) ([]registry.Option, error) {
	cfg, err := loadConfig(ctx, env.Store)
	if err != nil {
		return nil, err
	}
	return []registry.Option{transportOption(env), registry.WithRemote(remote.WithAuthFromKeychain(cfg.Keychain()))}, nil
}

// transportOption is env.Remote as a registry.Option, without credentials.
func transportOption(env *Env) registry.Option {
	var ro []remote.Option
	if env.Remote != nil {
		ro = append(ro, env.Remote()...)
	}
	return registry.WithRemote(ro...)
}

// registryError is how the engine words a registry's refusal.
func registryError(r name.Reference, familiar string, err error) error {
	var nf *registry.NotFoundError
	if errors.As(err, &nf) {
		return daemonError{notFound{fmt.Sprintf("manifest for %s not found: %s", familiar, nf.Detail), nf}}
	}
	var ue *registry.UnauthorizedError
	if errors.As(err, &ue) && ue.Token {
		// the engine's wording for a token registry's refusal (a private or missing repository)
		return daemonErr("pull access denied for %s, repository does not exist or may require 'docker login': %s", ref.FamiliarName(r), ue.Detail)
	}
	if errors.As(err, &ue) {
		u := fmt.Sprintf("%s://%s/v2/%s/manifests/%s", r.Context().Scheme(), r.Context().RegistryStr(), r.Context().RepositoryStr(), r.Identifier())
		return daemonErr("Head %q: no basic auth credentials", u)
	}
	if ue := lastURLError(err); ue != nil {
		// go-containerregistry tries https, then http, for a loopback registry; docker
		// reports the http attempt of an insecure registry
		return daemonError{ue}
	}
	return daemonError{err}
}

// notFound words a registry's 404 as docker does and keeps it for errors.As (a build's
// pull of a missing base tells a missing image from other failures).
type notFound struct {
	msg string
	nf  *registry.NotFoundError
}

func (e notFound) Error() string { return e.msg }
func (e notFound) Unwrap() error { return e.nf }

// lastURLError is the last *url.Error in err's tree.
func lastURLError(err error) *url.Error {
	var found *url.Error
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if ue, ok := e.(*url.Error); ok {
			found = ue
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		default:
			// go-containerregistry's ping joins its attempts in an unexported []error
			if v := reflect.ValueOf(e); v.Kind() == reflect.Slice {
				for i := 0; i < v.Len(); i++ {
					if x, ok := v.Index(i).Interface().(error); ok {
						walk(x)
					}
				}
			}
		}
	}
	walk(err)
	return found
}

func init() {
	for _, s := range registrySpecs() {
		Register(s.command())
	}
}

func registrySpecs() []*spec {
	pull := func(reg, path string) *spec {
		return &spec{
			reg: reg, path: path,
			use:     "pull [OPTIONS] NAME[:TAG|@DIGEST]",
			short:   "Download an image from a registry",
			aliases: "docker image pull, docker pull",
			args:    exactArgs(1),
			flags:   pullFlags,
			run:     runPull,
		}
	}
	push := func(reg, path string) *spec {
		return &spec{
			reg: reg, path: path,
			use:     "push [OPTIONS] NAME[:TAG]",
			short:   "Upload an image to a registry",
			aliases: "docker image push, docker push",
			args:    exactArgs(1),
			flags:   pushFlags,
			run:     runPush,
		}
	}
	login := &spec{
		reg: "login", path: "login",
		use:   "login [OPTIONS] [SERVER]",
		short: "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
		args:  maxArgs(1),
		flags: loginFlags,
		run:   runLogin,
	}
	logout := &spec{
		reg: "logout", path: "logout",
		use:   "logout [SERVER]",
		short: "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
		args:  maxArgs(1),
		run:   runLogout,
	}
	return []*spec{login, logout, pull("pull", "pull"), pull("image pull", "image pull"), push("push", "push"), push("image push", "image push")}
}
