// Package playground starts, for tests, what `layerlab serve` offers a client: the CORS proxy,
// with docker.io mirrored to a local registry, and the practice hub, behind one test server.
package playground

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/hub"
	"github.com/layerlab/layerlab/core/proxy"
)

// Playground is the client's side of a started playground.
type Playground struct {
	// Remote reaches registries through the proxy (cli.Env.Remote).
	Remote func() []remote.Option
	// Hub sends Docker Hub names to the practice hub (cli.Env.Hub).
	Hub func() []remote.Option
}

// Start serves /proxy/ (docker.io mirrored to the registry at mirrorHost) and the practice hub
// (everything else) until the test ends.
func Start(t testing.TB, mirrorHost string) Playground {
	t.Helper()
	px, err := proxy.New(proxy.WithMirror("docker.io", "http://"+mirrorHost))
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(t.TempDir(), hub.WithBcryptCost(4))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/proxy/") {
			px.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return Playground{
		Remote: func() []remote.Option {
			return []remote.Option{remote.WithTransport(&proxy.Transport{Base: base})}
		},
		Hub: func() []remote.Option {
			return []remote.Option{remote.WithTransport(&proxy.HostMap{Hosts: proxy.DockerHubHosts, Base: base})}
		},
	}
}
