package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func br(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := brotli.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func testSite(t *testing.T) fstest.MapFS {
	const wasm = "\x00asm wasm bytes"
	const js = "console.log('hi')"
	return fstest.MapFS{
		".gitignore":                    {Data: []byte("*\n")},
		"index.html":                    {Data: []byte("<!doctype html>page")},
		"index.html.br":                 {Data: br(t, "<!doctype html>page")},
		"index.html.gz":                 {Data: gz(t, "<!doctype html>page")},
		"layerlab-0123456789AB.wasm":    {Data: []byte(wasm)},
		"layerlab-0123456789AB.wasm.br": {Data: br(t, wasm)},
		"layerlab-0123456789AB.wasm.gz": {Data: gz(t, wasm)},
		"main-ABCD2345.js":              {Data: []byte(js)},
		"main-ABCD2345.js.gz":           {Data: gz(t, js)},
		"favicon.svg":                   {Data: []byte("<svg/>")},
	}
}

func get(t *testing.T, h http.Handler, method, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func decode(t *testing.T, enc string, b []byte) string {
	t.Helper()
	var r io.Reader = bytes.NewReader(b)
	switch enc {
	case "br":
		r = brotli.NewReader(r)
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s body: %v", enc, err)
	}
	return string(out)
}

func TestSiteHandler(t *testing.T) {
	h, err := newSiteHandler(testSite(t))
	if err != nil {
		t.Fatal(err)
	}
	const immutable = "public, max-age=31536000, immutable"
	tests := []struct {
		name, path, acceptEncoding        string
		wantStatus                        int
		wantType, wantEncoding, wantCache string
		wantVary                          string
		wantBody                          string
	}{
		{"index br", "/", "gzip, deflate, br", 200, "text/html; charset=utf-8", "br", "no-cache", "Accept-Encoding", "<!doctype html>page"},
		{"index by name gzip", "/index.html", "gzip", 200, "text/html; charset=utf-8", "gzip", "no-cache", "Accept-Encoding", "<!doctype html>page"},
		{"index identity", "/", "", 200, "text/html; charset=utf-8", "", "no-cache", "Accept-Encoding", "<!doctype html>page"},
		{"wasm br", "/layerlab-0123456789AB.wasm", "br", 200, "application/wasm", "br", immutable, "Accept-Encoding", "\x00asm wasm bytes"},
		{"br refused by q=0", "/layerlab-0123456789AB.wasm", "br;q=0, gzip", 200, "application/wasm", "gzip", immutable, "Accept-Encoding", "\x00asm wasm bytes"},
		{"star", "/layerlab-0123456789AB.wasm", "*", 200, "application/wasm", "br", immutable, "Accept-Encoding", "\x00asm wasm bytes"},
		{"js has only gzip", "/main-ABCD2345.js", "br", 200, "text/javascript; charset=utf-8", "", immutable, "Accept-Encoding", "console.log('hi')"},
		{"js gzip", "/main-ABCD2345.js", "gzip, br", 200, "text/javascript; charset=utf-8", "gzip", immutable, "Accept-Encoding", "console.log('hi')"},
		{"unhashed no variants", "/favicon.svg", "br", 200, "image/svg+xml", "", "no-cache", "", "<svg/>"},
		{"dotfile hidden", "/.gitignore", "", 404, "", "", "", "", ""},
		{"variant not served by name", "/index.html.br", "", 404, "", "", "", "", ""},
		{"missing", "/nope.js", "", 404, "", "", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(t, h, "GET", tc.path, map[string]string{"Accept-Encoding": tc.acceptEncoding})
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d; want %d", resp.StatusCode, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				return
			}
			for _, c := range []struct{ header, want string }{
				{"Content-Type", tc.wantType},
				{"Content-Encoding", tc.wantEncoding},
				{"Cache-Control", tc.wantCache},
				{"Vary", tc.wantVary},
				{"X-Content-Type-Options", "nosniff"},
			} {
				if got := resp.Header.Get(c.header); got != c.want {
					t.Errorf("%s = %q; want %q", c.header, got, c.want)
				}
			}
			body, _ := io.ReadAll(resp.Body)
			if got, want := resp.Header.Get("Content-Length"), strconv.Itoa(len(body)); got != want {
				t.Errorf("Content-Length = %q; want %q", got, want)
			}
			if got := decode(t, tc.wantEncoding, body); got != tc.wantBody {
				t.Errorf("body = %q; want %q", got, tc.wantBody)
			}
		})
	}
}

