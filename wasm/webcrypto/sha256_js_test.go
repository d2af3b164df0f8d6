//go:build js && wasm

package webcrypto

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"
)

// The WebCrypto hash gives crypto/sha256's digests: empty, small writes, writes around the
// flush size, past Limit (where it moves to Go midway), and after Reset.
func TestSHA256MatchesGo(t *testing.T) {
	if !Available() {
		t.Fatal("the test page has no crypto.subtle (is it served from a secure context?)")
	}
	defer func(n int64) { Limit = n }(Limit)
	Limit = 3 * flushSize
	data := bytes.Repeat([]byte("layerlab 0123456789\n"), (5*flushSize)/20+7)
	for _, n := range []int{0, 1, 64, flushSize - 1, flushSize, flushSize + 1, 3 * flushSize, 3*flushSize + 1, len(data)} {
		for _, step := range []int{1 << 15, 7777, flushSize * 2} {
			h := SHA256()
			if _, ok := h.(*webHash); !ok {
				t.Fatalf("SHA256() is a %T; want the WebCrypto one", h)
			}
			r := bytes.NewReader(data[:n])
			if _, err := io.CopyBuffer(h, r, make([]byte, step)); err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256(data[:n])
			if got := h.Sum([]byte("prefix")); !bytes.Equal(got, append([]byte("prefix"), want[:]...)) {
				t.Errorf("%d bytes in writes of %d: Sum = %x; want prefix + %x", n, step, got, want)
			}
			h.Reset()
			h.Write([]byte("abc"))
			if got, want := h.Sum(nil), sha256.Sum256([]byte("abc")); !bytes.Equal(got, want[:]) {
				t.Errorf("after Reset: Sum = %x; want %x", got, want)
			}
		}
	}
}

// Without WebCrypto, SHA256 is crypto/sha256's.
func TestSHA256WithoutWebCrypto(t *testing.T) {
	defer func(f func() bool) { Available = f }(Available)
	Available = func() bool { return false }
	h := SHA256()
	if _, ok := h.(*webHash); ok {
		t.Fatal("SHA256() used WebCrypto where it is missing")
	}
	h.Write([]byte("abc"))
	if got, want := h.Sum(nil), sha256.Sum256([]byte("abc")); !bytes.Equal(got, want[:]) {
		t.Errorf("Sum = %x; want %x", got, want)
	}
}
