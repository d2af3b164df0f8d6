//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"time"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/term"
	"github.com/layerlab/layerlab/wasm/idbstore"
	"github.com/layerlab/layerlab/wasm/promise"
	"github.com/layerlab/layerlab/wasm/webcrypto"
)

// dbName is the IndexedDB database the page keeps everything in.
const dbName = "layerlab"

func main() {
	// Blob digests and diff_ids by WebCrypto: Go's sha256 has no assembly in wasm.
	store.NewSHA256 = webcrypto.SHA256
	install(js.Global(), openBrowser(dbName))
	select {} // the exported functions run on; returning would end the program
}

// opener opens what a session needs; emit sends an event to layerlab.on's handlers.
type opener func(ctx context.Context, emit func(event string, detail map[string]any)) (*session, error)

// openBrowser opens the store and the workspace in the IndexedDB database name, and asks the
// browser to keep it (navigator.storage.persist()).
func openBrowser(name string) opener {
	return func(ctx context.Context, emit func(string, map[string]any)) (*session, error) {
		d, err := idbstore.OpenDB(ctx, name)
		if err != nil {
			return nil, err
		}
		// Best effort: a browser that says no still stores, it may just evict under pressure.
		go idbstore.Persist(context.Background())
		st := d.Store()
		st.OnIndex(func() { emit("images", nil) })
		ws := d.Workspace()
		ws.OnChange(func(p string) { emit("files", map[string]any{"path": p}) })
		return newSession(st, ws, workspaceFS{ws}, time.Now, registries(js.Global())...), nil
	}
}

// folders is what the browser's workspace adds to workspace: the file panel's operations.
type folders interface {
	ReadDir(ctx context.Context, name string) ([]idbstore.FileInfo, error)
	Mkdir(ctx context.Context, name string) error
	Remove(ctx context.Context, name string) error
}

// install sets global.layerlab. open opens the session; ready resolves when it has.
func install(global js.Value, open opener) {
	var (
		opened  = make(chan struct{})
		sess    *session
		openErr error
	)
	api := js.Global().Get("Object").New()
	ev := newEvents()

	// session waits for ready; every function but on/off needs it.
	session := func() (*session, error) {
		<-opened
		return sess, openErr
	}
	api.Set("ready", newPromise(func() (js.Value, error) {
		defer close(opened)
		s, err := open(context.Background(), ev.emit)
		if err != nil {
			openErr = fmt.Errorf("opening the image store: %w", err)
			return js.Undefined(), openErr
		}
		sess = s
		return js.Undefined(), nil
	}))

	export(api, "exec", func(args []js.Value) (js.Value, error) {
		if len(args) < 1 || args[0].Type() != js.TypeString {
			return js.Undefined(), errors.New("layerlab.exec: the command line must be a string")
		}
		o, err := execOptions(args[1:])
		if err != nil {
			return js.Undefined(), err
		}
		s, err := session()
		if err != nil {
			return js.Undefined(), err
		}
		return s.exec(args[0].String(), o)
	})
	export(api, "writeFile", func(args []js.Value) (js.Value, error) {
		name, err := pathArg("writeFile", args)
		if err != nil {
			return js.Undefined(), err
		}
		var data []byte
		switch {
		case len(args) > 1 && args[1].Type() == js.TypeString:
			data = []byte(args[1].String())
		case len(args) > 1 && args[1].InstanceOf(js.Global().Get("Uint8Array")):
			data = make([]byte, args[1].Get("length").Int())
			js.CopyBytesToGo(data, args[1])
		default:
			return js.Undefined(), errors.New("layerlab.writeFile: data must be a string or a Uint8Array")
		}
		s, err := session()
		if err != nil {
			return js.Undefined(), err
		}
		return js.Undefined(), s.files.WriteFile(context.Background(), name, data)
	})
	export(api, "readFile", func(args []js.Value) (js.Value, error) {
		name, err := pathArg("readFile", args)
		if err != nil {
			return js.Undefined(), err
		}
		s, err := session()
		if err != nil {
			return js.Undefined(), err
		}
		b, err := s.files.ReadFile(context.Background(), name)
		if err != nil {
			return js.Undefined(), err
		}
		a := js.Global().Get("Uint8Array").New(len(b))
		js.CopyBytesToJS(a, b)
		return a, nil
	})
	export(api, "readDir", func(args []js.Value) (js.Value, error) {
		name, err := pathArg("readDir", args)
		if err != nil {
			return js.Undefined(), err
		}
		f, err := foldersOf(session)
		if err != nil {
			return js.Undefined(), err
		}
		fis, err := f.ReadDir(context.Background(), name)
		if err != nil {
			return js.Undefined(), err
		}
		out := make([]any, len(fis))
		for i, fi := range fis {
			out[i] = map[string]any{"name": fi.Name(), "path": fi.Path, "dir": fi.Dir, "size": float64(fi.Size), "mtime": float64(fi.ModTime.UnixMilli())}
		}
		return js.ValueOf(out), nil
	})
	export(api, "mkdir", func(args []js.Value) (js.Value, error) {
		name, err := pathArg("mkdir", args)
		if err != nil {
			return js.Undefined(), err
		}
		f, err := foldersOf(session)
		if err != nil {
			return js.Undefined(), err
		}
		return js.Undefined(), f.Mkdir(context.Background(), name)
	})
	export(api, "remove", func(args []js.Value) (js.Value, error) {
		name, err := pathArg("remove", args)
		if err != nil {
			return js.Undefined(), err
		}
		f, err := foldersOf(session)
		if err != nil {
			return js.Undefined(), err
		}
		return js.Undefined(), f.Remove(context.Background(), name)
	})
	export(api, "commands", func(args []js.Value) (js.Value, error) {
		names := term.Commands()
		out := make([]any, len(names))
		for i, n := range names {
			out[i] = n
		}
		return js.ValueOf(out), nil
	})
	export(api, "storage", func(args []js.Value) (js.Value, error) {
		usage, quota, err := idbstore.Estimate(context.Background())
		if err != nil {
			return js.Undefined(), err
		}
		persisted := false
		if p := js.Global().Get("navigator").Get("storage").Get("persisted"); p.Type() == js.TypeFunction {
			v, err := promise.Await(context.Background(), js.Global().Get("navigator").Get("storage").Call("persisted"))
			persisted = err == nil && v.Truthy()
		}
		return js.ValueOf(map[string]any{"usage": float64(usage), "quota": float64(quota), "persisted": persisted}), nil
	})
	export(api, "on", func(args []js.Value) (js.Value, error) {
		if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeFunction {
			return js.Undefined(), errors.New("layerlab.on: want an event name and a handler function")
		}
		event, handler := args[0].String(), args[1]
		if !knownEvents[event] {
			return js.Undefined(), fmt.Errorf("layerlab.on: unknown event %q (known: images, files)", event)
		}
		ev.on(event, handler)
		var off js.Func
		off = js.FuncOf(func(this js.Value, _ []js.Value) any {
			ev.off(event, handler)
			off.Release()
			return js.Global().Get("Promise").Call("resolve")
		})
		return off.Value, nil
	})
	installLessons(api, session) // lessons_js.go
	installStepper(api, session) // stepper_js.go
	global.Set("layerlab", api)
}

