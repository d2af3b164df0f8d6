//go:build js && wasm

package idbstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func openWorkspace(t *testing.T, name string) *Workspace {
	t.Helper()
	d, err := OpenDB(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d.Workspace()
}

func names(fis []FileInfo) []string {
	var out []string
	for _, fi := range fis {
		n := fi.Name()
		if fi.Dir {
			n += "/"
		}
		out = append(out, n)
	}
	return out
}

func TestWorkspaceFiles(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	w := openWorkspace(t, db)
	var changes []string
	w.OnChange(func(p string) { changes = append(changes, p) })

	big := bytes.Repeat([]byte("layer"), ChunkSize/2) // 2.5 chunks
	files := map[string][]byte{
		"Dockerfile":                []byte("FROM scratch\nCOPY hi.txt /\n"),
		"app/src/main.go":           []byte("package main\n"),
		"app/README":                {},
		"/root/.docker/config.json": []byte(`{"auths":{}}`),
		"big.bin":                   nil,
	}
	files["big.bin"] = big
	for n, b := range files {
		if err := w.WriteFile(ctx, n, b); err != nil {
			t.Fatalf("WriteFile(%s): %v", n, err)
		}
	}
	if len(changes) != len(files) {
		t.Errorf("OnChange called %d times; want %d", len(changes), len(files))
	}
	if err := w.Mkdir(ctx, "empty/dir"); err != nil {
		t.Fatal(err)
	}

	// Everything survives a new connection (a reload).
	w2 := openWorkspace(t, db)
	for n, want := range files {
		got, err := w2.ReadFile(ctx, n)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ReadFile(%s) = %d bytes, %v; want %d bytes", n, len(got), err, len(want))
		}
	}
	dirs := []struct {
		dir  string
		want []string
	}{
		{".", []string{"Dockerfile", "app/", "big.bin", "empty/"}},
		{"app", []string{"README", "src/"}},
		{"/workspace/empty", []string{"dir/"}},
		{"/root", []string{".docker/"}},
		{"nothing", nil},
	}
	for _, tc := range dirs {
		fis, err := w2.ReadDir(ctx, tc.dir)
		if err != nil || !reflect.DeepEqual(names(fis), tc.want) {
			t.Errorf("ReadDir(%s) = %q, %v; want %q", tc.dir, names(fis), err, tc.want)
		}
	}
	if fi, err := w2.Stat(ctx, "app"); err != nil || !fi.Dir {
		t.Errorf("Stat(app) = %+v, %v; want a folder", fi, err)
	}
	if fi, err := w2.Stat(ctx, "big.bin"); err != nil || fi.Dir || fi.Size != int64(len(big)) {
		t.Errorf("Stat(big.bin) = %+v, %v; want a %d-byte file", fi, err, len(big))
	}

	// cli.Files: streaming and random access across chunk boundaries.
	f, err := w2.Open("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 10)
	if _, err := f.ReadAt(p, ChunkSize-5); err != nil || !bytes.Equal(p, big[ChunkSize-5:ChunkSize+5]) {
		t.Errorf("ReadAt across a chunk boundary = %q, %v; want %q", p, err, big[ChunkSize-5:ChunkSize+5])
	}
	all, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(all, big) {
		t.Errorf("reading big.bin to EOF: %d bytes, %v; want %d", len(all), err, len(big))
	}
	f.Close()

	// Create: visible only after Close.
	cw, err := w2.Create("out/x.tar")
	if err != nil {
		t.Fatal(err)
	}
	cw.Write(big[:ChunkSize+1])
	if _, err := w2.Stat(ctx, "out/x.tar"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat before Close = %v; want ErrNotExist", err)
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := w2.ReadFile(ctx, "out/x.tar"); err != nil || !bytes.Equal(got, big[:ChunkSize+1]) {
		t.Errorf("ReadFile after Create = %d bytes, %v", len(got), err)
	}

	// Overwrite, remove.
	if err := w2.WriteFile(ctx, "Dockerfile", []byte("FROM busybox\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := w2.ReadFile(ctx, "Dockerfile"); string(got) != "FROM busybox\n" {
		t.Errorf("after overwrite: %q", got)
	}
	if err := w2.Remove(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.ReadFile(ctx, "app/src/main.go"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile after removing its folder = %v; want ErrNotExist", err)
	}
	if err := w2.Remove(ctx, "app"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove twice = %v; want ErrNotExist", err)
	}
}

func TestWorkspaceErrors(t *testing.T) {
	ctx := context.Background()
	w := openWorkspace(t, testDB(t))
	if err := w.WriteFile(ctx, "f", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFile(ctx, "d/g", []byte("x")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		op   func() error
		want string
	}{
		{"file under a file", func() error { return w.WriteFile(ctx, "f/g", nil) }, "writing f/g: /workspace/f is a file, not a folder"},
		{"file over a folder", func() error { return w.WriteFile(ctx, "d", nil) }, "writing d: it is a folder"},
		{"file over the root", func() error { return w.WriteFile(ctx, "/workspace", nil) }, "writing /workspace: it is a folder"},
		{"outside", func() error { return w.WriteFile(ctx, "/etc/passwd", nil) }, "/etc/passwd: outside /workspace and /root, the folders the playground keeps"},
		{"open missing", func() error { _, err := w.Open("nope"); return err }, "open nope: file does not exist"},
		{"open folder", func() error { _, err := w.Open("d"); return err }, "open d: is a folder"},
		{"remove root", func() error { return w.Remove(ctx, ".") }, "removing .: /workspace cannot be removed"},
		{"readdir file", func() error { _, err := w.ReadDir(ctx, "f"); return err }, "reading folder f: not a folder"},
		{"mkdir over file", func() error { return w.Mkdir(ctx, "f") }, "making folder f: a file of that name exists"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); err == nil || err.Error() != tc.want {
				t.Errorf("got %v; want %q", err, tc.want)
			}
		})
	}
	// A write never closed (the tab went away) leaves the old content intact.
	cw, _ := w.Create("f")
	io.Copy(cw, strings.NewReader(strings.Repeat("partial", ChunkSize/3)))
	if got, _ := w.ReadFile(ctx, "f"); string(got) != "x" {
		t.Errorf("f after an unclosed Create = %q; want %q", got, "x")
	}
}

// A file read while it is being replaced reads as the old content or the new one, never as an
// error (the editor saves as the learner types while the terminal or a test reads the file).
func TestWorkspaceReadWhileReplaced(t *testing.T) {
	ctx := context.Background()
	w := openWorkspace(t, testDB(t))
	versions := [][]byte{[]byte("FROM busybox\n"), []byte("FROM busybox\nRUN echo hi\n")}
	if err := w.WriteFile(ctx, "Dockerfile", versions[0]); err != nil {
		t.Fatal(err)
	}
	const writes, readers = 100, 4
	stop := make(chan struct{})
	errs := make(chan error, readers+1)
	go func() {
		defer close(stop)
		for i := 0; i < writes; i++ {
			if err := w.WriteFile(ctx, "Dockerfile", versions[i%2]); err != nil {
				errs <- fmt.Errorf("WriteFile: %v", err)
				return
			}
		}
	}()
	var reads atomic.Int64
	var wg sync.WaitGroup
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var b []byte
				var err error
				if r%2 == 0 {
					b, err = w.ReadFile(ctx, "Dockerfile")
				} else { // as the terminal's cat reads it
					var f io.ReadCloser
					if f, err = w.Open("Dockerfile"); err == nil {
						b, err = io.ReadAll(f)
						f.Close()
					}
				}
				if err != nil {
					errs <- fmt.Errorf("ReadFile during writes (after %d reads): %v", reads.Load(), err)
					return
				}
				if !bytes.Equal(b, versions[0]) && !bytes.Equal(b, versions[1]) {
					errs <- fmt.Errorf("ReadFile during writes = %q; want one of the versions written", b)
					return
				}
				reads.Add(1)
			}
		}(r)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d reads while %d writes replaced the file", reads.Load(), writes)
}
