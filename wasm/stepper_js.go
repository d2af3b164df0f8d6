//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"syscall/js"

	"github.com/layerlab/layerlab/core/build"
)

// installStepper adds the build stepper's functions (docs/api.md): the last build's steps
// with why each was CACHED or ran, and the file changes of one step's layer.
func installStepper(api js.Value, session func() (*session, error)) {
	export(api, "buildSteps", func(args []js.Value) (js.Value, error) {
		s, err := session()
		if err != nil {
			return js.Undefined(), err
		}
		ctx := context.Background()
		cur, err := build.ReadLastBuild(ctx, s.store, build.LastBuildKey)
		if err != nil || cur == nil {
			return js.Null(), err
		}
		prev, err := build.ReadLastBuild(ctx, s.store, build.LastBuildPrevious)
		if err != nil {
			return js.Undefined(), err
		}
		whys := build.Explain(prev, cur)
		steps := make([]any, len(cur.Steps))
		for i, st := range cur.Steps {
			m := map[string]any{"step": st.Step, "name": st.Name, "cached": st.Cached, "failed": st.Failed,
				"diffID": st.DiffID, "size": float64(st.Size), "changes": st.Changes, "reason": whys[i].Reason}
			changed := make([]any, len(whys[i].Changed))
			for j, c := range whys[i].Changed {
				changed[j] = c
			}
			m["changed"] = changed
			if st.Inputs != nil {
				m["instruction"] = st.Inputs.Instruction
			}
			steps[i] = m
		}
		return js.ValueOf(map[string]any{"total": cur.Total, "image": cur.Image, "error": cur.Error, "steps": steps}), nil
	})
	export(api, "stepFiles", func(args []js.Value) (js.Value, error) {
		if len(args) < 1 || args[0].Type() != js.TypeNumber {
			return js.Undefined(), errors.New("layerlab.stepFiles: want a step number")
		}
		s, err := session()
		if err != nil {
			return js.Undefined(), err
		}
		ctx := context.Background()
		cur, err := build.ReadLastBuild(ctx, s.store, build.LastBuildKey)
		if err != nil {
			return js.Undefined(), err
		}
		if cur == nil {
			return js.Undefined(), errors.New("layerlab.stepFiles: there has been no build yet")
		}
		fc, err := build.StepChanges(ctx, s.store, cur, args[0].Int())
		if err != nil {
			return js.Undefined(), err
		}
		b, err := json.Marshal(fc)
		if err != nil {
			return js.Undefined(), err
		}
		return js.Global().Get("JSON").Call("parse", string(b)), nil
	})
}