func foldersOf(session func() (*session, error)) (folders, error) {
	s, err := session()
	if err != nil {
		return nil, err
	}
	f, ok := s.files.(folders)
	if !ok {
		return nil, errors.New("this workspace has no folders")
	}
	return f, nil
}

func pathArg(fn string, args []js.Value) (string, error) {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return "", fmt.Errorf("layerlab.%s: the path must be a string", fn)
	}
	return args[0].String(), nil
}

// export sets api[name] to a function returning a Promise settled by fn, run in a goroutine.
func export(api js.Value, name string, fn func(args []js.Value) (js.Value, error)) {
	api.Set(name, js.FuncOf(func(this js.Value, args []js.Value) any {
		return newPromise(func() (js.Value, error) { return fn(args) })
	}))
}

// options are layerlab.exec's second argument.
type options struct {
	onOutput js.Value // function(chunk, "stdout"|"stderr"), or undefined
	onInput  js.Value // function({echo}) -> Promise<string|null>: the terminal's keyboard, or undefined
	stdin    []byte
	signal   js.Value // AbortSignal, or undefined
	tty      bool
	columns  int    // the terminal's width, for docker's progress bars; 0 when not given
	cwd      string // the directory to start in; "" is the workspace root
}

func execOptions(args []js.Value) (options, error) {
	o := options{onOutput: js.Undefined(), onInput: js.Undefined(), signal: js.Undefined()}
	if len(args) == 0 || args[0].IsUndefined() || args[0].IsNull() {
		return o, nil
	}
	opts := args[0]
	if opts.Type() != js.TypeObject {
		return o, errors.New("layerlab.exec: the options must be an object")
	}
	set := func(v js.Value) bool { return !v.IsUndefined() && !v.IsNull() }
	if v := opts.Get("onOutput"); set(v) {
		if v.Type() != js.TypeFunction {
			return o, errors.New("layerlab.exec: opts.onOutput must be a function")
		}
		o.onOutput = v
	}
	if v := opts.Get("onInput"); set(v) {
		if v.Type() != js.TypeFunction {
			return o, errors.New("layerlab.exec: opts.onInput must be a function")
		}
		o.onInput = v
	}
	if v := opts.Get("stdin"); set(v) {
		switch {
		case v.Type() == js.TypeString:
			o.stdin = []byte(v.String())
		case v.InstanceOf(js.Global().Get("Uint8Array")):
			o.stdin = make([]byte, v.Get("length").Int())
			js.CopyBytesToGo(o.stdin, v)
		default:
			return o, errors.New("layerlab.exec: opts.stdin must be a string or a Uint8Array")
		}
	}
	if v := opts.Get("signal"); set(v) {
		if as := js.Global().Get("AbortSignal"); as.IsUndefined() || !v.InstanceOf(as) {
			return o, errors.New("layerlab.exec: opts.signal must be an AbortSignal")
		}
		o.signal = v
	}
	if v := opts.Get("tty"); set(v) {
		if v.Type() != js.TypeBoolean {
			return o, errors.New("layerlab.exec: opts.tty must be a boolean")
		}
		o.tty = v.Bool()
	}
	if v := opts.Get("columns"); set(v) {
		if v.Type() != js.TypeNumber || v.Float() < 1 || v.Float() != float64(v.Int()) {
			return o, errors.New("layerlab.exec: opts.columns must be a whole number above 0")
		}
		o.columns = v.Int()
	}
	if v := opts.Get("cwd"); set(v) {
		if v.Type() != js.TypeString {
			return o, errors.New("layerlab.exec: opts.cwd must be a string")
		}
		o.cwd = v.String()
	}
	return o, nil
}

