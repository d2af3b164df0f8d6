package build

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/layerlab/layerlab/core/store"
)

// LastBuildPrevious is the lastbuild record's key for the build before the last one: the
// build stepper explains a cache miss by comparing a step's inputs with that build's.
const LastBuildPrevious = "previous"

// maxInputFiles caps how many context files a step's inputs name one by one; a COPY of
// more keeps only its sources' checksums.
const maxInputFiles = 200

// StepInputs are what a step's cache key was made of, kept in the lastbuild record so a
// later build can say which of them changed.
type StepInputs struct {
	Instruction string            `json:"instruction"`            // the instruction as written
	Parent      string            `json:"parent,omitempty"`       // the cache key of the step before
	Base        string            `json:"base,omitempty"`         // FROM: the base image's digest
	Env         []string          `json:"env,omitempty"`          // RUN: the ARGs and ENVs it sees
	Workdir     string            `json:"workdir,omitempty"`      // RUN: the working directory
	Files       map[string]string `json:"files,omitempty"`        // COPY/ADD: context path -> sha256
	Sources     map[string]string `json:"sources,omitempty"`      // COPY/ADD: source as written -> checksum
	TooMany     bool              `json:"tooManyFiles,omitempty"` // Files left out: more than maxInputFiles
}

// Why is the stepper's explanation of one step.
type Why struct {
	Step    int      `json:"step"`
	Cached  bool     `json:"cached"`
	Reason  string   `json:"reason"`            // one sentence for the learner
	Changed []string `json:"changed,omitempty"` // "instruction", "file:PATH", "env:NAME", "base", "parent"
}

// Explain says for each step of cur why it was CACHED or ran, comparing its inputs with the
// step at the same position of prev (nil when there was no earlier build).
func Explain(prev, cur *LastBuild) []Why {
	var out []Why
	for _, st := range cur.Steps {
		w := Why{Step: st.Step, Cached: st.Cached}
		var p *LastStep
		if prev != nil {
			for i := range prev.Steps {
				if prev.Steps[i].Step == st.Step {
					p = &prev.Steps[i]
				}
			}
		}
		switch {
		case st.Failed:
			w.Reason = "the step failed; nothing was kept"
		case st.Cached:
			w.Reason = "CACHED: the instruction, the layer below it and every file it reads match a step already in the cache, so its layer was reused"
		case st.Inputs == nil || p == nil || p.Inputs == nil:
			if st.Inputs != nil && st.Inputs.Base != "" {
				w.Reason = "FROM: the base image's layers are the first layers of the stack"
			} else {
				w.Reason = "ran: there is no earlier build of this step to reuse"
			}
		default:
			w.Changed, w.Reason = compareInputs(p.Inputs, st.Inputs)
		}
		out = append(out, w)
	}
	return out
}

func compareInputs(was, now *StepInputs) ([]string, string) {
	var changed, why []string
	if was.Instruction != now.Instruction {
		changed = append(changed, "instruction")
		why = append(why, fmt.Sprintf("the instruction changed (it was %q)", was.Instruction))
	}
	if was.Base != now.Base {
		changed = append(changed, "base")
		why = append(why, "the base image is a different one")
	}
	if was.Workdir != now.Workdir {
		changed = append(changed, "workdir")
		why = append(why, fmt.Sprintf("the working directory changed (it was %q)", was.Workdir))
	}
	var files []string
	for _, p := range union(was.Files, now.Files) {
		a, inA := was.Files[p]
		b, inB := now.Files[p]
		switch {
		case !inA:
			files = append(files, p+" (new)")
		case !inB:
			files = append(files, p+" (gone)")
		case a != b:
			files = append(files, p)
		default:
			continue
		}
		changed = append(changed, "file:"+p)
	}
	if len(files) == 0 {
		for _, s := range union(was.Sources, now.Sources) {
			if was.Sources[s] != now.Sources[s] {
				files = append(files, s)
				changed = append(changed, "file:"+s)
			}
		}
	}
	if len(files) > 0 {
		why = append(why, "a file it copies changed: "+strings.Join(files, ", "))
	}
	wasEnv, nowEnv := envMap(was.Env), envMap(now.Env)
	var vars []string
	for _, k := range union(wasEnv, nowEnv) {
		if wasEnv[k] != nowEnv[k] {
			vars = append(vars, k)
			changed = append(changed, "env:"+k)
		}
	}
	if len(vars) > 0 {
		why = append(why, "an ARG or ENV it sees changed: "+strings.Join(vars, ", "))
	}
	if len(why) == 0 && was.Parent != now.Parent {
		changed = append(changed, "parent")
		why = append(why, "a step above it ran, so the layer it builds on is new: every step after a cache miss runs too")
	}
	if len(why) == 0 {
		return changed, "ran: its inputs match the build before, but the cache had no layer for it (cleared, pruned or --no-cache)"
	}
	return changed, "ran: " + strings.Join(why, "; ")
}

func union[V any](a, b map[string]V) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func envMap(kv []string) map[string]string {
	m := map[string]string{}
	for _, e := range kv {
		k, v, _ := strings.Cut(e, "=")
		m[k] = v
	}
	return m
}

