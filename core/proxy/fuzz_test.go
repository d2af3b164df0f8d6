package proxy

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// FuzzSplitProxyPath: whatever the path, an accepted request names a plain host (no IP,
// no userinfo) and an upstream path without dot segments or escapes.
func FuzzSplitProxyPath(f *testing.F) {
	for _, s := range []string{
		"/proxy/index.docker.io/v2/library/nginx/manifests/latest",
		"/proxy/ghcr.io/v2/../../admin",
		"/proxy/127.0.0.1:5000/v2/",
		"/proxy/0x7f.1/v2/",
		"/proxy/a@b/v2/",
		"/proxy/ghcr.io/v2/a%2fb",
		"/proxy/auth.docker.io/token",
		"/proxy//v2/",
		"/proxy/[::1]/v2/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		host, path, rf := splitProxyPath(raw)
		if rf != nil {
			if rf.Status < 400 || rf.Status > 499 || strings.Contains(rf.Reason, "\n") && !strings.Contains(raw, "\n") {
				t.Fatalf("refusal %d %q: want a 4xx", rf.Status, rf.Reason)
			}
			return
		}
		if strings.ContainsAny(host, "@%\\[]") || !hostShape.MatchString(host) {
			t.Fatalf("accepted host %q", host)
		}
		h := host
		if i := strings.LastIndexByte(h, ':'); i >= 0 {
			h = h[:i]
		}
		if _, err := netip.ParseAddr(h); err == nil {
			t.Fatalf("accepted IP host %q", host)
		}
		if !strings.HasPrefix(path, "/") || strings.Contains(path, "%") || strings.Contains(path, "\\") {
			t.Fatalf("accepted path %q", path)
		}
		for _, seg := range strings.Split(path, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("accepted dot segment in %q", path)
			}
		}
	})
}

// FuzzRedirect: whatever Location an upstream answers with, a redirect the proxy follows goes
// to a configured mirror's address or over https, on the default port, to a named host on
// the allowlist or the blob-host list, without userinfo.
func FuzzRedirect(f *testing.F) {
	for _, s := range []string{
		"https://production.cloudflare.docker.com/registry-v2/docker/registry/v2/blobs/sha256/ab/data?verify=1",
		"http://169.254.169.254/latest/meta-data/",
		"https://169.254.169.254/",
		"https://[::ffff:127.0.0.1]/",
		"https://2130706433/",
		"https://0x7f.1/",
		"https://user:pw@production.cloudflare.docker.com/",
		"https://production.cloudflare.docker.com.evil.example/",
		"https://evil.example/.cloudfront.net",
		"https://x.cloudfront.net:22/",
		"//evil.example/x",
		"/v2/library/x/blobs/sha256:00",
		"http://127.0.0.1:5000/v2/",
		"https://localhost/",
		"https://auth.docker.io/token",
		"file:///etc/passwd",
		"https://%31%32%37.0.0.1/",
		"https://EVIL.example\\@ghcr.io/",
	} {
		f.Add(s)
	}
	h, err := New(WithMirror("docker.io", "http://127.0.0.1:5000"))
	if err != nil {
		f.Fatal(err)
	}
	base, _ := url.Parse("https://registry-1.docker.io/v2/library/x/blobs/sha256:" + strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, loc string) {
		u, err := base.Parse(loc)
		if err != nil || !h.redirectAllowed(u) {
			return
		}
		if u.User != nil {
			t.Fatalf("followed %q: userinfo", loc)
		}
		if strings.EqualFold(u.Host, "127.0.0.1:5000") {
			return // the mirror the operator named
		}
		name := strings.ToLower(u.Hostname()) // host names are case-insensitive
		if u.Scheme != "https" || (u.Port() != "" && u.Port() != "443") {
			t.Fatalf("followed %q: scheme %s port %q", loc, u.Scheme, u.Port())
		}
		if ip, err := netip.ParseAddr(name); err == nil {
			t.Fatalf("followed %q: IP %s", loc, ip)
		}
		if !hostShape.MatchString(name) {
			t.Fatalf("followed %q: host %q is not a plain name", loc, name)
		}
		ok := false
		if _, in := h.allowed[strings.ToLower(name)]; in {
			ok = true
		}
		for _, r := range h.redirects {
			if name == r || strings.HasPrefix(r, ".") && strings.HasSuffix(name, r) {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("followed %q: %s is on no list", loc, name)
		}
	})
}
