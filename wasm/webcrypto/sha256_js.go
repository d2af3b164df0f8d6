//go:build js && wasm

// Package webcrypto gives the browser's WebCrypto SHA-256 as a hash.Hash. Go's crypto/sha256
// has no assembly in wasm (about 40 MB/s in the page's worker); WebCrypto hashes at native
// speed but only a whole buffer at once, so the hash keeps what is written (in JavaScript
// memory, not the Go heap) and digests it when summed. Past Limit bytes it stops keeping and
// hashes with Go instead; where WebCrypto is missing (a page not served from a secure
// context has no crypto.subtle) it is Go's from the start.
//
// Sum waits for a JavaScript promise (package promise): call it from a goroutine, never from
// inside a js.FuncOf callback.
package webcrypto

import (
	"context"
	"crypto/sha256"
	"hash"
	"syscall/js"

	"github.com/layerlab/layerlab/wasm/promise"
)

// Limit is the most a hash keeps for WebCrypto; a variable so that tests can lower it.
var Limit int64 = 128 << 20

// Available reports whether crypto.subtle can be used; tests replace it.
var Available = func() bool {
	c := js.Global().Get("crypto")
	return c.Type() == js.TypeObject && c.Get("subtle").Type() == js.TypeObject
}

// SHA256 returns a new SHA-256 hash: WebCrypto's when the browser has it.
func SHA256() hash.Hash {
	if !Available() {
		return sha256.New()
	}
	return &webHash{}
}

// flushSize is how much webHash gathers in Go before copying it to JavaScript.
const flushSize = 1 << 20

type webHash struct {
	buf    []byte     // written, not yet copied to JavaScript
	chunks []js.Value // Uint8Arrays, in order
	n      int64      // bytes in chunks
	gohash hash.Hash  // once past Limit: Go's hash, fed everything
}

func (w *webHash) Write(p []byte) (int, error) {
	if w.gohash != nil {
		return w.gohash.Write(p)
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= flushSize {
		w.flush()
	}
	if w.n+int64(len(w.buf)) > Limit {
		w.toGo()
	}
	return len(p), nil
}

func (w *webHash) flush() {
	if len(w.buf) == 0 {
		return
	}
	a := js.Global().Get("Uint8Array").New(len(w.buf))
	js.CopyBytesToJS(a, w.buf)
	w.chunks = append(w.chunks, a)
	w.n += int64(len(w.buf))
	w.buf = w.buf[:0]
}

// toGo moves to Go's hash, feeding it what was kept.
func (w *webHash) toGo() {
	h := sha256.New()
	var b []byte
	for _, c := range w.chunks {
		n := c.Get("length").Int()
		if cap(b) < n {
			b = make([]byte, n)
		}
		js.CopyBytesToGo(b[:n], c)
		h.Write(b[:n])
	}
	h.Write(w.buf)
	w.gohash, w.chunks, w.buf, w.n = h, nil, nil, 0
}

func (w *webHash) Sum(b []byte) []byte {
	if w.gohash != nil {
		return w.gohash.Sum(b)
	}
	w.flush()
	all := js.Global().Get("Uint8Array").New(w.n)
	off := 0
	for _, c := range w.chunks {
		all.Call("set", c, off)
		off += c.Get("length").Int()
	}
	digest, err := promise.Await(context.Background(), js.Global().Get("crypto").Get("subtle").Call("digest", "SHA-256", all))
	if err != nil {
		// WebCrypto refused (it should not): Go's hash gives the same answer, slower.
		w.toGo()
		return w.gohash.Sum(b)
	}
	sum := make([]byte, sha256.Size)
	js.CopyBytesToGo(sum, js.Global().Get("Uint8Array").New(digest))
	return append(b, sum...)
}

func (w *webHash) Reset() {
	w.buf, w.chunks, w.n, w.gohash = w.buf[:0], nil, 0, nil
}

func (w *webHash) Size() int      { return sha256.Size }
func (w *webHash) BlockSize() int { return sha256.BlockSize }
