package hub

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// TokenPath is the token endpoint, on the hub's own host and port.
const TokenPath = "/hub/token"

const service = "layerlab-hub"

// Hub is the practice registry: an http.Handler for /v2/... and TokenPath.
type Hub struct {
	reg      http.Handler
	accounts *accounts
	repos    *repos
	key      []byte
	now      func() time.Time
	limiter  *limiter
}

// Option configures a Hub.
type Option func(*Hub)

// WithClock sets the clock tokens are issued and checked against.
func WithClock(now func() time.Time) Option { return func(h *Hub) { h.now = now } }

// WithAccountLimit allows n new accounts per client address per hour (default 10).
func WithAccountLimit(n int) Option { return func(h *Hub) { h.limiter.max = n } }

// WithBcryptCost sets the bcrypt cost for new accounts (tests use bcrypt.MinCost).
func WithBcryptCost(n int) Option { return func(h *Hub) { h.accounts.cost = n } }

// WithoutSync skips fsync of the hub's records (tests that push a lot on tmpfs).
func WithoutSync() Option { return func(h *Hub) { h.repos.sync = false } }

// New opens (creating) the hub's data directory: blobs under DIR/blobs, manifests under
// DIR/manifests, repositories (tags, visibility) in DIR/repos.json, accounts in
// DIR/accounts.json. A server started again on the same DIR serves what was pushed before.
func New(dir string, opts ...Option) (*Hub, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return nil, fmt.Errorf("opening hub data %s: %w", dir, err)
	}
	acc, err := openAccounts(dir)
	if err != nil {
		return nil, err
	}
	rs, err := openRepos(dir)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	h := &Hub{
		reg: registry.New(
			registry.WithBlobHandler(registry.NewDiskBlobHandler(filepath.Join(dir, "blobs"))),
			registry.Logger(log.New(io.Discard, "", 0)),
		),
		accounts: acc,
		repos:    rs,
		key:      key,
		now:      time.Now,
		limiter:  &limiter{max: 10, seen: map[string][]time.Time{}},
	}
	for _, o := range opts {
		o(h)
	}
	rs.now = h.now
	return h, nil
}

// token is what a bearer token grants.
type token struct {
	Sub    string              `json:"sub,omitempty"`
	Access map[string][]string `json:"access,omitempty"` // repository -> actions
	Exp    int64               `json:"exp"`
}

func (h *Hub) sign(t token) string {
	b, _ := json.Marshal(t)
	p := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h *Hub) verify(s string) (token, bool) {
	p, sig, ok := strings.Cut(s, ".")
	if !ok {
		return token{}, false
	}
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(p))
	want := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return token{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return token{}, false
	}
	var t token
	if json.Unmarshal(b, &t) != nil || h.now().Unix() > t.Exp {
		return token{}, false
	}
	return t, true
}

func setCORS(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
	hd.Set("Access-Control-Allow-Headers", "Authorization, Accept, Content-Type, Content-Length, Content-Range, Range, "+RegistryHeader)
	hd.Set("Access-Control-Expose-Headers", "Docker-Content-Digest, WWW-Authenticate, Location, Link, Content-Range, Range, Docker-Upload-UUID, Content-Length")
}

// ServeHTTP serves the token endpoint and the registry API.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setCORS(w)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.URL.Path == TokenPath {
		h.serveToken(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, APIPath) {
		h.serveAPI(w, r)
		return
	}
	if r.URL.Path != "/v2" && !strings.HasPrefix(r.URL.Path, "/v2/") {
		http.NotFound(w, r)
		return
	}
	repo, action := required(r)
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	t, ok := h.verify(bearer)
	if ok && (repo == "" || contains(t.Access[repo], action)) {
		switch repo, kind, target := route(r.URL.Path); kind {
		case "manifests":
			h.serveManifest(w, r, repo, target)
		case "tags":
			h.serveTags(w, r, repo)
		case "catalog":
			h.serveCatalog(w, r, t.Sub)
		default:
			h.reg.ServeHTTP(w, r)
		}
		return
	}
	scope := ""
	if repo != "" {
		scope = fmt.Sprintf(`,scope="repository:%s:%s"`, repo, map[string]string{"pull": "pull", "push": "push,pull"}[action])
	}
	challenge := fmt.Sprintf(`Bearer realm="%s",service="%s"%s`, realm(r), service, scope)
	code, msg := "UNAUTHORIZED", "authentication required"
	if ok {
		challenge += `,error="insufficient_scope"`
		code, msg = "DENIED", "requested access to the resource is denied"
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q,"detail":null}]}`+"\n", code, msg)
}

// realm is the token endpoint as the client addressed the hub: on the registry host it
// meant (a docker.io name mapped here says so in RegistryHeader), so the client's own
// transport brings the token request back here.
func realm(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if h := r.Header.Get(RegistryHeader); h != "" {
		sch, hh, _ := strings.Cut(h, "://")
		if (sch == "http" || sch == "https") && hostShape.MatchString(hh) {
			scheme, host = sch, hh
		}
	}
	return scheme + "://" + host + TokenPath
}

// RegistryHeader is core/proxy.RegistryHeader (the hub does not import the proxy).
const RegistryHeader = "X-Layerlab-Registry"

var hostShape = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[0-9]{1,5})?$`)

// required names the repository a request touches and the action it needs.
func required(r *http.Request) (repo, action string) {
	action = "pull"
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	default:
		action = "push"
	}
	p := strings.TrimPrefix(r.URL.Path, "/v2/")
	for _, sep := range []string{"/manifests/", "/blobs/", "/tags/", "/referrers/"} {
		if i := strings.LastIndex(p, sep); i > 0 {
			return p[:i], action
		}
	}
	return "", action
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// serveToken issues tokens: anyone may pull a public repository, only USER pulls USER's
// private ones; USER may push to USER/*. Credentials, when
// given, must be right; an unknown user is created.
func (h *Hub) serveToken(w http.ResponseWriter, r *http.Request) {
	user, pass, hasAuth := r.BasicAuth()
	if hasAuth {
		_, err := h.accounts.check(user, pass, func() bool { return h.limiter.allow(clientAddr(r), h.now()) })
		if err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, errTooManyAccounts) {
				status = http.StatusTooManyRequests
				w.Header().Set("Retry-After", "3600")
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"details": err.Error()})
			return
		}
	} else {
		user = ""
	}
	t := token{Sub: user, Access: map[string][]string{}, Exp: h.now().Add(5 * time.Minute).Unix()}
	for _, sc := range r.URL.Query()["scope"] {
		for _, one := range strings.Split(sc, " ") {
			parts := strings.Split(one, ":")
			if len(parts) != 3 || parts[0] != "repository" {
				continue
			}
			repo := parts[1]
			for _, a := range strings.Split(parts[2], ",") {
				switch {
				case a == "pull" && h.repos.canPull(repo, user):
					t.Access[repo] = append(t.Access[repo], "pull")
				case a == "push" && user != "" && strings.HasPrefix(repo, user+"/"):
					t.Access[repo] = append(t.Access[repo], "push")
				}
			}
		}
	}
	s := h.sign(t)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token": s, "access_token": s, "expires_in": 300, "issued_at": h.now().UTC().Format(time.RFC3339)})
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter allows max events per key per hour.
type limiter struct {
	mu   sync.Mutex
	max  int
	seen map[string][]time.Time
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	var keep []time.Time
	for _, t := range l.seen[key] {
		if now.Sub(t) < time.Hour {
			keep = append(keep, t)
		}
	}
	if len(keep) >= l.max {
		l.seen[key] = keep
		return false
	}
	l.seen[key] = append(keep, now)
	return true
}
