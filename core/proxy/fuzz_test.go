package proxy

import (
	"net/netip"
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
