package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/proxy"
	"github.com/layerlab/layerlab/core/ref"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/testimage"
)

// fakeDockerHub behaves as Docker Hub does where it matters to the proxy (a fake: the real
// one is not reachable here): the registry answers 401 with a Bearer challenge whose realm
// is another host (auth.test), blobs answer 307 to a third host (cdn.test, which wants no
// Authorization), and one repository answers 429 with Retry-After as the pull limit does.
type fakeDockerHub struct {
	reg, auth, cdn *httptest.Server
	store          http.Handler // the registry the fake serves from

	mu        sync.Mutex
	regAuth   []string // Authorization headers the registry saw
	tokenAuth []string // ... the token endpoint saw
	cdnAuth   []string // ... the CDN saw
	redirects int
}

// The body Docker Hub answers a pull over the limit with.
const hubRateLimitBody = `{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"}]}`

func startFakeDockerHub(t *testing.T) *fakeDockerHub {
	f := &fakeDockerHub{store: ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))}
	f.reg = httptest.NewServer(http.HandlerFunc(f.serveRegistry))
	f.auth = httptest.NewServer(http.HandlerFunc(f.serveToken))
	f.cdn = httptest.NewServer(http.HandlerFunc(f.serveCDN))
	t.Cleanup(func() { f.reg.Close(); f.auth.Close(); f.cdn.Close() })
	return f
}

func (f *fakeDockerHub) note(list *[]string, r *http.Request) {
	f.mu.Lock()
	*list = append(*list, r.Header.Get("Authorization"))
	f.mu.Unlock()
}

func (f *fakeDockerHub) serveRegistry(w http.ResponseWriter, r *http.Request) {
	f.note(&f.regAuth, r)
	if r.Header.Get("Authorization") != "Bearer hub-token" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://auth.test/token",service="registry.docker.io"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}`)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/v2/library/limited/manifests/") {
		w.Header().Set("Retry-After", "60")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, hubRateLimitBody)
		return
	}
	if i := strings.Index(r.URL.Path, "/blobs/sha256:"); i > 0 && r.Method == http.MethodGet {
		f.mu.Lock()
		f.redirects++
		f.mu.Unlock()
		http.Redirect(w, r, "https://cdn.test/registry-v2/"+r.URL.Path[i+len("/blobs/"):]+"?sig=abc", http.StatusTemporaryRedirect)
		return
	}
	f.store.ServeHTTP(w, r)
}

func (f *fakeDockerHub) serveToken(w http.ResponseWriter, r *http.Request) {
	f.note(&f.tokenAuth, r)
	if r.URL.Path != "/token" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token": "hub-token", "access_token": "hub-token", "expires_in": 300})
}

