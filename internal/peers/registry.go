package peers

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Registry is a running Debian docker-registry (CNCF distribution 2.8).
type Registry struct {
	// Host is its host:port on 127.0.0.1 (plain http).
	Host string
	// Dir holds its storage.
	Dir string
}

// RegistryOptions configure StartRegistry.
type RegistryOptions struct {
	// Users, if set, turns on htpasswd auth with these user -> password pairs (bcrypt
	// hashed with apache2-utils' htpasswd).
	Users map[string]string
	// Headers are extra response headers (distribution's http.headers), e.g. CORS.
	Headers map[string]string
}

// StartRegistry starts docker-registry on a free 127.0.0.1 port with storage in a temporary
// directory; it is stopped when the test ends. It fails the test if docker-registry is not
// installed (apt-get install -y docker-registry) or does not answer within 10 s.
func StartRegistry(t testing.TB, o RegistryOptions) *Registry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Fatalf("starting docker-registry: %v (apt-get install -y docker-registry)", err)
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("starting docker-registry: %v", err)
	}
	host := ln.Addr().String()
	ln.Close()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s/data}, delete: {enabled: true}}\n", dir)
	fmt.Fprintf(&cfg, "http:\n  addr: %s\n", host)
	if len(o.Headers) > 0 {
		cfg.WriteString("  headers:\n")
		for k, v := range o.Headers {
			fmt.Fprintf(&cfg, "    %s: [%q]\n", k, v)
		}
	}
	if len(o.Users) > 0 {
		var lines []string
		for u, p := range o.Users {
			lines = append(lines, strings.TrimSpace(Run(t, "htpasswd", "-Bbn", u, p)))
		}
		hp := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(hp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatalf("starting docker-registry: %v", err)
		}
		fmt.Fprintf(&cfg, "auth: {htpasswd: {realm: layerlab, path: %s}}\n", hp)
	}
	cp := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cp, []byte(cfg.String()), 0o644); err != nil {
		t.Fatalf("starting docker-registry: %v", err)
	}
	cmd := exec.Command(bin, "serve", cp)
	ready := func() bool {
		resp, err := http.Get("http://" + host + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}
	startDaemon(t, "docker-registry", cmd, filepath.Join(dir, "registry.log"), 10*time.Second, ready, nil)
	return &Registry{Host: host, Dir: dir}
}
