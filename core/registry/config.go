package registry

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// DockerHubAuthKey is the key Docker's client config uses for Docker Hub credentials.
const DockerHubAuthKey = "https://index.docker.io/v1/"

// Config is Docker's client config file (~/.docker/config.json): the credentials docker
// login stores. Keys other than "auths" are kept as they were.
type Config struct {
	Auths map[string]AuthEntry
	other map[string]json.RawMessage
}

// AuthEntry is one registry's stored credentials.
type AuthEntry struct {
	// Auth is base64("user:password"), as Docker stores it.
	Auth string `json:"auth,omitempty"`
}

// ParseConfig reads a client config; empty input is an empty config.
func ParseConfig(b []byte) (*Config, error) {
	c := &Config{Auths: map[string]AuthEntry{}, other: map[string]json.RawMessage{}}
	if len(bytes.TrimSpace(b)) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(b, &c.other); err != nil {
		return nil, fmt.Errorf("parsing the client config: %w", err)
	}
	if raw, ok := c.other["auths"]; ok {
		if err := json.Unmarshal(raw, &c.Auths); err != nil {
			return nil, fmt.Errorf("parsing the client config's auths: %w", err)
		}
		if c.Auths == nil {
			c.Auths = map[string]AuthEntry{}
		}
	}
	return c, nil
}

// Marshal writes the config as Docker does: tab-indented, no trailing newline.
func (c *Config) Marshal() ([]byte, error) {
	m := map[string]any{}
	for k, v := range c.other {
		m[k] = v
	}
	auths := c.Auths
	if auths == nil {
		auths = map[string]AuthEntry{}
	}
	m["auths"] = auths
	return json.MarshalIndent(m, "", "\t")
}

// AuthKey is the config key for a registry host: Docker Hub's URL, otherwise host[:port].
func AuthKey(registryHost string) string {
	switch registryHost {
	case "", "docker.io", name.DefaultRegistry, "registry-1.docker.io":
		return DockerHubAuthKey
	}
	return registryHost
}

// Set stores user:password for the registry host.
func (c *Config) Set(registryHost, user, password string) {
	if c.Auths == nil {
		c.Auths = map[string]AuthEntry{}
	}
	c.Auths[AuthKey(registryHost)] = AuthEntry{Auth: base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}
}

// Remove forgets the registry's credentials and reports whether there were any.
func (c *Config) Remove(registryHost string) bool {
	k := AuthKey(registryHost)
	_, ok := c.Auths[k]
	delete(c.Auths, k)
	return ok
}

// Lookup returns the stored user and password for a registry host.
func (c *Config) Lookup(registryHost string) (user, password string, ok bool) {
	k := AuthKey(registryHost)
	e, found := c.Auths[k]
	if !found {
		// Docker also finds entries written as URLs.
		for key, v := range c.Auths {
			h := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://"), "/")
			if h == k {
				e, found = v, true
				break
			}
		}
	}
	if !found || e.Auth == "" {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(e.Auth)
	if err != nil {
		return "", "", false
	}
	user, password, ok = strings.Cut(string(b), ":")
	return user, password, ok
}

// Keychain resolves registries to the config's credentials (anonymous when there are none).
func (c *Config) Keychain() authn.Keychain { return keychain{c} }

type keychain struct{ c *Config }

func (k keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	u, p, ok := k.c.Lookup(r.RegistryStr())
	if !ok {
		return authn.Anonymous, nil
	}
	return &authn.Basic{Username: u, Password: p}, nil
}
