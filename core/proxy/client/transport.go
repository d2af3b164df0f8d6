package client

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Transport sends each request to the proxy at Base as /proxy/<original host>/<path>: a
// registry client (go-containerregistry's remote) given this transport reaches registries
// and their token realms through `layerlab serve`. WWW-Authenticate answers come back
// unchanged, so the client still asks the real realm (through the proxy again).
type Transport struct {
	// Base is the proxy's URL, e.g. http://127.0.0.1:8080 (the page's own origin in the browser).
	Base *url.URL
	// Next carries the rewritten request; nil means http.DefaultTransport.
	Next http.RoundTripper
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip rewrites the request's URL onto the proxy and sends it.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.Base == nil {
		return nil, fmt.Errorf("proxy transport: no proxy URL")
	}
	if strings.EqualFold(r.URL.Host, t.Base.Host) {
		// already addressed to the proxy (or the practice hub on the same server)
		return t.next().RoundTrip(r)
	}
	out := r.Clone(r.Context())
	u := *t.Base
	u.Path = strings.TrimSuffix(t.Base.Path, "/") + "/proxy/" + strings.ToLower(r.URL.Host) + r.URL.Path
	u.RawPath = ""
	u.RawQuery = r.URL.RawQuery
	out.URL = &u
	out.Host = u.Host
	resp, err := t.next().RoundTrip(out)
	if err != nil {
		return nil, err
	}
	resp.Request = r // relative Links resolve against the registry, not the proxy
	return resp, nil
}

func (t *Transport) next() http.RoundTripper {
	if t.Next != nil {
		return t.Next
	}
	return http.DefaultTransport
}