func (f *fakeDockerHub) serveCDN(w http.ResponseWriter, r *http.Request) {
	f.note(&f.cdnAuth, r)
	d := strings.TrimPrefix(r.URL.Path, "/registry-v2/")
	if r.URL.Query().Get("sig") != "abc" || r.Header.Get("Authorization") != "" {
		w.WriteHeader(http.StatusForbidden) // a signed URL wants no other credentials
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawQuery = "/v2/library/any/blobs/"+d, ""
	f.store.ServeHTTP(w, r2)
}

// push stores img in the fake as docker.io/REPO (straight into its registry).
func (f *fakeDockerHub) push(t *testing.T, repo string, img v1.Image) {
	t.Helper()
	srv := httptest.NewServer(f.store)
	defer srv.Close()
	r, _ := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/" + repo)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

// recorder keeps everything that came back to the client.
type recorder struct {
	mu   sync.Mutex
	seen bytes.Buffer
	next http.RoundTripper
}

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := rc.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rc.mu.Lock()
	resp.Header.Write(&rc.seen)
	rc.seen.Write(b)
	rc.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// TestServeProxyEmulatingDockerHub pulls through layerlab serve's proxy from an upstream that
// does Docker Hub's token flow, CDN redirects and rate limiting, with the operator's
// --upstream-auth and the blob cache on.
func TestServeProxyEmulatingDockerHub(t *testing.T) {
	hub := startFakeDockerHub(t)
	img := testimage.PullTest()
	hub.push(t, "library/app:latest", img)
	hub.push(t, "library/limited:latest", img)
	creds := filepath.Join(t.TempDir(), "hub-creds")
	if err := os.WriteFile(creds, []byte("operator:opsecret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opBasic := "Basic " + base64.StdEncoding.EncodeToString([]byte("operator:opsecret"))
	var logs bytes.Buffer
	host := startServeLog(t, &logs,
		"--mirror", "docker.io="+hub.reg.URL, "--mirror", "auth.test="+hub.auth.URL, "--mirror", "cdn.test="+hub.cdn.URL,
		"--allow", "auth.test/token", "--upstream-auth", "docker.io="+creds,
		"--cache", t.TempDir(), "--cache-size", "100MB", "--rate", "0")
	base, _ := url.Parse("http://" + host)
	rec := &recorder{next: http.DefaultTransport}
	viaProxy := remote.WithTransport(&proxy.Transport{Base: base, Next: rec})

	// An anonymous learner's pull: token from the realm host with the operator's account,
	// blobs through the CDN redirect.
	ctx := context.Background()
	pr, _ := ref.Parse("app")
	res, err := registry.Pull(ctx, store.NewMemory(), pr, nil, registry.WithRemote(viaProxy))
	if err != nil {
		t.Fatalf("anonymous pull through the proxy: %v", err)
	}
	if want, _ := img.Digest(); res.Digest != want {
		t.Errorf("pulled %s; want %s", res.Digest, want)
	}
	hub.mu.Lock()
	tokenAuth, regAuth, cdnAuth, redirects := hub.tokenAuth, hub.regAuth, hub.cdnAuth, hub.redirects
	hub.mu.Unlock()
	if len(tokenAuth) == 0 || tokenAuth[0] != opBasic {
		t.Errorf("token requests carried %q; want the operator's credentials", tokenAuth)
	}
	for _, a := range regAuth {
		if a != "" && a != "Bearer hub-token" {
			t.Errorf("the registry got Authorization %q; want only the bearer token", a)
		}
	}
	if redirects == 0 || len(cdnAuth) != redirects {
		t.Errorf("blob redirects %d, CDN requests %d; want every blob through the CDN", redirects, len(cdnAuth))
	}
	for _, a := range cdnAuth {
		if a != "" {
			t.Errorf("the CDN got Authorization %q; want none (the token is for the registry)", a)
		}
	}
	rec.mu.Lock()
	seen := rec.seen.String()
	rec.mu.Unlock()
	for _, secret := range []string{"opsecret", base64.StdEncoding.EncodeToString([]byte("operator:opsecret")), "cdn.test"} {
		if strings.Contains(seen, secret) {
			t.Errorf("the client saw %q; the operator's credentials and the CDN's URL stay in the proxy", secret)
		}
	}

	// A learner with their own Docker Hub account uses it, not the operator's.
	hub.mu.Lock()
	hub.tokenAuth = nil
	hub.mu.Unlock()
	own := registry.WithRemote(remote.WithAuth(&authn.Basic{Username: "learner", Password: "pw123456"}))
	if _, err := registry.Pull(ctx, store.NewMemory(), pr, nil, registry.WithRemote(viaProxy), own); err != nil {
		t.Fatalf("logged-in pull: %v", err)
	}
	hub.mu.Lock()
	learnerBasic := "Basic " + base64.StdEncoding.EncodeToString([]byte("learner:pw123456"))
	if len(hub.tokenAuth) == 0 || hub.tokenAuth[0] != learnerBasic {
		t.Errorf("logged-in learner's token request carried %q; want the learner's own credentials", hub.tokenAuth)
	}
	hub.mu.Unlock()

	// Over the pull limit: the learner sees Docker Hub's message; the 429 and its
	// Retry-After reach the browser.
	var out, errb bytes.Buffer
	env := &cli.Env{Store: store.NewMemory(), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Now: time.Now,
		Remote: func() []remote.Option {
			return []remote.Option{viaProxy, remote.WithRetryBackoff(remote.Backoff{Steps: 1})}
		}}
	code := cli.Run(ctx, env, []string{"pull", "limited"})
	if code != 1 || !strings.Contains(errb.String(), "You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit") {
		t.Errorf("pull over the limit: exit %d, stderr %q; want 1 and Docker Hub's rate limit message", code, errb.String())
	}
	tok := fetchToken(t, base)
	req, _ := http.NewRequest("GET", base.String()+"/proxy/registry-1.docker.io/v2/library/limited/manifests/latest", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "60" || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Retry-After") || string(body) != hubRateLimitBody {
		t.Errorf("429 through the proxy: got %d, Retry-After %q, exposed %q, body %q", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Access-Control-Expose-Headers"), body)
	}
	if strings.Contains(logs.String(), "opsecret") {
		t.Errorf("serve's output holds the operator's password:\n%s", logs.String())
	}
}

func fetchToken(t *testing.T, base *url.URL) string {
	t.Helper()
	resp, err := http.Get(base.String() + "/proxy/auth.test/token?service=registry.docker.io&scope=repository:library/limited:pull")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("token through the proxy: %v (status %d)", err, resp.StatusCode)
	}
	return tok.Token
}

// startServeLog is startServe with serve's stderr kept.
func startServeLog(t *testing.T, stderr io.Writer, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var mu sync.Mutex
	data := t.TempDir() // before the cleanup that stops serve is registered, so removed after it
	go func() {
		done <- serve(ctx, append([]string{"--addr", "127.0.0.1:0", "--data", data}, args...), pw, lockedWriter{&mu, stderr})
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr)
		<-done
	})
	buf := make([]byte, 0, 256)
	one := make([]byte, 1)
	for {
		if _, err := pr.Read(one); err != nil {
			t.Fatalf("reading serve's first line: %v", err)
		}
		if one[0] == '\n' {
			break
		}
		buf = append(buf, one[0])
	}
	line := string(buf)
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("serve said %q", line)
	}
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line[i:]), "http://"), "/")
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
