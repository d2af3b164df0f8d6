//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/store"
)

// browserGlobal installs the bridge on a fresh IndexedDB database (left for the test
// browser's throwaway profile: the bridge keeps its connection open, as a page does).
func browserGlobal(t *testing.T, db string) js.Value {
	t.Helper()
	ll := newGlobal(t, openBrowser(db))
	if _, err := await(ll.Get("ready")); err != nil {
		t.Fatalf("ready: %v", err)
	}
	return ll
}

func testDBName(t *testing.T) string {
	return fmt.Sprintf("layerlab-bridge-%s-%d", t.Name(), time.Now().UnixNano())
}

func bytesOf(v js.Value) []byte {
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b
}

func TestBridgeFilesPersist(t *testing.T) {
	db := testDBName(t)
	ll := browserGlobal(t, db)
	bin := js.Global().Get("Uint8Array").New(3)
	js.CopyBytesToJS(bin, []byte{0, 1, 255})
	for _, c := range []struct {
		path string
		data any
	}{{"Dockerfile", "FROM scratch\n"}, {"bin/data", bin}, {"/root/.docker/config.json", `{"auths":{}}`}} {
		if _, err := await(ll.Call("writeFile", c.path, c.data)); err != nil {
			t.Fatalf("writeFile(%s): %v", c.path, err)
		}
	}

	again := browserGlobal(t, db) // a reload: a new connection to the same database
	reads := []struct {
		path string
		want []byte
	}{{"Dockerfile", []byte("FROM scratch\n")}, {"/workspace/bin/data", []byte{0, 1, 255}}, {"../root/.docker/config.json", []byte(`{"auths":{}}`)}}
	for _, r := range reads {
		v, err := await(again.Call("readFile", r.path))
		if err != nil {
			t.Fatalf("readFile(%s) after reload: %v", r.path, err)
		}
		if !v.InstanceOf(js.Global().Get("Uint8Array")) || !reflect.DeepEqual(bytesOf(v), r.want) {
			t.Errorf("readFile(%s) = %v; want Uint8Array %q", r.path, v, r.want)
		}
	}
	v, err := await(again.Call("readDir", "."))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 0; i < v.Length(); i++ {
		e := v.Index(i)
		got = append(got, fmt.Sprintf("%s dir=%v size=%d", e.Get("name").String(), e.Get("dir").Bool(), e.Get("size").Int()))
	}
	if want := []string{"Dockerfile dir=false size=13", "bin dir=true size=0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("readDir(.) = %q; want %q", got, want)
	}
	if _, err := await(again.Call("remove", "bin")); err != nil {
		t.Fatal(err)
	}
	if _, err := await(again.Call("mkdir", "src/app")); err != nil {
		t.Fatal(err)
	}

	rejects := []struct {
		name string
		call func() js.Value
		want string
	}{
		{"missing", func() js.Value { return again.Call("readFile", "bin/data") }, "open bin/data: file does not exist"},
		{"outside", func() js.Value { return again.Call("writeFile", "../../etc/passwd", "x") }, "../../etc/passwd: outside /workspace and /root, the folders the playground keeps"},
		{"bad data", func() js.Value { return again.Call("writeFile", "x", 42) }, "layerlab.writeFile: data must be a string or a Uint8Array"},
		{"no path", func() js.Value { return again.Call("readFile") }, "layerlab.readFile: the path must be a string"},
		{"folder", func() js.Value { return again.Call("readFile", "src") }, "open src: is a folder"},
	}
	for _, tc := range rejects {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := await(tc.call()); err == nil || err.Error() != tc.want {
				t.Errorf("got %v; want rejection %q", err, tc.want)
			}
		})
	}
}

