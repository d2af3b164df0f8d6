//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strings"
	"syscall/js"
	"testing"
)

// await blocks the calling goroutine (not the event loop) until p settles.
func await(p js.Value) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	onOK := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- settled{v: a[0]}; return nil })
	onErr := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- settled{err: errors.New(a[0].Get("message").String())}
		return nil
	})
	defer onOK.Release()
	defer onErr.Release()
	p.Call("then", onOK, onErr)
	s := <-ch
	return s.v, s.err
}

func newGlobal(t *testing.T, open opener) js.Value {
	t.Helper()
	g := js.Global().Get("Object").New()
	install(g, open)
	return g.Get("layerlab")
}

func memory(context.Context, func(string, map[string]any)) (*session, error) {
	return memSession(), nil
}

func TestBridgeExec(t *testing.T) {
	ll := newGlobal(t, memory)
	if _, err := await(ll.Get("ready")); err != nil {
		t.Fatalf("ready rejected: %v", err)
	}
	tests := []struct {
		name       string
		args       []any
		wantCode   int
		wantStdout string
		wantStderr string
		wantReject string
	}{
		{"images", []any{"docker images"}, 0, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n", "", ""},
		{"opts", []any{"docker images", map[string]any{"stdin": ""}}, 0, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n", "", ""},
		// --format templates run on core/format in the browser: methods of the rows
		// (listed method expressions), docker's functions, range and table output
		{"format methods", []any{"docker system df --format '{{.Type}}: {{.Size}}|{{upper .Active}}|{{json .}}'"}, 0,
			"Images: 0B|0|{\"Active\":\"0\",\"Reclaimable\":\"0B\",\"Size\":\"0B\",\"TotalCount\":\"0\",\"Type\":\"Images\"}\n" +
				"Containers: 0B|0|{\"Active\":\"0\",\"Reclaimable\":\"0B\",\"Size\":\"0B\",\"TotalCount\":\"0\",\"Type\":\"Containers\"}\n" +
				"Local Volumes: 0B|0|{\"Active\":\"0\",\"Reclaimable\":\"0B\",\"Size\":\"0B\",\"TotalCount\":\"0\",\"Type\":\"Local Volumes\"}\n" +
				"Build Cache: 0B|0|{\"Active\":\"0\",\"Reclaimable\":\"0B\",\"Size\":\"0B\",\"TotalCount\":\"0\",\"Type\":\"Build Cache\"}\n", "", ""},
		{"format table", []any{"docker system df --format 'table {{.Type}}\\t{{.Size}}'"}, 0,
			"TYPE            SIZE\nImages          0B\nContainers      0B\nLocal Volumes   0B\nBuild Cache     0B\n", "", ""},
		{"non-zero resolves", []any{"vim"}, 127, "", "vim: the playground does not have this command; run help to see the ones it has\n", ""},
		{"cwd", []any{"pwd", map[string]any{"cwd": "/root"}}, 0, "/root\n", "", ""},
		{"bad cwd", []any{"pwd", map[string]any{"cwd": 1}}, 0, "", "", "layerlab.exec: opts.cwd must be a string"},
		{"not a string", []any{42}, 0, "", "", "layerlab.exec: the command line must be a string"},
		{"no argument", nil, 0, "", "", "layerlab.exec: the command line must be a string"},
		{"bad stdin", []any{"docker images", map[string]any{"stdin": 1}}, 0, "", "", "layerlab.exec: opts.stdin must be a string or a Uint8Array"},
		{"bad options", []any{"docker images", "tty"}, 0, "", "", "layerlab.exec: the options must be an object"},
		{"bad onOutput", []any{"docker images", map[string]any{"onOutput": "x"}}, 0, "", "", "layerlab.exec: opts.onOutput must be a function"},
		{"bad signal", []any{"docker images", map[string]any{"signal": true}}, 0, "", "", "layerlab.exec: opts.signal must be an AbortSignal"},
		{"bad tty", []any{"docker images", map[string]any{"tty": "yes"}}, 0, "", "", "layerlab.exec: opts.tty must be a boolean"},
		{"tty", []any{"docker images", map[string]any{"tty": true}}, 0, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := ll.Call("exec", tc.args...)
			if !p.InstanceOf(js.Global().Get("Promise")) {
				t.Fatalf("exec returned %s; want a Promise", p.Type())
			}
			v, err := await(p)
			if tc.wantReject != "" {
				if err == nil || err.Error() != tc.wantReject {
					t.Fatalf("rejection = %v; want %q", err, tc.wantReject)
				}
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if got := v.Get("exitCode").Int(); got != tc.wantCode {
				t.Errorf("exitCode = %d; want %d", got, tc.wantCode)
			}
			if got := v.Get("stdout").String(); !strings.HasPrefix(got, tc.wantStdout) || (tc.wantStdout == "" && got != "") {
				t.Errorf("stdout = %q; want %q", got, tc.wantStdout)
			}
			if got := v.Get("stderr").String(); got != tc.wantStderr {
				t.Errorf("stderr = %q; want %q", got, tc.wantStderr)
			}
		})
	}
}

func TestBridgeStoreOpenFailure(t *testing.T) {
	ll := newGlobal(t, func(context.Context, func(string, map[string]any)) (*session, error) {
		return nil, errors.New("quota exceeded")
	})
	const want = "opening the image store: quota exceeded"
	if _, err := await(ll.Get("ready")); err == nil || err.Error() != want {
		t.Errorf("ready: %v; want rejection %q", err, want)
	}
	if _, err := await(ll.Call("exec", "docker images")); err == nil || err.Error() != want {
		t.Errorf("exec: %v; want rejection %q", err, want)
	}
}

func TestPromisePanicRejects(t *testing.T) {
	_, err := await(newPromise(func() (js.Value, error) { panic("boom") }))
	if want := "layerlab: internal error: boom"; err == nil || err.Error() != want {
		t.Fatalf("got %v; want rejection %q", err, want)
	}
	v, err := await(newPromise(func() (js.Value, error) { return js.ValueOf("ok"), nil }))
	if err != nil || v.String() != "ok" {
		t.Fatalf("got %v, %v; want %q", v, err, "ok")
	}
}
