package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/proxy"
	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestServeProxiesDockerHubToMirror runs `layerlab serve --mirror docker.io=...` and pulls
// a docker.io name through its /proxy/ from a local docker-registry.
func TestServeProxiesDockerHubToMirror(t *testing.T) {
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	img := testimage.PullTest()
	r, _ := name.ParseReference(reg.Host + "/library/pulltest:latest")
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	data := t.TempDir() // made before the cleanup below is registered, so removed after serve stopped
	var mu sync.Mutex
	var errb strings.Builder
	stderr := lockedWriter{&mu, &errb}
	go func() {
		done <- serve(ctx, []string{"--addr", "127.0.0.1:0", "--mirror", "docker.io=http://" + reg.Host, "--data", data}, pw, stderr)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr)
		if code := <-done; code != 0 {
			mu.Lock()
			t.Errorf("serve exited %d: %s", code, errb.String())
			mu.Unlock()
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading serve's first line: %v", err)
	}
	site := strings.TrimSpace(line[strings.Index(line, "http://"):])
	base, _ := url.Parse(strings.TrimSuffix(site, "/"))

	s := store.NewMemory()
	ref, _ := ref.Parse("pulltest")
	res, err := registry.Pull(ctx, s, ref, nil, registry.WithRemote(remote.WithTransport(&proxy.Transport{Base: base})))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := img.Digest(); res.Digest != want {
		t.Errorf("got %s; want %s", res.Digest, want)
	}
	// A ".." path gets the proxy's refusal, not a ServeMux redirect.
	req, _ := http.NewRequest("GET", base.String()+"/", nil)
	req.URL.Opaque = "/proxy/index.docker.io/v2/../../etc/passwd"
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "dot segments") {
		t.Errorf("got %d %q; want 400 and a refusal naming dot segments", resp.StatusCode, b)
	}
}

func TestServeRefusesBadProxyFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "creds")
	if err := os.WriteFile(bad, []byte("just-a-secret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"credentials without user", []string{"--upstream-auth", "docker.io=" + bad}, "must hold USER:PASSWORD on its first line"},
		{"missing credentials file", []string{"--upstream-auth", "docker.io=" + filepath.Join(dir, "nope")}, "reading the credentials"},
		{"no file", []string{"--upstream-auth", "docker.io"}, "want UPSTREAM=FILE"},
		{"bad cache size", []string{"--cache", dir, "--cache-size", "lots"}, `--cache-size "lots": want a size like 10GB`},
		{"push to an unknown upstream", []string{"--allow-push", "example.com"}, "not an allowlisted registry"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			code := serve(context.Background(), append([]string{"--addr", "127.0.0.1:0", "--data", dir}, tc.args...), io.Discard, &errb)
			if code != 125 || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("got exit %d, stderr %q; want 125 and %q", code, errb.String(), tc.want)
			}
			if strings.Contains(errb.String(), "just-a-secret-token") {
				t.Errorf("stderr quotes the credentials file: %q", errb.String())
			}
		})
	}
}
