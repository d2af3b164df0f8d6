package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Handler serves /proxy/<registry-host>/<path> by forwarding GET and HEAD requests to the
// registry (or its configured mirror) and answering CORS preflights.
type Handler struct {
	allowed     map[string][]string // host -> extra (non-/v2/) paths
	redirects   []string
	mirrors     map[string]*url.URL // canonical upstream -> mirror base URL
	mirrorIPs   map[netip.AddrPort]bool
	client      *http.Client
	resolver    func(ctx context.Context, host string) ([]netip.Addr, error)
	maxManifest int64
	limit       *limiter
	trusted     []netip.Prefix
	cache       *blobCache
	push        map[string]bool // canonical upstream -> push methods allowed
	// noFollow is client without following redirects: access checks (a 307 to the CDN
	// already says yes) and tag look-ups.
	noFollow *http.Client

	authMu    sync.Mutex
	upAuth    map[string]string // canonical upstream -> operator's Authorization value
	realmAuth map[string]string // token realm host -> operator's Authorization value
}

// Option configures a Handler.
type Option func(*Handler) error

// WithMirror sends an upstream's traffic (e.g. "docker.io") to another registry base URL
// (e.g. "http://127.0.0.1:5000"). A mirror may be on loopback or a private network: the
// operator named it.
func WithMirror(upstream, base string) Option {
	return func(h *Handler) error {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("mirror %s=%s: want a base URL like http://127.0.0.1:5000", upstream, base)
		}
		up := canonical(strings.ToLower(upstream))
		h.mirrors[up] = u
		if _, ok := h.allowed[up]; !ok {
			h.allowed[up] = nil
		}
		return nil
	}
}

// WithAllow adds an upstream registry host to the allowlist, with the non-/v2/ paths (a
// token endpoint such as "/token") it may be asked for.
func WithAllow(host string, paths ...string) Option {
	return func(h *Handler) error {
		host = strings.ToLower(host)
		if !hostShape.MatchString(host) {
			return fmt.Errorf("allow %q: not a host name", host)
		}
		for _, p := range paths {
			if !strings.HasPrefix(p, "/") || strings.Contains(p, "..") {
				return fmt.Errorf("allow %s: path %q must start with / and have no ..", host, p)
			}
		}
		h.allowed[host] = append(h.allowed[host], paths...)
		return nil
	}
}

// WithResolver replaces DNS resolution (tests: names that resolve to private addresses).
func WithResolver(f func(ctx context.Context, host string) ([]netip.Addr, error)) Option {
	return func(h *Handler) error { h.resolver = f; return nil }
}

// New returns a Handler allowing DefaultRegistries plus what opts add.
func New(opts ...Option) (*Handler, error) {
	h := &Handler{
		allowed:     map[string][]string{},
		redirects:   append([]string(nil), DefaultRedirectHosts...),
		mirrors:     map[string]*url.URL{},
		mirrorIPs:   map[netip.AddrPort]bool{},
		push:        map[string]bool{},
		upAuth:      map[string]string{},
		realmAuth:   map[string]string{},
		maxManifest: 4 << 20,
		limit:       &limiter{rate: 20, burst: 200, buckets: map[string]*bucket{}, now: time.Now},
		resolver: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		},
	}
	for k, v := range DefaultRegistries {
		h.allowed[k] = v
	}
	for _, o := range opts {
		if err := o(h); err != nil {
			return nil, err
		}
	}
	// Mirrors are trusted by address: resolve them once, now.
	for _, u := range h.mirrors {
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		ips, err := h.resolver(context.Background(), u.Hostname())
		if err != nil {
			return nil, fmt.Errorf("resolving mirror %s: %w", u.Host, err)
		}
		for _, ip := range ips {
			p, _ := netip.ParseAddrPort(net.JoinHostPort(ip.Unmap().String(), port))
			h.mirrorIPs[p] = true
		}
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	tr := &http.Transport{
		Proxy:                 nil, // never an environment proxy: the checks below must see the real peer
		DialContext:           h.dial(dialer),
		MaxIdleConns:          256,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	h.noFollow = &http.Client{
		Transport:     mirrorTransport{h, tr},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	h.client = &http.Client{
		Transport: mirrorTransport{h, tr},
		Jar:       nil,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return refuse(http.StatusBadGateway, "refusing redirect to %s: more than 5 redirects", req.URL.Host)
			}
			if !h.redirectAllowed(req.URL) {
				return refuse(http.StatusBadGateway, "refusing redirect to %s: not an allowlisted registry or blob host", req.URL.Host)
			}
			return nil
		},
	}
	return h, nil
}

