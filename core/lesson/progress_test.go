package lesson_test

import (
	"context"
	"testing"

	"github.com/layerlab/layerlab/core/lesson"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/term"
)

// TestProgress runs the same suite over every Progress: the memory one and the one kept in
// store records (IndexedDB in the browser).
func TestProgress(t *testing.T) {
	impls := map[string]func() lesson.Progress{
		"memory": func() lesson.Progress { return lesson.NewMemory() },
		"store":  func() lesson.Progress { return lesson.StoreProgress{Store: store.NewMemory()} },
	}
	for name, mk := range impls {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			p := mk()
			l, err := lesson.Parse("x.md", []byte("---\ntitle: T\nsection: S\norder: 1\n---\n"+
				"## Write it\n```file path=a.txt\nhello\n```\n```check\nfile a.txt contains hello\n```\n"+
				"## Write more\n```check\nfile b.txt exists\n```\n"))
			if err != nil {
				t.Fatal(err)
			}
			fsys := term.NewMemFS(term.Workspace, term.Home)
			st := &lesson.State{Store: store.NewMemory(), Workspace: lesson.TermWorkspace(fsys)}

			if r, err := p.Load(ctx, "x"); err != nil || len(r.Done) != 0 {
				t.Fatalf("fresh: got %+v, %v; want nothing done", r, err)
			}
			// a check that fails changes nothing: no "next" without doing the step
			res, err := lesson.Complete(ctx, p, l, 0, st, false)
			if err != nil || res.Passed {
				t.Fatalf("before the step: got %+v, %v; want a failure", res, err)
			}
			if r, _ := p.Load(ctx, "x"); len(r.Done) != 0 {
				t.Errorf("a failed check recorded progress: %+v", r)
			}
			writeFile(t, fsys, "a.txt", "hello\n")
			if res, err := lesson.Complete(ctx, p, l, 0, st, false); err != nil || !res.Passed {
				t.Fatalf("after the step: got %+v, %v; want a pass", res, err)
			}
			writeFile(t, fsys, "b.txt", "")
			if res, err := lesson.Complete(ctx, p, l, 1, st, true); err != nil || !res.Passed {
				t.Fatalf("step 2: got %+v, %v; want a pass", res, err)
			}
			lesson.Complete(ctx, p, l, 1, st, true) // twice is once
			r, err := p.Load(ctx, "x")
			if err != nil || len(r.Done) != 2 || !r.Has(0) || !r.Has(1) || len(r.Shown) != 1 || r.Shown[0] != 1 || !lesson.Finished(l, r) {
				t.Errorf("after both steps: got %+v, %v; want done [0 1], shown [1]", r, err)
			}
			if _, err := lesson.Complete(ctx, p, l, 2, st, false); err == nil {
				t.Error("completing a step the lesson does not have: no error")
			}
			// restarting forgets everything, and restarting twice is fine
			for i := 0; i < 2; i++ {
				if err := p.Reset(ctx, "x"); err != nil {
					t.Fatal(err)
				}
			}
			if r, err := p.Load(ctx, "x"); err != nil || len(r.Done) != 0 || len(r.Shown) != 0 || lesson.Finished(l, r) {
				t.Errorf("after restart: got %+v, %v; want nothing done", r, err)
			}
			// a loaded record is a copy
			p.Save(ctx, "y", lesson.Record{Done: []int{0}})
			r, _ = p.Load(ctx, "y")
			r.Done[0] = 5
			if r2, _ := p.Load(ctx, "y"); r2.Done[0] != 0 {
				t.Errorf("changing a loaded record changed the stored one: %+v", r2)
			}
		})
	}
}

// TestStoreProgressDamaged: a damaged record starts the lesson over instead of failing.
func TestStoreProgressDamaged(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	s.PutRecord(ctx, lesson.ProgressKind, "x", []byte("{not json"))
	r, err := lesson.StoreProgress{Store: s}.Load(ctx, "x")
	if err != nil || len(r.Done) != 0 {
		t.Errorf("got %+v, %v; want a fresh record", r, err)
	}
}
