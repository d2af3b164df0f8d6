package proxy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/proxy"
	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// serve mounts h the way layerlab serve does: a prefix check on the raw path, no ServeMux.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/proxy/") {
			h.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPullThroughProxyFromMirror(t *testing.T) {
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	img := testimage.PullTest()
	r, _ := name.ParseReference(reg.Host + "/library/pulltest:latest")
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	h, err := proxy.New(proxy.WithMirror("docker.io", "http://"+reg.Host))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	base, _ := url.Parse(srv.URL)
	s := store.NewMemory()
	pr, _ := ref.Parse("pulltest")
	res, err := registry.Pull(context.Background(), s, pr, nil, registry.WithRemote(remote.WithTransport(&proxy.Transport{Base: base})))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if res.Digest != want {
		t.Errorf("got %s; want %s", res.Digest, want)
	}
	// What a browser sees: CORS and the exposed headers on a manifest GET.
	req, _ := http.NewRequest("GET", srv.URL+"/proxy/index.docker.io/v2/library/pulltest/manifests/latest", nil)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	req.Header.Set("Origin", "http://example.test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin": "*",
		"Docker-Content-Digest":       want.String(),
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: got %q; want %q", k, got, v)
		}
	}
	if got := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(got, "Docker-Content-Digest") || !strings.Contains(got, "WWW-Authenticate") {
		t.Errorf("Access-Control-Expose-Headers: got %q; want Docker-Content-Digest and WWW-Authenticate in it", got)
	}
}

// upstreamFake is a misbehaving upstream (a fake, because the point is behaviour a real
// registry does not show): it records what reached it and answers per path.
type upstreamFake struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (u *upstreamFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.reqs = append(u.reqs, r)
	u.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/manifests/metadata"):
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
	case strings.HasSuffix(r.URL.Path, "/manifests/evil"):
		http.Redirect(w, r, "https://evil.example/x", http.StatusFound)
	case strings.HasSuffix(r.URL.Path, "/manifests/loopback"):
		http.Redirect(w, r, "https://localhost:1/x", http.StatusFound)
	default:
		w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("0", 64))
		w.Header().Set("Set-Cookie", "session=1")
		io.WriteString(w, "{}")
	}
}

func (u *upstreamFake) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

func TestProxyRefusesSSRF(t *testing.T) {
	up := &upstreamFake{}
	upSrv := httptest.NewServer(up)
	defer upSrv.Close()
	h, err := proxy.New(
		proxy.WithMirror("docker.io", upSrv.URL),
		proxy.WithAllow("rebind.example"),
		proxy.WithAllow("internal.example"),
		proxy.WithResolver(func(ctx context.Context, host string) ([]netip.Addr, error) {
			switch host {
			case "rebind.example":
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			case "internal.example":
				return []netip.Addr{netip.MustParseAddr("::ffff:10.0.0.1")}, nil
			case "localhost":
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			case "127.0.0.1":
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return nil, &net404{host}
		}))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	tests := []struct {
		name, method, path string
		status             int
		reason             string // in the one-line body
	}{
		{"ip literal", "GET", "/proxy/127.0.0.1:5000/v2/", 403, "IP addresses are not allowed"},
		{"metadata ip", "GET", "/proxy/169.254.169.254/v2/", 403, "IP addresses are not allowed"},
		{"decimal ip", "GET", "/proxy/2130706433/v2/", 403, "IP addresses are not allowed"},
		{"octal ip", "GET", "/proxy/0177.0.0.1/v2/", 403, "IP addresses are not allowed"},
		{"hex ip", "GET", "/proxy/0x7f.1/v2/", 403, "IP addresses are not allowed"},
		{"ipv6 mapped", "GET", "/proxy/[::ffff:127.0.0.1]/v2/", 400, "not a registry host name"},
		{"at in host", "GET", "/proxy/ghcr.io@127.0.0.1/v2/", 400, "escapes, backslashes and @"},
		{"not allowlisted", "GET", "/proxy/evil.example/v2/", 403, "not on the allowlist"},
		{"dot dot", "GET", "/proxy/ghcr.io/v2/../../admin", 400, "dot segments"},
		{"encoded slash", "GET", "/proxy/ghcr.io/v2/a%2f..%2fb/manifests/latest", 400, "escapes"},
		{"encoded dot", "GET", "/proxy/ghcr.io/v2/%2e%2e/manifests/latest", 400, "escapes"},
		{"backslash", "GET", "/proxy/ghcr.io/v2/a\\b/manifests/latest", 400, "escapes"},
		{"not api", "GET", "/proxy/ghcr.io/admin", 400, "not a registry API request"},
		{"uppercase repo", "GET", "/proxy/ghcr.io/v2/A/manifests/latest", 400, "not a registry API request"},
		{"upload path", "POST", "/proxy/ghcr.io/v2/a/blobs/uploads/", 405, "the proxy only reads (GET, HEAD) from ghcr.io (layerlab serve --allow-push ghcr.io allows pushing there)"},
		{"upload path get", "GET", "/proxy/ghcr.io/v2/a/blobs/uploads/abc", 400, "uploads are pushes"},
		{"patch manifest", "PATCH", "/proxy/docker.io/v2/a/manifests/latest", 405, "--allow-push docker.io"},
		{"put manifest", "PUT", "/proxy/docker.io/v2/a/manifests/latest", 405, "only reads"},
		{"delete blob", "DELETE", "/proxy/docker.io/v2/a/blobs/sha256:" + strings.Repeat("a", 64), 405, "only reads"},
		{"no path", "GET", "/proxy/ghcr.io", 400, "no registry path"},
		{"dns rebinding to loopback", "GET", "/proxy/rebind.example/v2/", 403, "refusing to connect to rebind.example (127.0.0.1)"},
		{"private ipv6-mapped", "GET", "/proxy/internal.example/v2/", 403, "refusing to connect to internal.example"},
		{"redirect to metadata", "GET", "/proxy/docker.io/v2/a/manifests/metadata", 502, "refusing redirect to 169.254.169.254"},
		{"redirect to other host", "GET", "/proxy/docker.io/v2/a/manifests/evil", 502, "refusing redirect to evil.example"},
		{"redirect to localhost", "GET", "/proxy/docker.io/v2/a/manifests/loopback", 502, "refusing redirect to localhost:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := up.count()
			req, err := http.NewRequest(tc.method, srv.URL+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Opaque = tc.path // sent as written: no client-side cleaning
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("got status %d; want %d (body %q)", resp.StatusCode, tc.status, b)
			}
			body := string(b)
			if !strings.HasPrefix(body, "layerlab proxy: ") || strings.Count(body, "\n") != 1 || !strings.Contains(body, tc.reason) {
				t.Errorf("got body %q; want one line containing %q", body, tc.reason)
			}
			if resp.Header.Get("Location") != "" {
				t.Errorf("got Location %q; a refusal never redirects", resp.Header.Get("Location"))
			}
			redirect := strings.Contains(tc.name, "redirect")
			if got := up.count() - before; (redirect && got != 1) || (!redirect && got != 0) {
				t.Errorf("upstream saw %d requests; want %d", got, map[bool]int{true: 1}[redirect])
			}
		})
	}
}

