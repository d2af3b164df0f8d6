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

// runLogin is `docker login`. Without a username or password it prompts for them when Stdin
// is a terminal (Env.Input), and refuses as docker does from a pipe otherwise.
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
	if (user == "" || password == "") && env.Input == nil {
		return errors.New("Error: Cannot perform an interactive login from a non TTY device")
	}
	server := ""
	if len(args) > 0 {
		server = args[0]
	}
	host := serverHost(server)
	if user == "" || password == "" {
		var err error
		if user, password, err = promptCredentials(env, host, user, password); err != nil {
			return err
		}
	}
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

// registerSuggest is what docker prints before prompting for a Docker Hub username.
const registerSuggest = "Log in with your Docker ID or email address to push and pull images from Docker Hub. " +
	"If you don't have a Docker ID, head over to https://hub.docker.com/ to create one."

// patNote is the note docker 28 prints on a terminal before a Docker Hub password prompt
// (its tui package's PrintNote), as recorded in testdata/registry/login-tty-hub-prompt.tty.
const patNote = "\n\x1b[1m\x1b[106m\x1b[30mi\x1b[0m\x1b[0m \x1b[96mInfo → \x1b[0m\x1b[0m" +
	"\x1b[3mA Personal Access Token (PAT) can be used instead.\x1b[0m\n" +
	"         \x1b[3mTo create a PAT, visit \x1b[4mhttps://app.docker.com/settings\x1b[0m\x1b[0m\n" +
	"         \x1b[3m\x1b[0m\n" +
	"         \x1b[3m\x1b[0m\n"

// promptCredentials asks for what the flags did not give, as docker's
// PromptUserForCredentials does: the prompts on stdout, the password read with the
// terminal's echo off, then a newline (the one the user typed was not echoed).
func promptCredentials(env *Env, host, user, password string) (string, string, error) {
	user = strings.TrimSpace(user)
	if user == "" {
		if host == "index.docker.io" {
			fmt.Fprintln(env.Stdout, registerSuggest)
		}
		fmt.Fprint(env.Stdout, "Username: ")
		line, err := readLine(env.Stdin)
		if err != nil {
			return "", "", fmt.Errorf("reading the username: %w", err)
		}
		if user = strings.TrimSpace(line); user == "" {
			return "", "", errors.New("Error: Non-null Username Required")
		}
	}
	password = strings.TrimSpace(password)
	if password == "" {
		if env.Input.Echo != nil {
			if err := env.Input.Echo(false); err != nil {
				return "", "", fmt.Errorf("turning off the terminal's echo: %w", err)
			}
		}
		if host == "index.docker.io" && env.TTY {
			// docker prints this note in colour on a terminal; elsewhere layerlab leaves it out
			fmt.Fprint(env.Stderr, patNote)
		}
		fmt.Fprint(env.Stdout, "Password: ")
		line, err := readLine(env.Stdin)
		if env.Input.Echo != nil {
			if err := env.Input.Echo(true); err != nil {
				fmt.Fprintln(env.Stderr, "Error: failed to restore terminal state to echo input:", err)
			}
		}
		if err != nil {
			return "", "", fmt.Errorf("reading the password: %w", err)
		}
		fmt.Fprintln(env.Stdout)
		if password = strings.TrimSpace(line); password == "" {
			return "", "", errors.New("Error: Password Required")
		}
	}
	return user, password, nil
}

// readLine reads one line a byte at a time, so nothing typed after it (the password after
// the username) is read while the terminal still echoes. EOF ends the line.
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	var c [1]byte
	for {
		n, err := r.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				return b.String(), nil
			}
			b.WriteByte(c[0])
		}
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
	}
}
