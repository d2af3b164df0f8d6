package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/layerlab/layerlab/core/dockerfile"
	"github.com/layerlab/layerlab/core/fsys"
	"github.com/layerlab/layerlab/core/store"
)

// CacheKind is the store record namespace of the build cache.
const CacheKind = "buildcache"

const historyComment = "buildkit.dockerfile.v0"

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Options configure one build.
type Options struct {
	Dockerfile []byte
	Context    fs.FS             // the build context
	BuildArgs  map[string]string // --build-arg K=V (SOURCE_DATE_EPOCH among them)
	Tags       []string          // references to tag the result with (normalized here)
	Target     string            // stage to build; default the last
	NoCache    bool
	Now        func() time.Time // default time.Now
	Events     func(Event)      // progress; may be nil
	// Pull fetches a base image the store does not hold into the store under its normalized
	// name (docker build pulls what FROM names); an image the registry does not have is
	// ErrBaseNotFound. nil: a base missing from the store is an error.
	Pull func(ctx context.Context, name string) error
}

// Result is the built image.
type Result struct {
	Manifest v1.Descriptor
	Config   v1.Hash
	Tags     []string
}

// Build runs the Dockerfile and stores the image (blobs first, tags last).
func Build(ctx context.Context, s store.Store, o Options) (res *Result, err error) {
	var last lastRecorder // the "lastbuild" record (lastbuild.go)
	o.Events = last.wrap(o.Events)
	defer func() { last.save(ctx, s, res, err) }()
	df, err := dockerfile.Parse(o.Dockerfile)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Context == nil {
		o.Context = emptyFS{}
	}
	if o.Context, err = withDockerignore(o.Context); err != nil {
		return nil, err
	}
	b := &builder{s: s, o: o, df: df, lex: df.Lex()}
	defer b.sums.save(ctx, b)
	if v, ok := o.BuildArgs["SOURCE_DATE_EPOCH"]; ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid SOURCE_DATE_EPOCH %q: want seconds since 1970", v)
		}
		t := time.Unix(n, 0).UTC()
		b.epoch = &t
	}
	return b.run(ctx)
}

type builder struct {
	stages []*stageState // built stages, by index
	bases  []string      // each stage's FROM, expanded
	s      store.Store
	o      Options
	df     *dockerfile.File
	lex    *shell.Lex
	epoch  *time.Time
	// desc, when set, describes the next step's cache record (BuildKit's "mount / from
	// exec /bin/sh -c ..." for a RUN); runStep consumes it.
	desc string
	// sums is the context checksum cache (sumcache.go)
	sums   sumCache
	inputs *StepInputs // the next step's cache inputs (explain.go)
}

// stageState is dispatchState's counterpart: the image being made and its filesystem.
type stageState struct {
	name      string
	index     int
	onBuild   bool   // dispatching an ONBUILD trigger (its step names say so)
	baseRef   string // docker.io/library/busybox:latest@sha256:..., for the FROM step's name
	image     dockerspec.DockerOCIImage
	base      *dockerspec.DockerOCIImage // nil for scratch
	descs     []v1.Descriptor
	diffIDs   []v1.Hash
	fs        *fsys.FS
	pending   []v1.Descriptor // layers not yet applied to fs
	env       []string        // the LLB state's env: image env plus ARGs
	argNames  map[string]bool
	buildArgs []instructions.KeyValuePairOptional
	key       string
	cmdIndex  int
	cmdTotal  int
	cmdSet    bool
}

