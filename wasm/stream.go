package main

import (
	"bytes"
	"sync"
	"time"
	"unicode/utf8"
)

// streamWriter is one output stream of a command run by layerlab.exec: it keeps everything
// written (the resolved stdout / stderr) and hands text to emit (onOutput) a line at a time,
// so that a table written a cell at a time reaches the page as whole lines and the worker
// does not post a message per cell. A partial line (a prompt, a progress bar redrawn with
// \r) is handed on after flushDelay, cut only between whole UTF-8 characters so that a
// character split across two writes reaches the page in one piece.
type streamWriter struct {
	mu      sync.Mutex
	all     bytes.Buffer
	pending []byte
	emit    func(string) // nil when the caller did not ask for streaming
	stopped bool
	// delay is how long a partial line waits before it is handed on; 0 means flushDelay.
	delay time.Duration
	timer *time.Timer
}

const flushDelay = 16 * time.Millisecond

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
	w.pending = append(w.pending, p...)
	if i := bytes.LastIndexByte(w.pending, '\n'); i >= 0 {
		w.emitLocked(i + 1)
	}
	if len(w.pending) > 0 && w.timer == nil {
		d := w.delay
		if d == 0 {
			d = flushDelay
		}
		w.timer = time.AfterFunc(d, w.flushPartial)
	}
	return len(p), nil
}

// flushPartial hands on a partial line that has waited long enough.
func (w *streamWriter) flushPartial() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = nil
	if w.stopped {
		return
	}
	w.emitLocked(completeUTF8(w.pending))
}

// emitLocked hands on the first n pending bytes.
func (w *streamWriter) emitLocked(n int) {
	if n == 0 {
		return
	}
	chunk := string(w.pending[:n])
	w.pending = append(w.pending[:0], w.pending[n:]...)
	w.emit(chunk)
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
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if w.emit != nil {
		w.emitLocked(len(w.pending))
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
