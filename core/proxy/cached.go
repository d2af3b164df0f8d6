package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

var digestShape = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

var errTooBig = errors.New("larger than the cache")

// serveDigest answers a GET of a blob or a manifest by digest from the cache, downloading it
// first if no other request is already doing so. Every client is checked with the upstream
// (a HEAD, with its own credentials) before it gets cached bytes: the cache never hands out
// what the upstream would refuse that client.
func (h *Handler) serveDigest(w http.ResponseWriter, r *http.Request, host, path, digest string) {
	for {
		if f, e := h.cache.open(digest); f != nil {
			h.serveFromCache(w, r, host, path, digest, f, e)
			return
		}
		fl, leader := h.cache.join(digest)
		if leader {
			h.download(w, r, host, path, digest, fl)
			return
		}
		// Wait for that download; if it did not end in the cache (its client was refused,
		// say), the next one to get here downloads.
		select {
		case <-fl.done:
		case <-r.Context().Done():
			return
		}
		if fl.uncacheable {
			break // too big to keep: everyone streams their own copy
		}
	}
	resp, ok := h.send(w, r, r.Context(), http.MethodGet, host, path, nil)
	if !ok {
		return
	}
	defer resp.Body.Close()
	h.relay(w, r, host, path, resp, nil)
}

// download fetches digest for this client while keeping a verified copy in the cache.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, host, path, digest string, fl *flight) {
	kept := false
	defer func() { h.cache.land(digest, fl, kept) }()
	// Another flight may have landed between the look-up and the join.
	if f, e := h.cache.open(digest); f != nil {
		kept = true
		h.serveFromCache(w, r, host, path, digest, f, e)
		return
	}
	// The download goes on for the requests waiting on it if this client leaves.
	resp, ok := h.send(w, r, context.WithoutCancel(r.Context()), http.MethodGet, host, path, nil)
	if !ok {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		h.relay(w, r, host, path, resp, nil)
		return
	}
	cw, err := h.cache.create(digest)
	if err == nil && resp.ContentLength > h.cache.max {
		cw.abort()
		err = errTooBig
	}
	if err != nil {
		fl.uncacheable = true
		h.relay(w, r, host, path, resp, nil)
		return
	}
	h.relay(w, r, host, path, resp, cw)
	mt := ""
	if strings.Contains(path, "/manifests/") {
		mt = resp.Header.Get("Content-Type")
	}
	kept = cw.commit(mt)
}

// allowedUpstream asks the upstream, with the client's credentials, whether it may have path (a
// HEAD; a redirect to the blob's CDN is a yes). A refusal has been relayed to w.
func (h *Handler) allowedUpstream(w http.ResponseWriter, r *http.Request, host, path string) (*http.Response, bool) {
	resp, ok := h.sendWith(w, r, h.noFollow, http.MethodHead, host, path)
	if !ok {
		return nil, false
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || (resp.StatusCode/100 == 3 && strings.Contains(path, "/blobs/")) {
		return resp, true
	}
	h.relay(w, r, host, path, resp, nil)
	return nil, false
}

func (h *Handler) sendWith(w http.ResponseWriter, r *http.Request, c *http.Client, method, host, path string) (*http.Response, bool) {
	resp, err := h.do(r.Context(), c, r, method, host, path, nil)
	if err != nil {
		h.failErr(w, host, err)
		return nil, false
	}
	return resp, true
}

func (h *Handler) serveFromCache(w http.ResponseWriter, r *http.Request, host, path, digest string, f io.ReadSeekCloser, e *cacheEntry) {
	defer f.Close()
	if _, ok := h.allowedUpstream(w, r, host, path); !ok {
		return
	}
	setCORS(w, h.push[canonical(host)])
	hd := w.Header()
	hd.Set("Access-Control-Expose-Headers", strings.Join(exposed, ", "))
	hd.Set("Docker-Content-Digest", digest)
	ct := e.mediaType
	if ct == "" {
		ct = "application/octet-stream"
	}
	hd.Set("Content-Type", ct)
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("ETag", `"`+digest+`"`)
	hd.Set("X-Layerlab-Cache", "hit")
	http.ServeContent(w, r, "", time.Time{}, f)
}

// serveTagFromCache answers a GET of a manifest by tag: the tag is resolved with a HEAD
// (which Docker Hub does not count against the pull limit) and the manifest it names comes
// from the cache when it is there; otherwise the GET goes upstream and its manifest is kept
// under its digest for the next time. It returns false when the caller should forward the
// GET as it is.
func (h *Handler) serveTagFromCache(w http.ResponseWriter, r *http.Request, host, path string) bool {
	resp, err := h.do(r.Context(), h.noFollow, r, http.MethodHead, host, path, nil)
	if err != nil {
		return false
	}
	resp.Body.Close()
	d := resp.Header.Get("Docker-Content-Digest")
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK || !digestShape.MatchString(d) {
		return false
	}
	if f, e := h.cache.open(d); f != nil {
		defer f.Close()
		if e.mediaType == ct {
			setCORS(w, h.push[canonical(host)])
			hd := w.Header()
			hd.Set("Docker-Content-Digest", d)
			hd.Set("Content-Type", ct)
			hd.Set("Cache-Control", "no-store") // a tag moves
			hd.Set("X-Layerlab-Cache", "hit")
			http.ServeContent(w, r, "", time.Time{}, f)
			return true
		}
	}
	get, ok := h.send(w, r, r.Context(), http.MethodGet, host, path, nil)
	if !ok {
		return true
	}
	defer get.Body.Close()
	gd := get.Header.Get("Docker-Content-Digest")
	if get.StatusCode != http.StatusOK || !digestShape.MatchString(gd) || get.ContentLength > h.maxManifest {
		h.relay(w, r, host, path, get, nil)
		return true
	}
	cw, err := h.cache.create(gd)
	if err != nil {
		h.relay(w, r, host, path, get, nil)
		return true
	}
	h.relay(w, r, host, path, get, cw)
	cw.commit(get.Header.Get("Content-Type"))
	return true
}
