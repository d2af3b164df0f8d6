package main

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// siteFiles is the built site (make build writes it; see site/.gitignore).
//
//go:embed all:site
var siteFiles embed.FS

// fallbackPage is served at / when the binary was built without the site.
//
//go:embed fallback.html
var fallbackPage []byte

// contentTypes is fixed here rather than read from the machine's mime.types, so every
// machine serves the same headers (instantiateStreaming insists on application/wasm).
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".wasm":        "application/wasm",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".txt":         "text/plain; charset=utf-8",
	".woff2":       "font/woff2",
}

// hashedName matches the content-hashed names the build gives assets (esbuild's
// [name]-[hash], and the wasm's name-HEX): their bytes never change under that name, so
// browsers may keep them for a year without asking again.
var hashedName = regexp.MustCompile(`-[0-9A-Z]{8,}\.[a-z0-9]+(\.map)?$`)

// encodings in order of preference; the build writes name.br and name.gz beside name.
var encodings = []struct{ name, suffix string }{{"br", ".br"}, {"gzip", ".gz"}}

type asset struct {
	contentType  string
	cacheControl string
	etag         string            // of the identity bytes; variants add their encoding
	body         map[string][]byte // by Content-Encoding; "" = identity
}

// siteHandler serves the files of fsys, each from memory, in the best precompressed
// encoding the client accepts.
type siteHandler struct {
	assets map[string]*asset // by URL path
}

func newSiteHandler(fsys fs.FS) (*siteHandler, error) {
	h := &siteHandler{assets: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != "." {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		for _, e := range encodings {
			if strings.HasSuffix(p, e.suffix) {
				if _, err := fs.Stat(fsys, strings.TrimSuffix(p, e.suffix)); err == nil {
					return nil // a variant, read with its base below
				}
			}
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("reading site file %s: %w", p, err)
		}
		a := newAsset(p, b)
		for _, e := range encodings {
			v, err := fs.ReadFile(fsys, p+e.suffix)
			if err == nil {
				a.body[e.name] = v
			}
		}
		h.assets["/"+p] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading the site: %w", err)
	}
	if h.assets["/index.html"] == nil {
		h.assets = map[string]*asset{"/index.html": newAsset("index.html", fallbackPage)}
	}
	h.assets["/"] = h.assets["/index.html"]
	return h, nil
}

func newAsset(name string, b []byte) *asset {
	sum := sha256.Sum256(b)
	a := &asset{
		contentType:  contentTypes[path.Ext(name)],
		cacheControl: "no-cache",
		etag:         hex.EncodeToString(sum[:16]),
		body:         map[string][]byte{"": b},
	}
	if a.contentType == "" {
		a.contentType = "application/octet-stream"
	}
	if hashedName.MatchString(path.Base(name)) {
		a.cacheControl = "public, max-age=31536000, immutable"
	}
	return a
}

func (h *siteHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a := h.assets[r.URL.Path]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	enc := chooseEncoding(r.Header.Get("Accept-Encoding"), a)
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", a.cacheControl)
	hd.Set("X-Content-Type-Options", "nosniff")
	if len(a.body) > 1 {
		hd.Set("Vary", "Accept-Encoding")
	}
	etag := a.etag
	if enc != "" {
		hd.Set("Content-Encoding", enc)
		etag += "-" + enc
	}
	etag = strconv.Quote(etag)
	hd.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	// Written here rather than by http.ServeContent, which leaves out Content-Length for
	// encoded bodies; the page's download progress needs it. No Range support: nothing
	// here is big enough to resume.
	body := a.body[enc]
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagMatches reports whether an If-None-Match header names etag (weakly, as HTTP says
// If-None-Match compares).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// chooseEncoding picks the best encoding of a that the Accept-Encoding header allows, or ""
// for the identity bytes.
func chooseEncoding(header string, a *asset) string {
	accepted := map[string]bool{}
	star := false
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		ok := true
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q <= 0 {
					ok = false
				}
			}
		}
		if name == "*" {
			star = ok
			continue
		}
		if name != "" {
			accepted[name] = ok
		}
	}
	for _, e := range encodings {
		if _, has := a.body[e.name]; !has {
			continue
		}
		if ok, named := accepted[e.name]; (named && ok) || (!named && star) {
			return e.name
		}
	}
	return ""
}
