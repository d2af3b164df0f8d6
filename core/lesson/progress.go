package lesson

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/layerlab/layerlab/core/store"
)

// Record is one lesson's progress.
type Record struct {
	// Done are the steps (0-based) whose checks passed, in the order they passed.
	Done []int `json:"done"`
	// Shown are the steps done by "show me" rather than by the learner.
	Shown []int `json:"shown,omitempty"`
}

// Has reports whether step i is done.
func (r Record) Has(i int) bool { return slices.Contains(r.Done, i) }

// Progress keeps learners' progress per lesson. The browser keeps it in the store's records
// (IndexedDB); tests use Memory.
type Progress interface {
	// Load returns the lesson's record, the zero Record when there is none.
	Load(ctx context.Context, lessonID string) (Record, error)
	Save(ctx context.Context, lessonID string, r Record) error
	// Reset forgets the lesson's progress (restarting it); resetting a fresh lesson is fine.
	Reset(ctx context.Context, lessonID string) error
}

var (
	_ Progress = (*Memory)(nil)
	_ Progress = StoreProgress{}
)

// Memory is Progress in memory.
type Memory struct {
	mu sync.Mutex
	m  map[string]Record
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{m: map[string]Record{}} }

func (m *Memory) Load(ctx context.Context, id string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return clone(m.m[id]), nil
}

func (m *Memory) Save(ctx context.Context, id string, r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[id] = clone(r)
	return nil
}

func (m *Memory) Reset(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, id)
	return nil
}

func clone(r Record) Record {
	return Record{Done: slices.Clone(r.Done), Shown: slices.Clone(r.Shown)}
}

// ProgressKind is the store record namespace StoreProgress writes ("lessonprogress", keyed
// by lesson ID).
const ProgressKind = "lessonprogress"

// StoreProgress keeps progress as store records beside the images: in the browser the
// store is IndexedDB, so progress survives reloads with everything else.
type StoreProgress struct{ Store store.Store }

func (p StoreProgress) Load(ctx context.Context, id string) (Record, error) {
	b, err := p.Store.Record(ctx, ProgressKind, id)
	if isNotExist(err) {
		return Record{}, nil
	}
	if err != nil {
		return Record{}, fmt.Errorf("reading the progress of lesson %s: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		// a damaged record starts the lesson again rather than blocking it
		return Record{}, nil
	}
	return r, nil
}

func (p StoreProgress) Save(ctx context.Context, id string, r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := p.Store.PutRecord(ctx, ProgressKind, id, b); err != nil {
		return fmt.Errorf("saving the progress of lesson %s: %w", id, err)
	}
	return nil
}

func (p StoreProgress) Reset(ctx context.Context, id string) error {
	if err := p.Store.DeleteRecord(ctx, ProgressKind, id); err != nil && !isNotExist(err) {
		return fmt.Errorf("restarting lesson %s: %w", id, err)
	}
	return nil
}

// Check evaluates all of the step's checks: it passes when every one does. The message is
// the first failing check's, or all of them joined when the step passed.
func (s *Step) Check(ctx context.Context, st *State) (Result, error) {
	var ok []string
	for _, c := range s.Checks {
		r, err := c.Eval(ctx, st)
		if err != nil {
			return Result{}, err
		}
		if !r.Passed {
			return r, nil
		}
		ok = append(ok, r.Message)
	}
	return Result{Passed: true, Message: strings.Join(ok, "; ")}, nil
}

// Complete checks step i of l and, only when it passes, records it done in p. shown says
// "show me" did the step; the record keeps that, so the page can say so. A lesson's
// progress moves only through here: a failed check changes nothing.
func Complete(ctx context.Context, p Progress, l *Lesson, i int, st *State, shown bool) (Result, error) {
	if i < 0 || i >= len(l.Steps) {
		return Result{}, fmt.Errorf("lesson %s has no step %d (it has %d)", l.ID, i, len(l.Steps))
	}
	res, err := l.Steps[i].Check(ctx, st)
	if err != nil || !res.Passed {
		return res, err
	}
	r, err := p.Load(ctx, l.ID)
	if err != nil {
		return Result{}, err
	}
	if !r.Has(i) {
		r.Done = append(r.Done, i)
	}
	if shown && !slices.Contains(r.Shown, i) {
		r.Shown = append(r.Shown, i)
	}
	if err := p.Save(ctx, l.ID, r); err != nil {
		return Result{}, err
	}
	return res, nil
}

// Finished reports whether every step of l is done in r.
func Finished(l *Lesson, r Record) bool {
	for i := range l.Steps {
		if !r.Has(i) {
			return false
		}
	}
	return true
}