func (b *builder) run(ctx context.Context) (*Result, error) {
	stages := b.df.Stages
	target := len(stages) - 1
	if b.o.Target != "" {
		target = -1
		for i, st := range stages {
			if strings.EqualFold(st.Name, b.o.Target) {
				target = i
			}
		}
		if target < 0 {
			return nil, fmt.Errorf("failed to parse stage name %q: target stage %q could not be found", b.o.Target, b.o.Target)
		}
	}
	global := b.globalArgs(stages[target].Name)
	b.stages = make([]*stageState, len(stages))
	b.bases = make([]string, len(stages))
	for i := range stages {
		name, _, err := b.lex.ProcessWord(stages[i].BaseName, global)
		if err != nil {
			return nil, fmt.Errorf("expanding FROM %s: %w", stages[i].BaseName, err)
		}
		b.bases[i] = name
	}
	// Only the stages the target needs are built, each after the stages it uses. FROM
	// names only earlier stages; COPY --from and RUN --mount from= may name later ones.
	need := map[int]bool{}
	var order []int
	var visit func(i int)
	visit = func(i int) {
		if need[i] {
			return
		}
		need[i] = true
		if j, ok := b.stageIndex(b.bases[i], i); ok {
			visit(j)
		}
		for _, c := range stages[i].Commands {
			if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
				if j, ok := b.stageRef(cp.From); ok {
					visit(j)
				}
			}
			if rc, ok := c.(*instructions.RunCommand); ok {
				for _, m := range instructions.GetMounts(rc) {
					if j, ok := b.stageRef(m.From); ok && m.From != "" {
						visit(j)
					}
				}
			}
		}
		order = append(order, i)
	}
	visit(target)
	if err := b.checkCycles(); err != nil {
		return nil, err
	}
	if err := b.checkBases(ctx, need, target); err != nil {
		return nil, err
	}
	plan := b.plan(need, target)
	if err := b.prevalidate(need); err != nil {
		// BuildKit finds these while converting the Dockerfile: after loading the bases'
		// metadata and .dockerignore, before it reads the context.
		plan.UsesContext = false
		b.o.Events(plan)
		return nil, err
	}
	b.o.Events(plan)
	for _, i := range order {
		st, err := b.runStage(ctx, &stages[i], i, global)
		if err != nil {
			return nil, err
		}
		b.stages[i] = st
	}
	return b.export(ctx, b.stages[target])
}

// plan says which base images the needed stages resolve and whether they read the context.
func (b *builder) plan(need map[int]bool, target int) Event {
	ev := Event{Type: Planned}
	seen := map[string]bool{}
	for i := range b.df.Stages {
		if !need[i] {
			continue
		}
		if _, isStage := b.stageIndex(b.bases[i], i); !isStage && b.bases[i] != "scratch" {
			name := b.bases[i]
			if n, err := reference.ParseNormalizedNamed(name); err == nil {
				name = reference.TagNameOnly(n).String()
			}
			if !seen[name] {
				seen[name] = true
				ev.Bases = append(ev.Bases, name)
			}
		}
		for _, c := range b.df.Stages[i].Commands {
			switch c := c.(type) {
			case *instructions.CopyCommand:
				ev.UsesContext = ev.UsesContext || c.From == ""
			case *instructions.AddCommand:
				ev.UsesContext = true
			}
		}
	}
	return ev
}

// stageRef finds the stage a COPY --from or a mount's from= names: any stage's name, or
// its index.
func (b *builder) stageRef(name string) (int, bool) {
	return b.stageIndex(name, len(b.df.Stages))
}

// stageIndex finds the stage a FROM or --from names: an earlier stage's name or index.
func (b *builder) stageIndex(name string, before int) (int, bool) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, n >= 0 && n < before
	}
	for j := 0; j < before; j++ {
		if b.df.Stages[j].Name != "" && strings.EqualFold(b.df.Stages[j].Name, name) {
			return j, true
		}
	}
	return 0, false
}

// globalArgs evaluates the ARGs before the first FROM with the predefined platform ARGs and
// the build args, as buildMetaArgs does.
func (b *builder) globalArgs(target string) *envList {
	if target == "" {
		target = "default"
	}
	env := &envList{}
	for _, kv := range [][2]string{
		{"BUILDPLATFORM", "linux/amd64"}, {"BUILDOS", "linux"}, {"BUILDOSVERSION", ""}, {"BUILDARCH", "amd64"}, {"BUILDVARIANT", ""},
		{"TARGETPLATFORM", "linux/amd64"}, {"TARGETOS", "linux"}, {"TARGETOSVERSION", ""}, {"TARGETARCH", "amd64"}, {"TARGETVARIANT", ""},
		{"TARGETSTAGE", target},
	} {
		v := kv[1]
		if ov, ok := b.o.BuildArgs[kv[0]]; ok {
			v = ov
		}
		env.set(kv[0], v)
	}
	if v, ok := b.o.BuildArgs["SOURCE_DATE_EPOCH"]; ok {
		env.set("SOURCE_DATE_EPOCH", v)
	}
	for _, cmd := range b.df.MetaArgs {
		for _, kv := range cmd.Args {
			if v, ok := b.o.BuildArgs[kv.Key]; ok {
				env.set(kv.Key, v)
				continue
			}
			if kv.Value != nil {
				v, _, err := b.lex.ProcessWord(*kv.Value, env)
				if err == nil {
					env.set(kv.Key, v)
				}
			}
		}
	}
	return env
}