// exec runs line and resolves to {exitCode, stdout, stderr}. Aborting o.signal cancels the
// command's context and resolves at once with exit code 130, as a shell reports Ctrl-C;
// output the command writes after that is dropped.
func (s *session) exec(line string, o options) (js.Value, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if !o.signal.IsUndefined() {
		if o.signal.Get("aborted").Truthy() {
			cancel()
		} else {
			onAbort := js.FuncOf(func(js.Value, []js.Value) any { cancel(); return nil })
			o.signal.Call("addEventListener", "abort", onAbort)
			defer func() {
				o.signal.Call("removeEventListener", "abort", onAbort)
				onAbort.Release()
			}()
		}
	}
	stream := func(name string) func(string) {
		if o.onOutput.IsUndefined() {
			return nil
		}
		return func(chunk string) {
			defer func() {
				if r := recover(); r != nil {
					js.Global().Get("console").Call("error", fmt.Sprintf("layerlab.exec: onOutput threw: %v", r))
				}
			}()
			o.onOutput.Invoke(chunk, name)
		}
	}
	stdout := &streamWriter{emit: stream("stdout")}
	stderr := &streamWriter{emit: stream("stderr")}
	type ran struct {
		code     int
		cwd      string
		panicked any
	}
	done := make(chan ran, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- ran{panicked: r}
			}
		}()
		stdio := term.IO{Stdin: bytes.NewReader(o.stdin), Stdout: stdout, Stderr: stderr, TTY: o.tty, Columns: o.columns}
		if !o.onInput.IsUndefined() && o.tty {
			// the terminal's keyboard: commands read lines as they are typed
			in := newInputReader(o.onInput)
			stdio.Stdin, stdio.Echo = in, in.setEcho
		}
		code, cwd := s.shell.Run(ctx, o.cwd, line, stdio)
		done <- ran{code: code, cwd: cwd}
	}()
	var r ran
	select {
	case r = <-done:
	case <-ctx.Done():
		r = ran{code: 130, cwd: o.cwd}
	}
	stdout.close()
	stderr.close()
	if r.panicked != nil {
		return js.Undefined(), fmt.Errorf("layerlab: internal error: %v", r.panicked)
	}
	if r.cwd == "" {
		r.cwd = term.Workspace
	}
	return js.ValueOf(map[string]any{"exitCode": r.code, "stdout": stdout.String(), "stderr": stderr.String(), "cwd": r.cwd}), nil
}

// knownEvents are the events layerlab.on accepts.
var knownEvents = map[string]bool{"images": true, "files": true}

// events dispatches the core's events to the page's handlers, and to the other tabs of the
// origin through a BroadcastChannel, whose handlers see {..., otherTab: true}.
type events struct {
	mu       sync.Mutex
	handlers map[string][]js.Value
	channel  js.Value
}

func newEvents() *events {
	e := &events{handlers: map[string][]js.Value{}, channel: js.Undefined()}
	if bc := js.Global().Get("BroadcastChannel"); bc.Type() == js.TypeFunction {
		e.channel = bc.New("layerlab-events")
		e.channel.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
			d := args[0].Get("data")
			if d.Type() == js.TypeObject && d.Get("type").Type() == js.TypeString {
				d.Set("otherTab", true)
				e.dispatch(d.Get("type").String(), d)
			}
			return nil
		}))
	}
	return e
}

func (e *events) on(event string, h js.Value) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.handlers[event] = append(e.handlers[event], h)
}

func (e *events) off(event string, h js.Value) {
	e.mu.Lock()
	defer e.mu.Unlock()
	hs := e.handlers[event]
	for i, x := range hs {
		if x.Equal(h) {
			e.handlers[event] = append(hs[:i:i], hs[i+1:]...)
			return
		}
	}
}

func (e *events) emit(event string, detail map[string]any) {
	d := map[string]any{"type": event}
	for k, v := range detail {
		d[k] = v
	}
	if !e.channel.IsUndefined() {
		e.channel.Call("postMessage", js.ValueOf(d))
	}
	e.dispatch(event, js.ValueOf(d))
}

// dispatch calls the handlers in a later task, as DOM events are, so a handler that throws
// or is slow never runs on the core's goroutine.
func (e *events) dispatch(event string, d js.Value) {
	e.mu.Lock()
	hs := append([]js.Value(nil), e.handlers[event]...)
	e.mu.Unlock()
	for _, h := range hs {
		js.Global().Call("setTimeout", h, 0, d)
	}
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