// fileSums lists the regular files under matches of ctx with their sha256, for a COPY's
// inputs; ok is false when there are more than maxInputFiles.
func (b *builder) fileSums(cctx context.Context, ctx fs.FS, matches []string, into map[string]string) bool {
	for _, m := range matches {
		root := m
		if root == "" {
			root = "."
		}
		err := fs.WalkDir(ctx, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			if len(into) >= maxInputFiles {
				return fs.SkipAll
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			sum, err := b.contentSum(cctx, ctx, p, info) // through the context checksum cache
			if err != nil {
				return err
			}
			into[p] = hex.EncodeToString(sum[:])
			return nil
		})
		if err != nil || len(into) >= maxInputFiles {
			return false
		}
	}
	return true
}

// noteCopy records a COPY source's inputs for the step about to run.
func (b *builder) noteCopy(ctx context.Context, instruction, parent, source, sum string, src fs.FS, matches []string) {
	if b.inputs == nil || b.inputs.Instruction != instruction {
		b.inputs = &StepInputs{Instruction: instruction, Parent: parent, Files: map[string]string{}, Sources: map[string]string{}}
	}
	b.inputs.Sources[source] = sum
	if !b.inputs.TooMany && !b.fileSums(ctx, src, matches, b.inputs.Files) {
		b.inputs.TooMany, b.inputs.Files = true, nil
	}
}

// takeInputs hands the noted inputs to the step's event.
func (b *builder) takeInputs() *StepInputs {
	in := b.inputs
	b.inputs = nil
	return in
}

// rotateLastBuild keeps the record being replaced as the previous build's.
func rotateLastBuild(ctx context.Context, s any) {
	rs, ok := s.(interface {
		Record(ctx context.Context, kind, key string) ([]byte, error)
		PutRecord(ctx context.Context, kind, key string, value []byte) error
	})
	if !ok {
		return
	}
	if b, err := rs.Record(ctx, LastBuildKind, LastBuildKey); err == nil {
		_ = rs.PutRecord(ctx, LastBuildKind, LastBuildPrevious, b)
	}
}

// ReadLastBuild reads the lastbuild record under key (LastBuildKey or LastBuildPrevious);
// nil when there is none.
func ReadLastBuild(ctx context.Context, s store.Store, key string) (*LastBuild, error) {
	b, err := s.Record(ctx, LastBuildKind, key)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading the last build's record: %w", err)
	}
	var lb LastBuild
	if err := json.Unmarshal(b, &lb); err != nil {
		return nil, fmt.Errorf("reading the last build's record: %w", err)
	}
	return &lb, nil
}

// FileChange is one entry of a step's layer as the stepper shows it.
type FileChange struct {
	Path    string `json:"path"`
	Kind    string `json:"kind"` // "added", "modified", "deleted"
	Type    string `json:"type"` // "file", "dir", "symlink", "link", "other"
	Size    int64  `json:"size"`
	Content string `json:"content,omitempty"` // a small UTF-8 file's text
	HasText bool   `json:"hasText"`
}

// maxShownFile is the largest file whose content the stepper can show.
const maxShownFile = 64 << 10

// StepChanges lists the entries of the layer step made in lb, read back from the store:
// whiteouts are deletions; a path some earlier step's layer held is modified, others added.
func StepChanges(ctx context.Context, s store.Store, lb *LastBuild, step int) ([]FileChange, error) {
	seen := map[string]bool{}
	for _, st := range lb.Steps {
		if st.Step > step {
			break
		}
		if st.CacheKey == "" || st.DiffID == "" {
			continue
		}
		entries, err := layerEntries(ctx, s, st.CacheKey, st.Step == step)
		if err != nil {
			return nil, fmt.Errorf("reading step %d's layer: %w", st.Step, err)
		}
		if st.Step == step {
			for i := range entries {
				if entries[i].Kind == "" {
					entries[i].Kind = "added"
					if seen[entries[i].Path] {
						entries[i].Kind = "modified"
					}
				}
			}
			return entries, nil
		}
		for _, e := range entries {
			seen[e.Path] = e.Kind != "deleted"
		}
	}
	return []FileChange{}, nil
}

func layerEntries(ctx context.Context, s store.Store, key string, withContent bool) ([]FileChange, error) {
	raw, err := s.Record(ctx, CacheKind, key)
	if err != nil {
		return nil, fmt.Errorf("the build cache no longer has it: %w", err)
	}
	var rec cacheRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, err
	}
	rc, err := s.OpenBlob(ctx, rec.Digest)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	out := []FileChange{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		p := strings.TrimSuffix(strings.TrimPrefix(path.Clean("/"+h.Name), "/"), "/")
		dir, base := path.Split(p)
		if strings.HasPrefix(base, ".wh.") {
			if base != ".wh..wh..opq" {
				out = append(out, FileChange{Path: path.Join(dir, strings.TrimPrefix(base, ".wh.")), Kind: "deleted", Type: "other"})
			}
			continue
		}
		fc := FileChange{Path: p, Size: h.Size, Type: "other"}
		switch h.Typeflag {
		case tar.TypeReg:
			fc.Type = "file"
		case tar.TypeDir:
			fc.Type = "dir"
		case tar.TypeSymlink:
			fc.Type = "symlink"
		case tar.TypeLink:
			fc.Type = "link"
		}
		if withContent && fc.Type == "file" && h.Size <= maxShownFile {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			if utf8.Valid(b) && !slices.Contains(b, 0) {
				fc.Content, fc.HasText = string(b), true
			}
		}
		out = append(out, fc)
	}
}