// stageName is how BuildKit's progress prefixes a stage's steps: nothing in a one-stage
// Dockerfile, else the stage's name or "stage-N". BuildKit counts as stages also the
// sources it adds for COPY --from=IMAGE and for every RUN --mount not from a stage (the
// mount's scratch or image), so those make even one FROM's steps "[stage-0 2/3]".
func stageName(stages []instructions.Stage, i int) string {
	if len(stages) == 1 && !hasExtraSources(stages) {
		return ""
	}
	if stages[i].Name != "" {
		return stages[i].Name
	}
	return fmt.Sprintf("stage-%d", i)
}

func (b *builder) runStage(ctx context.Context, stage *instructions.Stage, index int, global *envList) (*stageState, error) {
	st := &stageState{name: stageName(b.df.Stages, index), index: index}
	baseName := b.bases[index]
	if stage.Platform != "" {
		pl, _, err := b.lex.ProcessWord(stage.Platform, global)
		if err != nil || (pl != "linux/amd64" && pl != "$BUILDPLATFORM" && pl != "$TARGETPLATFORM") {
			return nil, &StepError{Line: stageLine(stage), Instruction: "FROM --platform=" + stage.Platform, Err: fmt.Errorf("only linux/amd64 is supported in layerlab")}
		}
	}
	parent, fromStage := b.stageIndex(baseName, index)
	// BuildKit numbers FROM (unless scratch or an earlier stage) and the instructions that
	// become file or exec operations.
	if baseName != "scratch" && !fromStage {
		st.cmdTotal = 1
	}
	for _, c := range stage.Commands {
		switch c.(type) {
		case *instructions.AddCommand, *instructions.CopyCommand, *instructions.RunCommand, *instructions.WorkdirCommand:
			st.cmdTotal++
		}
	}
	switch {
	case fromStage:
		p := b.stages[parent]
		st.image = cloneImage(p.image)
		st.base = p.base
		st.descs = slices.Clone(p.descs)
		st.diffIDs = slices.Clone(p.diffIDs)
		st.pending = slices.Clone(p.pending)
		if p.fs != nil {
			st.fs = p.fs.Clone()
		}
		st.key = p.key
		st.env = slices.Clone(p.env)
	case baseName == "scratch":
		st.image = emptyImage()
		st.fs = fsys.New()
		st.key = hashKey("from", "scratch")
	default:
		start := time.Now()
		err := b.loadBase(ctx, st, baseName)
		// BuildKit names the FROM step before it adds the image's ONBUILD triggers to the
		// stage's total, so FROM says [1/3] and the steps after it [2/5].
		fromName := b.prefix(st, "FROM "+baseName)
		st.cmdTotal += len(st.image.Config.OnBuild)
		if err != nil {
			b.o.Events(Event{Type: StepFailed, Step: st.cmdIndex, Total: st.cmdTotal, Name: fromName, Err: err})
			return nil, err
		}
		// BuildKit names the step by the resolved reference and digest.
		fromName = fromName[:strings.Index(fromName, "] ")+2] + "FROM " + st.baseRef
		b.o.Events(Event{Type: StepDone, Step: st.cmdIndex, Total: st.cmdTotal, Name: fromName, CacheKey: st.key, Duration: time.Since(start), Inputs: &StepInputs{Instruction: "FROM " + baseName, Base: st.key}})
	}
	if !fromStage {
		for _, e := range st.image.Config.Env {
			k, v, _ := strings.Cut(e, "=")
			st.env = setEnv(st.env, k, v)
		}
	}
	// ONBUILD triggers: an image's, or an earlier stage's ONBUILD instructions, run first.
	var triggers []string
	if fromStage {
		for _, c := range b.df.Stages[parent].Commands {
			if ob, ok := c.(*instructions.OnbuildCommand); ok {
				triggers = append(triggers, ob.Expression)
			}
		}
		st.cmdTotal += len(triggers)
		st.buildArgs = slices.Clone(b.stages[parent].buildArgs)
	} else {
		triggers = st.image.Config.OnBuild
	}
	st.image.Config.OnBuild = nil
	line := 0
	if len(stage.Location) > 0 {
		line = stage.Location[0].Start.Line
	}
	for _, t := range triggers {
		cmd, err := parseTrigger(t)
		if err != nil {
			return nil, &StepError{Line: line, Instruction: "ONBUILD " + t, Err: err}
		}
		st.onBuild = true
		err = b.dispatch(ctx, st, cmd, global)
		st.onBuild = false
		if err != nil {
			return nil, &StepError{Line: line, Instruction: "ONBUILD " + t, Err: err}
		}
	}
	for _, cmd := range stage.Commands {
		if err := b.dispatch(ctx, st, cmd, global); err != nil {
			var se *StepError
			if errors.As(err, &se) {
				return nil, err
			}
			line, end := cmdLines(cmd)
			return nil, &StepError{Line: line, EndLine: end, Instruction: fmt.Sprint(cmd), Err: err}
		}
	}
	return st, nil
}

