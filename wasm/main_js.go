//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
	"time"

	"github.com/layerlab/layerlab/core/store"
)

func main() {
	install(js.Global(), func(context.Context) (store.Store, error) { return store.NewMemory(), nil })
	select {} // the exported functions run on; returning would end the program
}

// install sets global.layerlab. open opens the store; ready resolves when it has.
func install(global js.Value, open func(context.Context) (store.Store, error)) {
	var (
		opened  = make(chan struct{})
		sess    *session
		openErr error
	)
	api := js.Global().Get("Object").New()
	api.Set("ready", newPromise(func() (js.Value, error) {
		defer close(opened)
		st, err := open(context.Background())
		if err != nil {
			openErr = fmt.Errorf("opening the image store: %w", err)
			return js.Undefined(), openErr
		}
		sess = &session{store: st, files: newMemFiles(), now: time.Now}
		return js.Undefined(), nil
	}))
	api.Set("exec", js.FuncOf(func(this js.Value, args []js.Value) any {
		return newPromise(func() (js.Value, error) {
			if len(args) < 1 || args[0].Type() != js.TypeString {
				return js.Undefined(), errors.New("layerlab.exec: the command line must be a string")
			}
			line := args[0].String()
			stdin := ""
			if len(args) > 1 && args[1].Type() == js.TypeObject {
				if v := args[1].Get("stdin"); v.Type() == js.TypeString {
					stdin = v.String()
				} else if !v.IsUndefined() && !v.IsNull() {
					return js.Undefined(), errors.New("layerlab.exec: opts.stdin must be a string")
				}
			}
			<-opened
			if openErr != nil {
				return js.Undefined(), openErr
			}
			r := sess.execLine(context.Background(), line, stdin)
			return js.ValueOf(map[string]any{"exitCode": r.ExitCode, "stdout": r.Stdout, "stderr": r.Stderr}), nil
		})
	}))
	global.Set("layerlab", api)
}

// newPromise returns a Promise settled by fn, which runs in its own goroutine: a js.FuncOf
// handler that blocked would stop the event loop the Go runtime itself needs. A panic in fn
// rejects the Promise with the panic's message instead of killing the program.
func newPromise(fn func() (js.Value, error)) js.Value {
	executor := js.FuncOf(func(this js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(jsError(fmt.Sprintf("layerlab: internal error: %v", r)))
				}
			}()
			v, err := fn()
			if err != nil {
				reject.Invoke(jsError(err.Error()))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	p := js.Global().Get("Promise").New(executor)
	executor.Release() // the Promise constructor calls the executor synchronously
	return p
}

func jsError(msg string) js.Value { return js.Global().Get("Error").New(msg) }
