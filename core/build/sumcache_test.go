package build_test

import (
	"context"
	"io/fs"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/store"
)

// countFS counts the opens of regular files (reads of content) of a context.
type countFS struct {
	fstest.MapFS
	opens atomic.Int64
}

func (c *countFS) Open(name string) (fs.File, error) {
	f, err := c.MapFS.Open(name)
	if err == nil {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			c.opens.Add(1)
		}
	}
	return f, err
}

func (c *countFS) ReadFile(name string) ([]byte, error) {
	b, err := c.MapFS.ReadFile(name)
	if err == nil {
		c.opens.Add(1)
	}
	return b, err
}

// TestContextChecksumCache: a rebuild whose context files kept their size, modification
// time and mode reads none of their content again (the digests come from the store's
// "contextsums" record); a file whose metadata changed is read and its step runs; a file
// whose modification time is a whole second is read every time.
func TestContextChecksumCache(t *testing.T) {
	s := store.NewMemory()
	t0 := time.Unix(1700000000, 123456789)
	ctxFS := &countFS{MapFS: fstest.MapFS{
		"a.txt": {Data: []byte("aaa\n"), Mode: 0o644, ModTime: t0},
		"b.txt": {Data: []byte("bbb\n"), Mode: 0o644, ModTime: t0},
		"c.txt": {Data: []byte("ccc\n"), Mode: 0o644, ModTime: time.Unix(1700000000, 0)},
	}}
	df := []byte("FROM scratch\nCOPY a.txt b.txt /\nCOPY c.txt /\n")
	build1 := func() (cached int) {
		t.Helper()
		_, err := build.Build(context.Background(), s, build.Options{Dockerfile: df, Context: ctxFS, Tags: []string{"sums"},
			Events: func(e build.Event) {
				if e.Type == build.StepCached {
					cached++
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		return cached
	}

	build1()
	if _, err := s.Record(context.Background(), "contextsums", "v1"); err != nil {
		t.Fatalf("after a build, the contextsums record: %v", err)
	}
	ctxFS.opens.Store(0)
	if got := build1(); got != 2 {
		t.Errorf("rebuild of an unchanged context: %d steps CACHED; want 2", got)
	}
	if got := ctxFS.opens.Load(); got != 1 {
		t.Errorf("rebuild of an unchanged context opened %d files; want 1 (c.txt, whose mtime is a whole second)", got)
	}

	// a changed file with a new mtime is read again: its step and the later one run
	ctxFS.MapFS["a.txt"] = &fstest.MapFile{Data: []byte("AAA\n"), Mode: 0o644, ModTime: t0.Add(time.Millisecond)}
	if got := build1(); got != 0 {
		t.Errorf("rebuild after a.txt changed: %d steps CACHED; want 0", got)
	}
	// and the one after that is cached again
	if got := build1(); got != 2 {
		t.Errorf("rebuild after the change was built: %d steps CACHED; want 2", got)
	}
}