// StepError is a build step that failed: the Dockerfile line and instruction, and why.
type StepError struct {
	Line        int
	EndLine     int // the last line of an instruction spanning several (a heredoc); 0 = Line
	Instruction string
	Err         error
	// More are further places BuildKit shows, each as its own excerpt after the first (the
	// other COPY --from of a stage cycle): {start, end} lines.
	More [][2]int
}

func (e *StepError) Error() string {
	return fmt.Sprintf("Dockerfile:%d: %s: %v", e.Line, e.Instruction, e.Err)
}
func (e *StepError) Unwrap() error { return e.Err }

func emptyImage() dockerspec.DockerOCIImage {
	img := dockerspec.DockerOCIImage{}
	img.Architecture = "amd64"
	img.OS = "linux"
	img.RootFS.Type = "layers"
	img.Config.WorkingDir = "/"
	img.Config.Env = []string{"PATH=" + defaultPath}
	return img
}

// loadBase finds the base image in the store and takes its config; its layers are applied
// to the filesystem only when a step that runs needs them.
func (b *builder) loadBase(ctx context.Context, st *stageState, name string) error {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return fmt.Errorf("resolving base image %q: %w", name, err)
	}
	named = reference.TagNameOnly(named)
	entries, err := b.s.Index(ctx)
	if err != nil {
		return fmt.Errorf("reading the image index: %w", err)
	}
	var desc *v1.Descriptor
	for _, e := range entries {
		if e.Name == named.String() {
			d := e.Descriptor
			desc = &d
		}
	}
	if desc == nil {
		return &baseNotFound{name: name, ref: named.String()}
	}
	mb, err := store.ReadBlob(ctx, b.s, desc.Digest)
	if err != nil {
		return fmt.Errorf("reading manifest of %s: %w", name, err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return fmt.Errorf("parsing manifest of %s: %w", name, err)
	}
	cb, err := store.ReadBlob(ctx, b.s, m.Config.Digest)
	if err != nil {
		return fmt.Errorf("reading config of %s: %w", name, err)
	}
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(cb, &img); err != nil {
		return fmt.Errorf("parsing config of %s: %w", name, err)
	}
	base := cloneImage(img)
	st.base = &base
	img.Created = nil
	st.image = img
	for _, d := range img.RootFS.DiffIDs {
		h, err := v1.NewHash(d.String())
		if err != nil {
			return fmt.Errorf("config of %s: diff_id %q: %w", name, d, err)
		}
		st.diffIDs = append(st.diffIDs, h)
	}
	if len(st.diffIDs) != len(m.Layers) {
		return fmt.Errorf("base image %s: %d layers but %d diff_ids", name, len(m.Layers), len(st.diffIDs))
	}
	for _, l := range m.Layers {
		l.MediaType = ociLayerType(l.MediaType)
		l.Annotations = nil
		l.URLs = nil
		st.descs = append(st.descs, l)
		st.pending = append(st.pending, l)
	}
	st.key = hashKey("from", desc.Digest.String())
	st.baseRef = named.String() + "@" + desc.Digest.String()
	return nil
}

func ociLayerType(mt types.MediaType) types.MediaType {
	switch mt {
	case types.DockerLayer:
		return types.OCILayer
	case types.DockerUncompressedLayer:
		return types.OCIUncompressedLayer
	}
	return mt
}

// materialize applies the layers not yet applied and returns the stage's filesystem.
func (b *builder) materialize(ctx context.Context, st *stageState) (*fsys.FS, error) {
	if st.fs == nil {
		st.fs = fsys.New()
	}
	for len(st.pending) > 0 {
		d := st.pending[0]
		rc, err := b.s.OpenBlob(ctx, d.Digest)
		if err != nil {
			return nil, fmt.Errorf("opening layer %s: %w", d.Digest, err)
		}
		var r io.Reader = rc
		if strings.HasSuffix(string(d.MediaType), "gzip") {
			zr, err := gzip.NewReader(rc)
			if err != nil {
				rc.Close()
				return nil, fmt.Errorf("layer %s: %w", d.Digest, err)
			}
			r = zr
		}
		err = st.fs.ApplyLayer(r)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("applying layer %s: %w", d.Digest, err)
		}
		st.pending = st.pending[1:]
	}
	return st.fs, nil
}

