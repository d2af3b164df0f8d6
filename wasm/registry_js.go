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
//
// Size: linking net/http at all (go-containerregistry's remote is built on it) links its
// HTTP/1 client and crypto/tls, even though every request here goes through fetch: net/http's
// own init makes DefaultTransport an *http.Transport, whose RoundTrip (roundtrip_js.go) falls
// back to dialing with TLS when a Dial hook is set. A 10-line program with a custom
// RoundTripper is 1.84 MB brotli against 0.56 MB for fmt alone; no option set from here
// removes that, only a registry client that does not use net/http would.
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
