package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/registry"
)

func loginFlags(fs *pflag.FlagSet) {
	fs.StringP("password", "p", "", "Password or Personal Access Token (PAT)")
	fs.Bool("password-stdin", false, "Take the Password or Personal Access Token\n(PAT) from stdin")
	fs.StringP("username", "u", "", "Username")
}

// serverHost turns docker login's SERVER argument into the registry host: scheme and path
// dropped, Docker Hub's names all mean Docker Hub.
func serverHost(server string) string {
	if server == "" {
		return "index.docker.io"
	}
	s := strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return "index.docker.io"
	}
	return s
}

// configPath is where docker would say the client config is.
func configPath(env *Env) string {
	get := func(k string) string {
		if env.Getenv == nil {
			return ""
		}
		return env.Getenv(k)
	}
	if d := get("DOCKER_CONFIG"); d != "" {
		return strings.TrimSuffix(d, "/") + "/config.json"
	}
	home := get("HOME")
	if home == "" {
		home = "/root"
	}
	return strings.TrimSuffix(home, "/") + "/.docker/config.json"
}

const credentialWarning = "\nWARNING! Your credentials are stored unencrypted in '%s'.\n" +
	"Configure a credential helper to remove this warning. See\n" +
	"https://docs.docker.com/go/credential-store/\n\n"

// runLogin is `docker login`. layerlab's terminal is not a TTY to docker: without both a
// username and a password it refuses as docker does from a pipe.
func runLogin(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	user, _ := fs.GetString("username")
	password, _ := fs.GetString("password")
	stdin, _ := fs.GetBool("password-stdin")
	if password != "" {
		if stdin {
			return errors.New("conflicting options: cannot specify both --password and --password-stdin")
		}
		fmt.Fprintln(env.Stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
	}
	if stdin {
		if user == "" {
			return errors.New("the --password-stdin option requires --username to be set")
		}
		b, err := io.ReadAll(env.Stdin)
		if err != nil {
			return fmt.Errorf("reading the password from stdin: %w", err)
		}
		password = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	}
	if user == "" || password == "" {
		return errors.New("Error: Cannot perform an interactive login from a non TTY device")
	}
	server := ""
	if len(args) > 0 {
		server = args[0]
	}
	host := serverHost(server)
	check := transportOption(env)
	if host == "index.docker.io" && env.Hub != nil {
		// Docker Hub logins are practice hub accounts
		check = registry.WithRemote(env.Hub()...)
	}
	if err := registry.CheckLogin(ctx, host, user, password, check); err != nil {
		var ue *registry.UnauthorizedError
		if errors.As(err, &ue) {
			reg, _ := name.NewRegistry(host)
			return daemonErr("login attempt to %s://%s/v2/ failed with status: 401 Unauthorized", reg.Scheme(), host)
		}
		return daemonError{err}
	}
	cfg, err := loadConfig(ctx, env.Store)
	if err != nil {
		return err
	}
	if u, p, ok := cfg.Lookup(host); !ok || u != user || p != password {
		cfg.Set(host, user, password)
		if err := saveConfig(ctx, env.Store, cfg); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, credentialWarning, configPath(env))
	}
	fmt.Fprintln(env.Stdout, "Login Succeeded")
	return nil
}

// runLogout is `docker logout`.
func runLogout(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	server := ""
	if len(args) > 0 {
		server = args[0]
	}
	host := serverHost(server)
	cfg, err := loadConfig(ctx, env.Store)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Removing login credentials for %s\n", registry.AuthKey(host))
	if cfg.Remove(host) {
		return saveConfig(ctx, env.Store, cfg)
	}
	return nil
}