func (b *builder) prefix(st *stageState, s string) string {
	st.cmdIndex++
	width := len(strconv.Itoa(st.cmdTotal))
	out := "["
	if st.name != "" {
		out += st.name + " "
	}
	out += fmt.Sprintf("%*d/%d] ", width, st.cmdIndex, st.cmdTotal)
	if st.onBuild {
		out += "ONBUILD "
	}
	return out + s
}

func stageLine(stage *instructions.Stage) int {
	if len(stage.Location) > 0 {
		return stage.Location[0].Start.Line
	}
	return 0
}

// parseTrigger parses one ONBUILD expression as the instruction it holds.
func parseTrigger(t string) (instructions.Command, error) {
	res, err := parser.Parse(strings.NewReader(t))
	if err != nil {
		return nil, err
	}
	if len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("onbuild trigger should be a single expression")
	}
	return instructions.ParseCommand(res.AST.Children[0])
}

func (b *builder) history(st *stageState, msg string, withLayer bool) {
	st.image.History = append(st.image.History, ocispecs.History{
		CreatedBy:  msg,
		Comment:    historyComment,
		EmptyLayer: !withLayer,
		Created:    b.created(),
	})
}

func (b *builder) created() *time.Time {
	if b.epoch != nil {
		t := *b.epoch
		return &t
	}
	t := b.o.Now().UTC()
	return &t
}

func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\x00", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func cloneImage(src dockerspec.DockerOCIImage) dockerspec.DockerOCIImage {
	img := src
	img.Config.Env = slices.Clone(src.Config.Env)
	img.Config.Cmd = slices.Clone(src.Config.Cmd)
	img.Config.Entrypoint = slices.Clone(src.Config.Entrypoint)
	img.Config.OnBuild = slices.Clone(src.Config.OnBuild)
	img.Config.ExposedPorts = maps.Clone(src.Config.ExposedPorts)
	img.Config.Volumes = maps.Clone(src.Config.Volumes)
	img.Config.Labels = maps.Clone(src.Config.Labels)
	img.Config.Shell = slices.Clone(src.Config.Shell)
	if src.Config.Healthcheck != nil {
		hc := *src.Config.Healthcheck
		hc.Test = slices.Clone(src.Config.Healthcheck.Test)
		img.Config.Healthcheck = &hc
	}
	img.History = slices.Clone(src.History)
	return img
}

// envList is an ordered K=V list; later settings replace earlier ones in place.
type envList struct{ kv []string }

func (e *envList) set(k, v string) { e.kv = setEnv(e.kv, k, v) }
func (e *envList) Get(k string) (string, bool) {
	for _, s := range e.kv {
		if key, v, _ := strings.Cut(s, "="); key == k {
			return v, true
		}
	}
	return "", false
}
func (e *envList) Keys() []string {
	out := make([]string, 0, len(e.kv))
	for _, s := range e.kv {
		k, _, _ := strings.Cut(s, "=")
		out = append(out, k)
	}
	return out
}

func setEnv(env []string, k, v string) []string {
	for i, s := range env {
		if key, _, _ := strings.Cut(s, "="); shell.EqualEnvKeys(key, k) {
			env = slices.Clone(env)
			env[i] = k + "=" + v
			return env
		}
	}
	return append(slices.Clone(env), k+"="+v)
}

// emptyFS is the context of a build given none.
type emptyFS struct{}

func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// hasExtraSources reports whether dockerfile2llb's stage dependency graph gets states
// beyond the stages: a COPY --from or RUN --mount from= naming no stage, or a mount with
// no from= at all.
func hasExtraSources(stages []instructions.Stage) bool {
	isStage := func(name string) bool {
		if _, err := strconv.Atoi(name); err == nil {
			return true
		}
		for _, st := range stages {
			if st.Name != "" && strings.EqualFold(st.Name, name) {
				return true
			}
		}
		return false
	}
	for _, st := range stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.CopyCommand:
				if c.From != "" && !isStage(c.From) {
					return true
				}
			case *instructions.RunCommand:
				for _, m := range instructions.GetMounts(c) {
					if m.From == "" || !isStage(m.From) {
						return true
					}
				}
			}
		}
	}
	return false
}
