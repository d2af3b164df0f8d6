package client

import (
	"net/http"
	"net/url"
	"strings"
)

// RegistryHeader carries the registry (scheme://host) a HostMap request was meant for, so that a
// server answering for it (the practice hub) names its token realm on that host: the
// browser's fetch cannot set Host.
const RegistryHeader = "X-Layerlab-Registry"

// HostMap sends requests for the listed hosts to Base instead (scheme and host replaced,
// path kept): docker.io names to the practice hub. The original host stays in the Host
// header (natively) and in RegistryHeader, so the token realm the hub answers with is on
// the original host and comes back through this map; go-containerregistry would refuse a
// realm on a loopback address that is not the registry's own.
type HostMap struct {
	Hosts map[string]bool
	Base  *url.URL
	// Next carries the requests; nil means http.DefaultTransport.
	Next http.RoundTripper
}

var _ http.RoundTripper = (*HostMap)(nil)

// DockerHubHosts are the names go-containerregistry and docker use for Docker Hub.
var DockerHubHosts = map[string]bool{"index.docker.io": true, "registry-1.docker.io": true, "docker.io": true}

// RoundTrip rewrites requests for the mapped hosts and passes the rest on unchanged.
func (m *HostMap) RoundTrip(r *http.Request) (*http.Response, error) {
	next := m.Next
	if next == nil {
		next = http.DefaultTransport
	}
	host := strings.ToLower(r.URL.Host)
	if !m.Hosts[host] {
		return next.RoundTrip(r)
	}
	out := r.Clone(r.Context())
	u := *r.URL
	u.Scheme, u.Host = m.Base.Scheme, m.Base.Host
	u.Path = strings.TrimSuffix(m.Base.Path, "/") + r.URL.Path
	u.RawPath = ""
	out.URL = &u
	out.Host = host
	out.Header.Set(RegistryHeader, r.URL.Scheme+"://"+host)
	resp, err := next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	// The client resolves relative Locations (upload URLs) against the response's request:
	// it must be the one it sent, so the upload stays on the mapped host and its token.
	resp.Request = r
	if loc := resp.Header.Get("Location"); loc != "" {
		if lu, err := url.Parse(loc); err == nil && lu.IsAbs() && strings.EqualFold(lu.Host, m.Base.Host) {
			lu.Scheme, lu.Host = r.URL.Scheme, r.URL.Host
			resp.Header.Set("Location", lu.String())
		}
	}
	return resp, nil
}
