package build

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
)

// LastBuildKind and LastBuildKey name the store record that keeps a summary of the most
// recent build (successful or not), so that something outside the build — a lesson's check,
// a build stepper — can ask which steps were CACHED without having watched the events.
const (
	LastBuildKind = "lastbuild"
	LastBuildKey  = "last"
)

// LastBuild is the record's JSON document.
type LastBuild struct {
	// Steps are the numbered steps that reported, by BuildKit's number ([k/N]).
	Steps []LastStep `json:"steps"`
	// Total is N of [k/N]; 0 when the build failed before its first step.
	Total int `json:"total"`
	// Image is the built image's ID (config digest); empty when the build failed.
	Image string   `json:"image,omitempty"`
	Tags  []string `json:"tags,omitempty"`
	// Error is the build's error when it failed.
	Error string `json:"error,omitempty"`
}

// LastStep is one step of LastBuild.
type LastStep struct {
	Step     int         `json:"step"`
	Name     string      `json:"name"`
	Cached   bool        `json:"cached"`
	Failed   bool        `json:"failed,omitempty"`
	CacheKey string      `json:"cacheKey,omitempty"`
	DiffID   string      `json:"diffID,omitempty"`
	Size     int64       `json:"size,omitempty"`
	Changes  int         `json:"changes,omitempty"` // how many entries the step's layer changed
	Inputs   *StepInputs `json:"inputs,omitempty"`  // for the stepper's explanations (explain.go)
}

// lastRecorder collects the step events of one build for the lastbuild record.
type lastRecorder struct {
	mu    sync.Mutex
	steps map[int]*LastStep
	total int
}

// wrap returns an event function that records events and passes them on to next.
func (r *lastRecorder) wrap(next func(Event)) func(Event) {
	return func(e Event) {
		r.record(e)
		if next != nil {
			next(e)
		}
	}
}

func (r *lastRecorder) record(e Event) {
	if e.Step == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.steps == nil {
		r.steps = map[int]*LastStep{}
	}
	st := r.steps[e.Step]
	if st == nil {
		st = &LastStep{Step: e.Step}
		r.steps[e.Step] = st
	}
	if e.Total > r.total {
		r.total = e.Total
	}
	if e.Name != "" {
		st.Name = e.Name
	}
	if e.CacheKey != "" {
		st.CacheKey = e.CacheKey
	}
	if e.Inputs != nil {
		st.Inputs = e.Inputs
	}
	switch e.Type {
	case StepCached:
		st.Cached = true
	case StepFailed:
		st.Failed = true
	}
	if e.Type == StepCached || e.Type == StepDone {
		if e.DiffID.Hex != "" {
			st.DiffID = e.DiffID.String()
		}
		st.Size = e.Size
		st.Changes = len(e.Changes)
	}
}

// save writes the record; a build's own result never depends on it succeeding.
func (r *lastRecorder) save(ctx context.Context, s interface {
	PutRecord(ctx context.Context, kind, key string, value []byte) error
}, res *Result, err error) {
	r.mu.Lock()
	lb := LastBuild{Total: r.total, Steps: []LastStep{}}
	for _, st := range r.steps {
		lb.Steps = append(lb.Steps, *st)
	}
	r.mu.Unlock()
	sort.Slice(lb.Steps, func(i, j int) bool { return lb.Steps[i].Step < lb.Steps[j].Step })
	if err != nil {
		lb.Error = err.Error()
	}
	if res != nil {
		lb.Image = res.Config.String()
		lb.Tags = res.Tags
	}
	b, merr := json.Marshal(lb)
	if merr != nil {
		return
	}
	rotateLastBuild(context.WithoutCancel(ctx), s)
	_ = s.PutRecord(context.WithoutCancel(ctx), LastBuildKind, LastBuildKey, b)
}
