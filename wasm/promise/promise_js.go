//go:build js && wasm

// Package promise waits for JavaScript promises from Go. Wait only from a goroutine, never
// inside a js.FuncOf callback: the promise settles on the event loop, which that would block.
package promise

import (
	"context"
	"errors"
	"syscall/js"
)

// Await waits for the JavaScript promise p from a goroutine (never from a js.FuncOf handler,
// which would block the event loop the promise needs).
func Await(ctx context.Context, p js.Value) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	onOK := js.FuncOf(func(_ js.Value, a []js.Value) any {
		v := js.Undefined()
		if len(a) > 0 {
			v = a[0]
		}
		ch <- settled{v: v}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "rejected"
		if len(a) > 0 {
			if m := a[0].Get("message"); m.Type() == js.TypeString {
				msg = m.String()
			} else {
				msg = js.Global().Call("String", a[0]).String()
			}
		}
		ch <- settled{err: errors.New(msg)}
		return nil
	})
	p.Call("then", onOK, onErr)
	select {
	case s := <-ch:
		onOK.Release()
		onErr.Release()
		return s.v, s.err
	case <-ctx.Done():
		// The functions stay: the promise may still settle and call them.
		return js.Undefined(), ctx.Err()
	}
}