func TestSiteHandlerRevalidates(t *testing.T) {
	h, err := newSiteHandler(testSite(t))
	if err != nil {
		t.Fatal(err)
	}
	first := get(t, h, "GET", "/", map[string]string{"Accept-Encoding": "br"})
	etag := first.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on index.html")
	}
	again := get(t, h, "GET", "/", map[string]string{"Accept-Encoding": "br", "If-None-Match": etag})
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation status = %d; want 304", again.StatusCode)
	}
	weak := get(t, h, "GET", "/", map[string]string{"Accept-Encoding": "br", "If-None-Match": `"x", W/` + etag})
	if weak.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with a list and a weak tag: status = %d; want 304", weak.StatusCode)
	}
	other := get(t, h, "GET", "/", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag})
	if other.StatusCode != http.StatusOK {
		t.Errorf("gzip request with the br ETag: status = %d; want 200 (variants have their own ETags)", other.StatusCode)
	}
	head := get(t, h, "HEAD", "/", nil)
	if b, _ := io.ReadAll(head.Body); head.StatusCode != 200 || len(b) != 0 {
		t.Errorf("HEAD: status %d, %d body bytes; want 200 and none", head.StatusCode, len(b))
	}
	post := get(t, h, "POST", "/", nil)
	if post.StatusCode != http.StatusMethodNotAllowed || post.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d Allow %q; want 405 and %q", post.StatusCode, post.Header.Get("Allow"), "GET, HEAD")
	}
}

func TestSiteHandlerFallback(t *testing.T) {
	h, err := newSiteHandler(fstest.MapFS{".gitignore": {Data: []byte("*\n")}})
	if err != nil {
		t.Fatal(err)
	}
	resp := get(t, h, "GET", "/", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "make run") {
		t.Errorf("status %d body %q; want 200 and the fallback page saying to run make run", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control = %q; want %q", got, "no-cache")
	}
}

// TestEmbeddedSite checks what this binary really embeds: either nothing (a clean clone:
// the fallback page) or a built site whose every precompressed variant decodes to its base
// and whose page names only assets the server has.
func TestEmbeddedSite(t *testing.T) {
	site, err := fs.Sub(siteFiles, "site")
	if err != nil {
		t.Fatal(err)
	}
	h, err := newSiteHandler(site)
	if err != nil {
		t.Fatal(err)
	}
	for p, a := range h.assets {
		for enc, b := range a.body {
			if enc == "" {
				continue
			}
			if got := decode(t, enc, b); got != string(a.body[""]) {
				t.Errorf("%s: the %s variant decodes to %d bytes that differ from the file's %d", p, enc, len(got), len(a.body[""]))
			}
		}
	}
	if _, err := fs.Stat(site, "index.html"); err != nil {
		t.Logf("no built site embedded (clean clone): serving the fallback page")
		return
	}
	if a := h.assets["/"]; a.contentType != "text/html; charset=utf-8" || a.cacheControl != "no-cache" {
		t.Errorf("index.html: type %q cache %q; want html, no-cache", a.contentType, a.cacheControl)
	}
	var wasm int
	for p, a := range h.assets {
		if strings.HasSuffix(p, ".wasm") {
			wasm++
			if a.contentType != "application/wasm" || !strings.Contains(a.cacheControl, "immutable") {
				t.Errorf("%s: type %q cache %q; want application/wasm, immutable", p, a.contentType, a.cacheControl)
			}
			if _, ok := a.body["br"]; !ok {
				t.Errorf("%s has no brotli variant", p)
			}
		}
	}
	if wasm != 1 {
		t.Errorf("built site holds %d .wasm files; want 1", wasm)
	}
}
