package proxy

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// mirrorTransport sends every request for a mirrored upstream name to its mirror, the
// redirects the client follows included (a registry's 307 to its blob CDN, when the CDN's
// name is mirrored too).
type mirrorTransport struct {
	h    *Handler
	next http.RoundTripper
}

func (m mirrorTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if mu, ok := m.h.mirrors[canonical(strings.ToLower(r.URL.Hostname()))]; ok && !strings.EqualFold(r.URL.Host, mu.Host) {
		r = r.Clone(r.Context())
		u := *r.URL
		u.Scheme, u.Host = mu.Scheme, mu.Host
		r.URL, r.Host = &u, ""
	}
	return m.next.RoundTrip(r)
}

// pushPath are the registry API's upload shapes, allowed only to upstreams the operator lets
// learners push to.
var pushPath = regexp.MustCompile(`^/v2/` + repoName + `/blobs/uploads/(?:[A-Za-z0-9_=.-]{1,256})?$`)

// WithAllowPush lets learners push through the proxy to an upstream (e.g. "docker.io"):
// POST, PUT and PATCH on its upload and manifest paths. Without it the proxy only reads.
func WithAllowPush(upstream string) Option {
	return func(h *Handler) error {
		up := canonical(strings.ToLower(upstream))
		if _, ok := h.allowed[up]; !ok {
			return fmt.Errorf("allow-push %s: not an allowlisted registry (add it with --allow first)", upstream)
		}
		h.push[up] = true
		if up == "docker.io" {
			for k := range dockerHubHosts {
				h.push[k] = true
			}
		}
		return nil
	}
}

// WithUpstreamAuth gives the proxy the operator's own account on an upstream (e.g.
// "docker.io"). The proxy uses it for pull-only token requests that come without credentials
// (anonymous learners), so that their pulls count against the operator's account, not the
// classroom's one address. It is never sent to clients, never to the registry itself, and
// never logged.
func WithUpstreamAuth(upstream, user, password string) Option {
	return func(h *Handler) error {
		if user == "" || password == "" || strings.ContainsAny(user, ":\n") {
			return fmt.Errorf("upstream-auth %s: want a user name (no colon) and a password", upstream)
		}
		up := canonical(strings.ToLower(upstream))
		cred := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
		h.upAuth[up] = cred
		if up == "docker.io" {
			h.realmAuth["auth.docker.io"] = cred
		}
		return nil
	}
}

// operatorAuth is the operator's Authorization for a token request to a realm host whose
// registry the operator gave credentials for, when every scope asked for is pull only.
func (h *Handler) operatorAuth(host, path string, q url.Values) string {
	if strings.HasPrefix(path, "/v2/") {
		return "" // only token endpoints, never the registry
	}
	h.authMu.Lock()
	cred := h.realmAuth[host]
	h.authMu.Unlock()
	if cred == "" {
		return ""
	}
	for _, sc := range q["scope"] {
		for _, one := range strings.Fields(sc) {
			parts := strings.Split(one, ":")
			if len(parts) < 3 || parts[len(parts)-1] != "pull" {
				return "" // a push goes with the learner's own account or not at all
			}
		}
	}
	return cred
}

// learnRealm notes the token realm an upstream with operator credentials names in its
// challenge: token requests to that host may carry them.
func (h *Handler) learnRealm(host string, resp *http.Response) {
	h.authMu.Lock()
	defer h.authMu.Unlock()
	cred := h.upAuth[canonical(host)]
	if cred == "" {
		return
	}
	for _, c := range resp.Header.Values("WWW-Authenticate") {
		realm := challengeParam(c, "realm")
		if !strings.HasPrefix(strings.ToLower(c), "bearer ") || realm == "" {
			continue
		}
		u, err := url.Parse(realm)
		if err != nil || u.Host == "" {
			continue
		}
		if _, ok := h.allowed[strings.ToLower(u.Host)]; ok {
			h.realmAuth[strings.ToLower(u.Host)] = cred
		}
	}
}

// challengeParam reads one quoted parameter of a WWW-Authenticate challenge.
func challengeParam(c, key string) string {
	lc := strings.ToLower(c)
	i := strings.Index(lc, key+`="`)
	if i < 0 {
		return ""
	}
	rest := c[i+len(key)+2:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}
