//go:build js && wasm

package main

import (
	"net/http"
	"net/url"
	"syscall/js"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/proxy/client"
	"github.com/layerlab/layerlab/core/term"
)

// registries points docker pull, push and login at the server the page was loaded from:
// registries through its CORS proxy (/proxy/<host>/...), Docker Hub names for the practice
// hub at its /v2/. Requests go out with http.DefaultTransport, which in the browser is fetch
// (go-containerregistry's own default transport sets DialContext, which wasm cannot dial).
// Without a location (not a page or worker) it sets nothing.
func registries(global js.Value) []term.Option {
	loc := global.Get("location")
	if loc.IsUndefined() || loc.IsNull() {
		return nil
	}
	base, err := url.Parse(loc.Get("origin").String())
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil
	}
	viaProxy := []remote.Option{remote.WithTransport(&client.Transport{Base: base, Next: http.DefaultTransport})}
	toHub := []remote.Option{remote.WithTransport(&client.HostMap{Hosts: client.DockerHubHosts, Base: base, Next: http.DefaultTransport})}
	hubAPI := &client.HubAPI{Base: base, Next: http.DefaultTransport}
	return []term.Option{term.WithRegistries(
		func() []remote.Option { return viaProxy },
		func() []remote.Option { return toHub },
	), term.WithHubAPI(func() *client.HubAPI { return hubAPI })}
}