// dial resolves the host itself and dials the checked address, so what is checked is what
// is connected to (no second lookup for a DNS rebinding to slip into).
func (h *Handler) dial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = []netip.Addr{ip}
		} else if ips, err = h.resolver(ctx, host); err != nil {
			return nil, err
		}
		var lastErr error = fmt.Errorf("no addresses for %s", host)
		for _, ip := range ips {
			ap, err := netip.ParseAddrPort(net.JoinHostPort(ip.Unmap().String(), port))
			if err != nil {
				continue
			}
			if blockedIP(ip) && !h.mirrorIPs[ap] {
				lastErr = refuse(http.StatusForbidden, "refusing to connect to %s (%s): loopback, private and link-local addresses are reachable only as a configured mirror", host, ip)
				continue
			}
			c, err := d.DialContext(ctx, network, ap.String())
			if err == nil {
				return c, nil
			}
			lastErr = err
		}
		return nil, lastErr
	}
}

// redirectAllowed says whether a redirect may be followed to u: a configured mirror's
// address, or https on the default port to an allowlisted registry or blob host, named (not
// an IP), without userinfo.
func (h *Handler) redirectAllowed(u *url.URL) bool {
	if (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Opaque != "" {
		return false
	}
	host := strings.ToLower(u.Host)
	for _, m := range h.mirrors {
		if strings.EqualFold(m.Host, host) {
			return true
		}
	}
	if u.Scheme != "https" || (u.Port() != "" && u.Port() != "443") {
		return false
	}
	name := strings.ToLower(u.Hostname())
	if !hostShape.MatchString(name) {
		return false
	}
	if _, err := netip.ParseAddr(name); err == nil || isNumericHost(name) {
		return false
	}
	if _, ok := h.allowed[strings.ToLower(name)]; ok {
		return true
	}
	for _, r := range h.redirects {
		if strings.HasPrefix(r, ".") && strings.HasSuffix(name, r) || name == r {
			return true
		}
	}
	return false
}

// exposed are the response headers a browser client needs to read.
var exposed = []string{"Docker-Content-Digest", "WWW-Authenticate", "Location", "Link", "Content-Range",
	"Content-Length", "Content-Type", "Docker-Distribution-Api-Version", "ETag",
	"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"}

// forwarded are the request headers passed upstream; everything else (Cookie above all) is dropped.
var forwarded = []string{"Accept", "Authorization", "Range", "If-None-Match", "If-Match"}

func setCORS(w http.ResponseWriter, push bool) {
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", "*")
	if push {
		hd.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, OPTIONS")
	} else {
		hd.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
	}
	hd.Set("Access-Control-Allow-Headers", "Authorization, Accept, Range, If-None-Match, Content-Type, Content-Range")
	hd.Set("Access-Control-Expose-Headers", strings.Join(exposed, ", "))
	hd.Set("Access-Control-Max-Age", "600")
}

func fail(w http.ResponseWriter, status int, reason string) {
	setCORS(w, false)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, "layerlab proxy: "+strings.ReplaceAll(reason, "\n", " ")+"\n")
}

// ServeHTTP forwards one request. It reads the raw request path: a ServeMux in front would
// clean ".." with a redirect, so mount it with a prefix check, not a pattern.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.EscapedPath()
	if r.URL.RawPath != "" {
		raw = r.URL.RawPath
	}
	if ok, wait := h.limit.take(h.clientOf(r)); !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		fail(w, http.StatusTooManyRequests, "too many requests from this address; try again later")
		return
	}
	host, path, rf := splitProxyPath(raw)
	if rf != nil {
		fail(w, rf.Status, rf.Reason)
		return
	}
	host = strings.ToLower(host)
	extra, ok := h.allowed[host]
	if !ok {
		fail(w, http.StatusForbidden, fmt.Sprintf("refusing host %s: not on the allowlist (layerlab serve --allow HOST adds one)", host))
		return
	}
	push := h.push[canonical(host)]
	if !apiPath.MatchString(path) && !contains(extra, path) && !pushPath.MatchString(path) {
		fail(w, http.StatusBadRequest, fmt.Sprintf("refusing path %s: not a registry API request", path))
		return
	}
	switch r.Method {
	case http.MethodOptions:
		setCORS(w, push)
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet, http.MethodHead:
		if pushPath.MatchString(path) && !push {
			fail(w, http.StatusBadRequest, fmt.Sprintf("refusing %s %s: uploads are pushes (layerlab serve --allow-push %s allows them)", r.Method, path, canonical(host)))
			return
		}
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		if !push {
			w.Header().Set("Allow", "GET, HEAD, OPTIONS")
			fail(w, http.StatusMethodNotAllowed, fmt.Sprintf("refusing %s: the proxy only reads (GET, HEAD) from %s (layerlab serve --allow-push %s allows pushing there)", r.Method, host, canonical(host)))
			return
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		fail(w, http.StatusMethodNotAllowed, fmt.Sprintf("refusing %s: the proxy only reads (GET, HEAD)", r.Method))
		return
	}
	if h.cache != nil && r.Method == http.MethodGet {
		if d := digestOf(path); d != "" {
			h.serveDigest(w, r, host, path, d)
			return
		}
		if strings.Contains(path, "/manifests/") && h.serveTagFromCache(w, r, host, path) {
			return
		}
	}
	resp, ok := h.send(w, r, r.Context(), r.Method, host, path, r.Body)
	if !ok {
		return
	}
	defer resp.Body.Close()
	h.relay(w, r, host, path, resp, nil)
}

