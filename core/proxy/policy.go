package proxy

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
)

// DefaultRegistries are the upstreams allowed out of the box, with the non-/v2/ paths (token
// endpoints) each may be asked for.
var DefaultRegistries = map[string][]string{
	"docker.io":            nil, // canonical name; see dockerHubHosts
	"index.docker.io":      nil,
	"registry-1.docker.io": nil,
	"auth.docker.io":       {"/token"},
	"ghcr.io":              {"/token"},
	"quay.io":              {"/v2/auth"},
	"gcr.io":               {"/v2/token"},
	"registry.k8s.io":      nil,
	"public.ecr.aws":       {"/token/", "/token"},
	"mcr.microsoft.com":    nil,
}

// DefaultRedirectHosts are where allowlisted registries send blob downloads: a redirect is
// followed only to one of these (or an allowlisted registry). A leading "." matches any
// subdomain.
var DefaultRedirectHosts = []string{
	"production.cloudflare.docker.com",
	".r2.cloudflarestorage.com",
	"pkg-containers.githubusercontent.com",
	".quay.io",
	"storage.googleapis.com",
	".pkg.dev",
	".amazonaws.com",
	".cloudfront.net",
	".azureedge.net",
	".data.mcr.microsoft.com",
}

// dockerHubHosts all mean Docker Hub's registry.
var dockerHubHosts = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}

// canonical maps a host to the upstream name mirrors and the allowlist use.
func canonical(host string) string {
	if dockerHubHosts[host] {
		return "docker.io"
	}
	return host
}

// Registry API path shapes (distribution's grammar).
var (
	pathComponent = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
	repoName      = pathComponent + `(?:/` + pathComponent + `)*`
	tagOrDigest   = `(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})`
	apiPath       = regexp.MustCompile(`^/v2/(?:` +
		repoName + `/manifests/` + tagOrDigest + `|` +
		repoName + `/blobs/sha256:[a-f0-9]{64}|` +
		repoName + `/tags/list|` +
		repoName + `/referrers/sha256:[a-f0-9]{64}` +
		`)?$`)
	hostShape = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[0-9]{1,5})?$`)
)

// refusal is a request the proxy will not forward: Status is a 4xx, Reason one line.
type refusal struct {
	Status int
	Reason string
}

func (r *refusal) Error() string { return r.Reason }

func refuse(status int, format string, a ...any) *refusal {
	return &refusal{Status: status, Reason: fmt.Sprintf(format, a...)}
}

// splitProxyPath takes the raw (still escaped) path after /proxy/ and returns the host and
// the upstream path, refusing anything that is not plainly a registry request.
func splitProxyPath(raw string) (host, path string, err *refusal) {
	rest, ok := strings.CutPrefix(raw, "/proxy/")
	if !ok {
		return "", "", refuse(404, "not a proxy path: want /proxy/<registry-host>/v2/...")
	}
	if strings.ContainsAny(rest, "%\\@") {
		return "", "", refuse(400, "refusing path %q: escapes, backslashes and @ are not part of the registry API", raw)
	}
	host, path, ok = strings.Cut(rest, "/")
	if !ok {
		return "", "", refuse(400, "refusing path %q: no registry path after the host", raw)
	}
	path = "/" + path
	for _, seg := range strings.Split(path[1:], "/") {
		if seg == "." || seg == ".." {
			return "", "", refuse(400, "refusing path %q: dot segments are not part of the registry API", raw)
		}
	}
	if !hostShape.MatchString(host) {
		return "", "", refuse(400, "refusing host %q: not a registry host name", host)
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if _, err := netip.ParseAddr(h); err == nil || isNumericHost(h) {
		return "", "", refuse(403, "refusing host %q: IP addresses are not allowed, name an allowlisted registry", host)
	}
	return host, path, nil
}

// isNumericHost catches what some resolvers read as an IPv4 address: decimal (2130706433),
// octal (0177.0.0.1) and hex (0x7f.1) forms. A real name's last label is never all digits.
func isNumericHost(h string) bool {
	last := h[strings.LastIndex(h, ".")+1:]
	if last == "" || strings.HasPrefix(h, "0x") || strings.HasPrefix(last, "0x") {
		return last != "" || strings.HasPrefix(h, "0x")
	}
	for _, c := range last {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// blockedIP reports whether ip is an address the proxy never dials (unless a mirror).
func blockedIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		cgnat.Contains(ip) || !ip.IsValid()
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")
