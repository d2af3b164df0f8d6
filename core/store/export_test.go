package store

import v1 "github.com/google/go-containerregistry/pkg/v1"

// CorruptMemoryBlob flips a byte of (or, for an empty blob, appends one to) the stored
// bytes of d, as a failing medium would.
func CorruptMemoryBlob(m *Memory, d v1.Hash) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := append([]byte(nil), m.blobs[d]...)
	if len(b) == 0 {
		b = []byte{0}
	} else {
		b[len(b)/2] ^= 0xff
	}
	m.blobs[d] = b
}