// send makes the upstream request for a proxied one; on failure it has answered w.
func (h *Handler) send(w http.ResponseWriter, r *http.Request, ctx context.Context, method, host, path string, body io.Reader) (*http.Response, bool) {
	resp, err := h.do(ctx, h.client, r, method, host, path, body)
	if err != nil {
		h.failErr(w, host, err)
		return nil, false
	}
	return resp, true
}

// failErr answers a failed upstream request: the refusal's own status, else 502.
func (h *Handler) failErr(w http.ResponseWriter, host string, err error) {
	var rf *refusal
	if errors.As(err, &rf) {
		fail(w, rf.Status, rf.Reason)
		return
	}
	fail(w, http.StatusBadGateway, fmt.Sprintf("reaching %s: %v", host, unwrapURL(err)))
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// do sends method host/path upstream with the headers of r that may go there.
func (h *Handler) do(ctx context.Context, c *http.Client, r *http.Request, method, host, path string, body io.Reader) (*http.Response, error) {
	target := h.upstream(host, path, r.URL.RawQuery)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	if method == http.MethodGet || method == http.MethodHead {
		body = nil
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		cancel()
		return nil, refuse(http.StatusBadRequest, "%v", err)
	}
	if body != nil {
		req.ContentLength = r.ContentLength
		if ct := r.Header.Get("Content-Type"); ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if cr := r.Header.Get("Content-Range"); cr != "" {
			req.Header.Set("Content-Range", cr)
		}
	}
	for _, k := range forwarded {
		for _, v := range r.Header.Values(k) {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("Authorization") == "" {
		if cred := h.operatorAuth(host, path, r.URL.Query()); cred != "" {
			req.Header.Set("Authorization", cred)
		}
	}
	req.Header.Set("User-Agent", "layerlab-proxy")
	resp, err := c.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	h.learnRealm(host, resp)
	resp.Body = &cancelBody{resp.Body, cancel}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error { err := b.ReadCloser.Close(); b.cancel(); return err }

// relay writes an upstream response to the client: CORS, the headers a registry client
// needs, cache headers, the body (size-capped where it is not a blob), and a copy of the
// body to also if it is not nil.
func (h *Handler) relay(w http.ResponseWriter, r *http.Request, host, path string, resp *http.Response, also io.Writer) {
	setCORS(w, h.push[canonical(host)])
	for _, k := range exposed {
		if k == "Location" && (resp.StatusCode/100 == 3 || !h.push[canonical(host)]) {
			continue // redirects are followed here; a Location would point past the proxy
		}
		for _, v := range resp.Header.Values(k) {
			w.Header().Add(k, v)
		}
	}
	if digestOf(path) != "" {
		if resp.StatusCode == http.StatusOK {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			w.Header().Set("ETag", `"`+digestOf(path)+`"`)
		}
	} else {
		w.Header().Set("Cache-Control", "no-store")
	}
	var body io.Reader = resp.Body
	if strings.Contains(path, "/manifests/") || strings.Contains(path, "/tags/list") || !strings.HasPrefix(path, "/v2/") {
		if resp.ContentLength > h.maxManifest {
			fail(w, http.StatusBadGateway, fmt.Sprintf("upstream %s answered %d bytes for %s: over the %d byte limit", host, resp.ContentLength, path, h.maxManifest))
			return
		}
		body = io.LimitReader(resp.Body, h.maxManifest)
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodHead {
		return
	}
	if also == nil {
		io.Copy(w, body)
		return
	}
	// The cache's copy must be whole even if this client goes away.
	cw := &clientWriter{w: w}
	io.Copy(io.MultiWriter(also, cw), body)
}

// clientWriter writes to the client until the first error, then swallows the rest.
type clientWriter struct {
	w   io.Writer
	err error
}

func (c *clientWriter) Write(p []byte) (int, error) {
	if c.err == nil {
		_, c.err = c.w.Write(p)
	}
	return len(p), nil
}

// digestOf is the digest a blob or manifest path names, or "".
func digestOf(path string) string {
	for _, sep := range []string{"/blobs/sha256:", "/manifests/sha256:"} {
		if i := strings.LastIndex(path, sep); i >= 0 {
			return path[i+len(sep)-len("sha256:"):]
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// upstream is the URL a proxied request goes to: the mirror's, or https://host.
func (h *Handler) upstream(host, path, query string) *url.URL {
	if m, ok := h.mirrors[canonical(host)]; ok {
		return &url.URL{Scheme: m.Scheme, Host: m.Host, Path: path, RawQuery: query}
	}
	if dockerHubHosts[host] {
		host = "registry-1.docker.io"
	}
	return &url.URL{Scheme: "https", Host: host, Path: path, RawQuery: query}
}