type net404 struct{ host string }

func (e *net404) Error() string { return "no such host " + e.host }

func TestProxyForwardsOnlyWhatItShould(t *testing.T) {
	up := &upstreamFake{}
	upSrv := httptest.NewServer(up)
	defer upSrv.Close()
	h, err := proxy.New(proxy.WithMirror("docker.io", upSrv.URL))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	req, _ := http.NewRequest("GET", srv.URL+"/proxy/index.docker.io/v2/library/x/manifests/latest", nil)
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Cookie", "secret=1")
	req.Header.Set("X-Forwarded-For", "1.2.3.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("got %d", resp.StatusCode)
	}
	got := up.reqs[len(up.reqs)-1]
	if got.Header.Get("Authorization") != "Bearer tok" || got.Header.Get("Cookie") != "" || got.Header.Get("X-Forwarded-For") != "" {
		t.Errorf("upstream got headers %v; want Authorization only", got.Header)
	}
	if resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("client got Set-Cookie %q; want none", resp.Header.Get("Set-Cookie"))
	}
	// Preflight.
	req, _ = http.NewRequest("OPTIONS", srv.URL+"/proxy/index.docker.io/v2/library/x/manifests/latest", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Methods") != "GET, HEAD, OPTIONS" {
		t.Errorf("preflight: got %d %q; want 204 and GET, HEAD, OPTIONS", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Methods"))
	}
}

func TestProxyRateLimitsPerClient(t *testing.T) {
	h, err := proxy.New(proxy.WithRate(0.5, 2), proxy.WithTrustedProxies(netip.MustParsePrefix("127.0.0.0/8")))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	get := func(xff string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/proxy/evil.example/v2/", nil)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// Refusals count too: two requests pass the limiter (and are refused as not allowlisted).
	for i, want := range []int{403, 403, 429} {
		if got := get("203.0.113.7").StatusCode; got != want {
			t.Errorf("request %d: got %d; want %d", i, got, want)
		}
	}
	resp := get("203.0.113.7")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("got %d, Retry-After %q; want 429 and 2", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Another client behind the same trusted proxy has its own budget.
	if got := get("198.51.100.9").StatusCode; got != 403 {
		t.Errorf("second client: got %d; want 403 (not limited)", got)
	}
}
