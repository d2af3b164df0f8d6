package proxy_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/proxy"
)

// counting wraps an upstream and counts requests by "METHOD kind" (kind: blob, manifest,
// other), and can refuse clients without the right token.
type counting struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]int
	// token, when set, is the Bearer token blob and manifest requests need.
	token string
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := "other"
	switch {
	case strings.Contains(r.URL.Path, "/blobs/"):
		kind = "blob"
	case strings.Contains(r.URL.Path, "/manifests/"):
		kind = "manifest"
	}
	c.mu.Lock()
	c.n[r.Method+" "+kind]++
	c.mu.Unlock()
	if c.token != "" && kind != "other" && r.Header.Get("Authorization") != "Bearer "+c.token {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://auth.test/token",service="test"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	c.next.ServeHTTP(w, r)
}

func (c *counting) count(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

func (c *counting) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]int{}
}

// cachedProxy is a proxy with a cache of max bytes in front of a counting in-process
// registry (go-containerregistry's) that holds img as library/img:latest.
func cachedProxy(t *testing.T, max int64, imgs ...v1.Image) (*counting, *httptest.Server, string) {
	t.Helper()
	up := &counting{next: ggcrregistry.New(ggcrregistry.Logger(nopLogger())), n: map[string]int{}}
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	for i, img := range imgs {
		r, _ := name.ParseReference(fmt.Sprintf("%s/library/img:v%d", strings.TrimPrefix(upSrv.URL, "http://"), i))
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	h, err := proxy.New(proxy.WithMirror("docker.io", upSrv.URL), proxy.WithCache(dir, max), proxy.WithRate(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	up.reset()
	return up, serve(t, h), dir
}

func get(t *testing.T, u string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Hash
	for _, l := range ls {
		d, _ := l.Digest()
		out = append(out, d)
	}
	return out
}

func TestCacheSharesOneDownload(t *testing.T) {
	img, _ := random.Image(2<<20, 1)
	up, srv, _ := cachedProxy(t, 1<<30, img)
	d := layerDigests(t, img)[0]
	u := srv.URL + "/proxy/index.docker.io/v2/library/img/blobs/" + d.String()
	const n = 20
	var wg sync.WaitGroup
	sums := make([]string, n)
	codes := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := http.Get(u)
			if err != nil {
				t.Error(err)
				return
			}
			h := sha256.New()
			io.Copy(h, resp.Body)
			resp.Body.Close()
			codes[i], sums[i] = resp.StatusCode, "sha256:"+hex.EncodeToString(h.Sum(nil))
		}(i)
	}
	wg.Wait()
	for i := range sums {
		if codes[i] != 200 || sums[i] != d.String() {
			t.Errorf("client %d: got %d %s; want 200 %s", i, codes[i], sums[i], d)
		}
	}
	if got := up.count("GET blob"); got != 1 {
		t.Errorf("upstream blob GETs: got %d; want 1 shared by %d clients", got, n)
	}
	// Later clients are served from the cache, each checked with a HEAD.
	resp, _ := get(t, u)
	if got := up.count("GET blob"); got != 1 || resp.Header.Get("X-Layerlab-Cache") != "hit" {
		t.Errorf("after the download: upstream GETs %d, X-Layerlab-Cache %q; want 1 and hit", got, resp.Header.Get("X-Layerlab-Cache"))
	}
	for k, want := range map[string]string{
		"Cache-Control":         "public, max-age=31536000, immutable",
		"Docker-Content-Digest": d.String(),
		"ETag":                  `"` + d.String() + `"`,
		"Content-Length":        fmt.Sprint(must(must(img.Layers())[0].Size())),
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: got %q; want %q", k, got, want)
		}
	}
	// A whole pull through the proxy now takes no blob from the upstream.
	before := up.count("GET blob")
	base, _ := url.Parse(srv.URL)
	r, _ := name.ParseReference("library/img:v0")
	pulled, err := remote.Image(r, remote.WithTransport(&proxy.Transport{Base: base}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pulled.RawConfigFile(); err != nil {
		t.Fatal(err)
	}
	for _, l := range must(pulled.Layers()) {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, rc)
		if err := rc.Close(); err != nil {
			t.Fatalf("layer digest check: %v", err)
		}
	}
	if got := up.count("GET blob") - before; got != 1 { // the config blob, not the layer
		t.Errorf("blob GETs for a pull after the cache filled: got %d; want 1 (the config only)", got)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestCacheResolvesTagsWithHead(t *testing.T) {
	img, _ := random.Image(1024, 1)
	up, srv, _ := cachedProxy(t, 1<<30, img)
	u := srv.URL + "/proxy/index.docker.io/v2/library/img/manifests/v0"
	want, _ := img.Digest()
	accept := "application/vnd.docker.distribution.manifest.v2+json"
	for i := 0; i < 3; i++ {
		resp, b := get(t, u, "Accept", accept)
		got := fmt.Sprintf("sha256:%x", sha256.Sum256(b))
		if resp.StatusCode != 200 || got != want.String() || resp.Header.Get("Docker-Content-Digest") != want.String() {
			t.Fatalf("GET %d: got %d, body %s, header %q; want 200 and %s", i, resp.StatusCode, got, resp.Header.Get("Docker-Content-Digest"), want)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %d by tag: Cache-Control %q; want no-store (tags move)", i, cc)
		}
	}
	if g, h := up.count("GET manifest"), up.count("HEAD manifest"); g != 1 || h != 3 {
		t.Errorf("upstream saw %d manifest GETs and %d HEADs; want 1 GET (counted by Docker Hub) and 3 HEADs", g, h)
	}
	// by digest, it is in the cache already (kept from the tag's GET)
	resp, _ := get(t, srv.URL+"/proxy/index.docker.io/v2/library/img/manifests/"+want.String(), "Accept", accept)
	if resp.StatusCode != 200 || resp.Header.Get("X-Layerlab-Cache") != "hit" || up.count("GET manifest") != 1 {
		t.Errorf("manifest by digest: got %d, cache %q, upstream GETs %d; want 200, hit, 1", resp.StatusCode, resp.Header.Get("X-Layerlab-Cache"), up.count("GET manifest"))
	}
	if got := resp.Header.Get("Content-Type"); got != accept {
		t.Errorf("cached manifest Content-Type: got %q; want %q", got, accept)
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	var imgs []v1.Image
	for i := 0; i < 3; i++ {
		img, _ := random.Image(1000, 1)
		imgs = append(imgs, img)
	}
	up, srv, dir := cachedProxy(t, 2500, imgs...)
	var ds []string
	for _, img := range imgs {
		ds = append(ds, layerDigests(t, img)[0].String())
	}
	fetch := func(i int) {
		resp, _ := get(t, srv.URL+"/proxy/index.docker.io/v2/library/img/blobs/"+ds[i])
		if resp.StatusCode != 200 {
			t.Fatalf("blob %d: got %d", i, resp.StatusCode)
		}
	}
	fetch(0)
	fetch(1)
	fetch(0) // 0 is now more recent than 1
	fetch(2) // over 2500 bytes: 1 goes
	var kept []string
	des, _ := os.ReadDir(filepath.Join(dir, "sha256"))
	for _, de := range des {
		kept = append(kept, "sha256:"+de.Name())
	}
	sort.Strings(kept)
	want := []string{ds[0], ds[2]}
	sort.Strings(want)
	if strings.Join(kept, " ") != strings.Join(want, " ") {
		t.Errorf("cache holds %v; want %v (blob 1 evicted)", kept, want)
	}
	if got := up.count("GET blob"); got != 3 {
		t.Errorf("upstream blob GETs: got %d; want 3", got)
	}
	fetch(1)
	if got := up.count("GET blob"); got != 4 {
		t.Errorf("upstream blob GETs after refetching the evicted blob: got %d; want 4", got)
	}
}

// badBlobs answers every blob GET with bytes that are not the digest asked for.
type badBlobs struct {
	mu sync.Mutex
	n  int
}

func (b *badBlobs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.n++
	b.mu.Unlock()
	io.WriteString(w, "not what you asked for")
}

func TestCacheKeepsOnlyVerifiedBlobs(t *testing.T) {
	up := &badBlobs{}
	upSrv := httptest.NewServer(up)
	defer upSrv.Close()
	dir := t.TempDir()
	h, err := proxy.New(proxy.WithMirror("docker.io", upSrv.URL), proxy.WithCache(dir, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	u := srv.URL + "/proxy/index.docker.io/v2/library/x/blobs/sha256:" + strings.Repeat("ab", 32)
	for i := 0; i < 2; i++ {
		get(t, u)
	}
	if up.n != 2 {
		t.Errorf("upstream GETs: got %d; want 2 (a blob that fails its digest is not kept)", up.n)
	}
	des, _ := os.ReadDir(filepath.Join(dir, "sha256"))
	if len(des) != 0 {
		t.Errorf("cache dir holds %d files; want none", len(des))
	}
}

func TestCacheChecksEachClientWithUpstream(t *testing.T) {
	img, _ := random.Image(1000, 1)
	up, srv, _ := cachedProxy(t, 1<<20, img)
	up.token = "good"
	d := layerDigests(t, img)[0].String()
	u := srv.URL + "/proxy/index.docker.io/v2/library/img/blobs/" + d
	if resp, _ := get(t, u, "Authorization", "Bearer good"); resp.StatusCode != 200 {
		t.Fatalf("with the token: got %d; want 200", resp.StatusCode)
	}
	resp, b := get(t, u)
	if resp.StatusCode != 401 || len(b) != 0 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `realm="https://auth.test/token"`) {
		t.Errorf("without a token, blob cached: got %d, %d bytes, challenge %q; want the upstream's 401 and no bytes", resp.StatusCode, len(b), resp.Header.Get("WWW-Authenticate"))
	}
	if got := up.count("GET blob"); got != 1 {
		t.Errorf("upstream blob GETs: got %d; want 1", got)
	}
}

func nopLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// TestProxyPushOnlyWhereAllowed: pushes go through to an upstream only with WithAllowPush.
func TestProxyPushOnlyWhereAllowed(t *testing.T) {
	upSrv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(nopLogger())))
	defer upSrv.Close()
	img, _ := random.Image(1000, 2)
	for _, allow := range []bool{false, true} {
		opts := []proxy.Option{proxy.WithMirror("docker.io", upSrv.URL)}
		if allow {
			opts = append(opts, proxy.WithAllowPush("docker.io"))
		}
		h, err := proxy.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		srv := serve(t, h)
		base, _ := url.Parse(srv.URL)
		r, _ := name.ParseReference("learner/app:v1")
		err = remote.Write(r, img, remote.WithTransport(&proxy.Transport{Base: base}), remote.WithRetryBackoff(remote.Backoff{Steps: 1}))
		switch {
		case allow && err != nil:
			t.Errorf("push with --allow-push: %v", err)
		case !allow && (err == nil || !strings.Contains(err.Error(), "--allow-push docker.io allows pushing there")):
			t.Errorf("push without --allow-push: got %v; want the proxy's refusal naming --allow-push", err)
		}
	}
	got, err := remote.Image(must(name.ParseReference(strings.TrimPrefix(upSrv.URL, "http://") + "/learner/app:v1")))
	if err != nil {
		t.Fatal(err)
	}
	if gd, wd := must(got.Digest()), must(img.Digest()); gd != wd {
		t.Errorf("upstream holds %s; want %s", gd, wd)
	}
}

// TestCacheStreamsWhatItCannotKeep: a blob larger than the whole cache goes to every client
// straight from the upstream, none waiting for another's copy, and nothing is kept.
func TestCacheStreamsWhatItCannotKeep(t *testing.T) {
	img, _ := random.Image(64<<10, 1)
	up, srv, dir := cachedProxy(t, 32<<10, img)
	d := layerDigests(t, img)[0].String()
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, b := get(t, srv.URL+"/proxy/index.docker.io/v2/library/img/blobs/"+d)
			if got := fmt.Sprintf("sha256:%x", sha256.Sum256(b)); resp.StatusCode != 200 || got != d {
				t.Errorf("got %d %s; want 200 %s", resp.StatusCode, got, d)
			}
		}()
	}
	wg.Wait()
	if got := up.count("GET blob"); got != 5 {
		t.Errorf("upstream blob GETs: got %d; want 5", got)
	}
	if des, _ := os.ReadDir(filepath.Join(dir, "sha256")); len(des) != 0 {
		t.Errorf("cache holds %d files; want none", len(des))
	}
}
