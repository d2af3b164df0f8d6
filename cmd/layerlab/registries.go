package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/proxy/client"
)

// defaultHub is where `layerlab serve` listens unless told otherwise.
const defaultHub = "http://127.0.0.1:8080"

// parseHub checks --hub's value: an http(s) URL with a host, or "" for none.
func parseHub(s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("--hub %q: want the URL of a running layerlab serve, like %s (or --hub= for none)", s, defaultHub)
	}
	return u, nil
}

// withHub points the docker commands at a running `layerlab serve`: docker.io names at its
// practice hub (pushes always, pulls when it holds the repository), every other registry
// through its proxy, except loopback registries (127.0.0.1:5000/...), which are reached
// directly as docker reaches them.
func withHub(env *cli.Env, hub *url.URL) {
	if hub == nil {
		return
	}
	env.HubAPI = func() *client.HubAPI { return &client.HubAPI{Base: hub} }
	viaProxy := []remote.Option{remote.WithTransport(directLoopback{proxy: &client.Transport{Base: hub, Next: http.DefaultTransport}})}
	toHub := []remote.Option{remote.WithTransport(&client.HostMap{Hosts: client.DockerHubHosts, Base: hub, Next: http.DefaultTransport})}
	env.Remote = func() []remote.Option { return viaProxy }
	env.Hub = func() []remote.Option { return toHub }
}

// directLoopback sends requests for loopback hosts straight out and the rest to proxy.
type directLoopback struct{ proxy http.RoundTripper }

func (d directLoopback) RoundTrip(r *http.Request) (*http.Response, error) {
	if isLoopback(r.URL.Hostname()) {
		return http.DefaultTransport.RoundTrip(r)
	}
	return d.proxy.RoundTrip(r)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
