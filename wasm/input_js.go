//go:build js && wasm

package main

import (
	"io"
	"sync"
	"syscall/js"
)

// inputReader is the terminal's keyboard as layerlab.exec's onInput gives it: a read that
// finds nothing buffered asks the page for a line with onInput({echo}) and waits for the
// Promise; echo says whether the terminal shows what is typed (docker login's password:
// false). A Promise that resolves to null or rejects is the end of input.
type inputReader struct {
	ask  js.Value
	mu   sync.Mutex
	echo bool
	buf  []byte
	eof  bool
}

func newInputReader(ask js.Value) *inputReader { return &inputReader{ask: ask, echo: true} }

// setEcho is term.IO's Echo.
func (r *inputReader) setEcho(on bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.echo = on
	return nil
}

func (r *inputReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		line, ok := awaitString(r.ask.Invoke(map[string]any{"echo": r.echo}))
		if !ok {
			r.eof = true
			return 0, io.EOF
		}
		r.buf = []byte(line)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// awaitString waits for a Promise (or a plain value) resolving to a string.
func awaitString(v js.Value) (string, bool) {
	if v.Type() != js.TypeObject || v.Get("then").Type() != js.TypeFunction {
		return v.String(), v.Type() == js.TypeString
	}
	type result struct {
		s  string
		ok bool
	}
	ch := make(chan result, 1)
	var onOK, onErr js.Func
	onOK = js.FuncOf(func(_ js.Value, a []js.Value) any {
		if len(a) > 0 && a[0].Type() == js.TypeString {
			ch <- result{a[0].String(), true}
		} else {
			ch <- result{}
		}
		return nil
	})
	onErr = js.FuncOf(func(js.Value, []js.Value) any { ch <- result{}; return nil })
	v.Call("then", onOK, onErr)
	res := <-ch
	onOK.Release()
	onErr.Release()
	return res.s, res.ok
}
