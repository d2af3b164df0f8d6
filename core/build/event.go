package build

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/buildcheck"
	"github.com/layerlab/layerlab/core/fsys"
)

// EventType says what happened to a step.
type EventType string

const (
	StepStarted EventType = "started"
	StepCached  EventType = "cached"
	StepDone    EventType = "done"
	StepOutput  EventType = "output"
	StepFailed  EventType = "error"
	// Planned comes first, once: what the build will resolve and read (Bases, UsesContext),
	// so a renderer can show BuildKit's [internal] steps before the numbered ones.
	Planned EventType = "planned"
	// Checked is sent by the caller that ran core/buildcheck over the Dockerfile (core/build
	// does not check): BuildKit's warnings and layerlab's advice, told apart by Source.
	Checked EventType = "checked"
)

// Event is one entry of the structured progress stream. Steps are numbered as BuildKit
// numbers them ([1/N] is FROM; only instructions that produce a filesystem operation get a
// number); config-only instructions produce no events.
type Event struct {
	Type     EventType
	Step     int
	Total    int
	Name     string // "[2/6] COPY hello.txt ./", as BuildKit's progress names it
	CacheKey string
	DiffID   v1.Hash       // the layer's diff_id, when the step made one
	Size     int64         // compressed layer size
	Changes  []fsys.Change // the layer's entries (only on StepDone for a step that ran)
	Duration time.Duration
	Err      error
	Output   []byte      // what a RUN printed (StepOutput)
	Inputs   *StepInputs // what the cache key was made of (explain.go), on StepStarted

	// Planned only:
	Bases       []string // the base images the needed stages resolve, normalized, in order
	UsesContext bool     // a needed stage COPYs or ADDs from the build context

	// Checked only:
	Findings []buildcheck.Finding
}
