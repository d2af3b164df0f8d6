package main

import (
	"bytes"
	"sync"
	"unicode/utf8"
)

// streamWriter is one output stream of a command run by layerlab.exec: it keeps everything
// written (the resolved stdout / stderr) and hands text to emit (onOutput) as it comes, cut
// only between whole UTF-8 characters so that a character split across two writes reaches
// the page in one piece.
type streamWriter struct {
	mu      sync.Mutex
	all     bytes.Buffer
	pending []byte
	emit    func(string) // nil when the caller did not ask for streaming
	stopped bool
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return len(p), nil
	}
	w.all.Write(p)
	if w.emit == nil {
		return len(p), nil
	}
	b := append(w.pending, p...)
	cut := completeUTF8(b)
	w.pending = append([]byte(nil), b[cut:]...)
	if cut > 0 {
		w.emit(string(b[:cut]))
	}
	return len(p), nil
}

// close emits what is left (an incomplete character as it is) and stops the stream: writes
// from a command that outlives its cancellation are dropped.
func (w *streamWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	w.stopped = true
	if w.emit != nil && len(w.pending) > 0 {
		w.emit(string(w.pending))
	}
	w.pending = nil
}

func (w *streamWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// completeUTF8 returns the length of b without a trailing incomplete UTF-8 sequence.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}