func TestBridgeExecStreams(t *testing.T) {
	ll := browserGlobal(t, testDBName(t))
	var chunks []string
	onOutput := js.FuncOf(func(_ js.Value, a []js.Value) any {
		chunks = append(chunks, a[1].String()+":"+a[0].String())
		return nil
	})
	defer onOutput.Release()
	v, err := await(ll.Call("exec", "docker images", map[string]any{"onOutput": onOutput}))
	if err != nil {
		t.Fatal(err)
	}
	// The output may come in several chunks (docker writes a table cell by cell), all stdout,
	// adding up to what the result holds.
	var text strings.Builder
	for _, c := range chunks {
		stream, chunk, _ := strings.Cut(c, ":")
		if stream != "stdout" {
			t.Errorf("chunk %q came on %s; want stdout", chunk, stream)
		}
		text.WriteString(chunk)
	}
	if got, want := text.String(), v.Get("stdout").String(); got != want || len(chunks) == 0 {
		t.Errorf("streamed %q; want %q", chunks, want)
	}
	chunks = nil
	v, err = await(ll.Call("exec", "frob", map[string]any{"onOutput": onOutput}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"stderr:" + v.Get("stderr").String()}; !reflect.DeepEqual(chunks, want) || v.Get("exitCode").Int() != 127 {
		t.Errorf("streamed %q, exit %d; want %q, 127", chunks, v.Get("exitCode").Int(), want)
	}

	// A handler that throws does not break the command.
	throws := js.Global().Get("Function").New("chunk", "throw new Error('page bug')")
	v, err = await(ll.Call("exec", "docker images", map[string]any{"onOutput": throws}))
	if err != nil || v.Get("exitCode").Int() != 0 {
		t.Errorf("exec with a throwing onOutput = %v, %v; want exit 0", v, err)
	}
}

func TestBridgeAbort(t *testing.T) {
	ll := browserGlobal(t, testDBName(t))
	ac := js.Global().Get("AbortController").New()
	start := time.Now()
	p := ll.Call("exec", "sleep 30", map[string]any{"signal": ac.Get("signal")})
	js.Global().Call("setTimeout", js.FuncOf(func(js.Value, []js.Value) any { ac.Call("abort"); return nil }), 50)
	v, err := await(p)
	if err != nil {
		t.Fatal(err)
	}
	if code := v.Get("exitCode").Int(); code != 130 || time.Since(start) > 10*time.Second {
		t.Errorf("aborted sleep: exit %d after %v; want 130 at once", code, time.Since(start))
	}
	v, err = await(ll.Call("exec", "sleep 30", map[string]any{"signal": js.Global().Get("AbortSignal").Call("abort")}))
	if err != nil || v.Get("exitCode").Int() != 130 {
		t.Errorf("exec with an aborted signal = %v, %v; want exit 130", v, err)
	}
}

func TestBridgeEvents(t *testing.T) {
	ll := browserGlobal(t, testDBName(t))
	got := make(chan string, 10)
	h := js.FuncOf(func(_ js.Value, a []js.Value) any {
		got <- a[0].Get("type").String() + " " + a[0].Get("path").String()
		return nil
	})
	defer h.Release()
	off, err := await(ll.Call("on", "files", h))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := await(ll.Call("writeFile", "a.txt", "a")); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e != "files /workspace/a.txt" {
			t.Errorf("event = %q; want %q", e, "files /workspace/a.txt")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no files event after writeFile")
	}
	await(off.Invoke())
	await(ll.Call("writeFile", "b.txt", "b"))
	select {
	case e := <-got:
		t.Errorf("event %q after off", e)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := await(ll.Call("on", "bogus", h)); err == nil || err.Error() != `layerlab.on: unknown event "bogus" (known: images, files)` {
		t.Errorf("on(bogus) = %v", err)
	}
}

// TestOpenerEvents: the browser session announces index changes as "images" and workspace
// changes as "files".
func TestOpenerEvents(t *testing.T) {
	ctx := context.Background()
	var got []string
	s, err := openBrowser(testDBName(t))(ctx, func(event string, detail map[string]any) {
		got = append(got, fmt.Sprintln(event, detail))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.store.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) { return cur, nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.files.WriteFile(ctx, "Dockerfile", []byte("FROM scratch\n")); err != nil {
		t.Fatal(err)
	}
	if want := []string{"images map[]\n", "files map[path:/workspace/Dockerfile]\n"}; !reflect.DeepEqual(got, want) {
		t.Errorf("events = %q; want %q", got, want)
	}
}
