package cli

import (
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/tonistiigi/units"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/buildcheck"
)

// plainProgress renders core/build's events as BuildKit's plain progress output
// (progressui's printer, as `docker build --progress plain` and `buildctl --progress plain`
// print it): numbered vertices "#N NAME", their status lines, output lines stamped with the
// seconds since the vertex started, "#N CACHED" / "#N DONE 0.1s" / "#N ERROR: ...", a blank
// line between vertices, and on failure the error block with the step's last ten output
// lines and the Dockerfile excerpt.
//
// Where layerlab's work differs from BuildKit's the lines are BuildKit's anyway: the
// [internal] vertices (loading the Dockerfile, the base's metadata, .dockerignore and the
// context) are printed as BuildKit prints them; their "transferring" byte counts are the
// file bytes, not fsutil's wire bytes (which include its stat packets), so they run a few
// dozen bytes under BuildKit's.
type plainProgress struct {
	w        io.Writer
	dfName   string
	df       []byte
	dfSize   int64
	n        int  // vertices numbered so far
	printed  bool // a vertex block has been printed (the next one is preceded by a blank line)
	steps    map[string]*vertex
	failed   *vertex
	ctxBytes func() int64
	// warnings are the build checks' findings, printed under the vertex that loads the
	// Dockerfile as BuildKit prints them when the frontend reports them in time; summary
	// prints buildx's summary of them (after the progress, before a failure's excerpt).
	warnings []buildcheck.Warning
	summary  func()
}

type vertex struct {
	index int
	name  string
	start time.Time
	logs  []string // the last ten output lines, as the error block shows them
}

const logsBufferSize = 10 // progressui's

func newPlainProgress(w io.Writer, dfName string, df []byte, dfSize int64) *plainProgress {
	return &plainProgress{w: w, dfName: dfName, df: df, dfSize: dfSize, steps: map[string]*vertex{}}
}

func (p *plainProgress) header(name string) *vertex {
	if p.printed {
		fmt.Fprintln(p.w)
	}
	p.printed = true
	p.n++
	fmt.Fprintf(p.w, "#%d %s\n", p.n, name)
	return &vertex{index: p.n, name: name, start: time.Now()}
}

// internal prints a complete [internal] vertex with its status lines.
func (p *plainProgress) internal(name string, status ...string) {
	v := p.header(name)
	for _, s := range status {
		fmt.Fprintf(p.w, "#%d %s done\n", v.index, s)
	}
	fmt.Fprintf(p.w, "#%d DONE %s\n", v.index, seconds(time.Since(v.start)))
}

// seconds is progressui's "%.1fs".
func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// transferred is progressui's byte count ("%.2f" of go-units' Bytes: 117B, 1.15MB).
func transferred(n int64) string { return fmt.Sprintf("%.2f", units.Bytes(n)) }

func (p *plainProgress) start() {
	if p.summary == nil {
		p.summary = func() {}
	}
	v := p.header("[internal] load build definition from " + p.dfName)
	fmt.Fprintf(p.w, "#%d transferring dockerfile: %s done\n", v.index, transferred(p.dfSize))
	buildcheck.WriteProgress(p.w, v.index, p.warnings)
	fmt.Fprintf(p.w, "#%d DONE %s\n", v.index, seconds(time.Since(v.start)))
}

// contextSize sums the regular files of a context, as the bytes "load build context" sends.
func contextSize(fsys fs.FS) int64 {
	var n int64
	fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func (p *plainProgress) event(e build.Event) {
	switch e.Type {
	case build.Planned:
		for _, b := range e.Bases {
			p.internal("[internal] load metadata for " + b)
		}
		p.internal("[internal] load .dockerignore", "transferring context: 2B")
		if e.UsesContext {
			var n int64
			if p.ctxBytes != nil {
				n = p.ctxBytes()
			}
			p.internal("[internal] load build context", "transferring context: "+transferred(n))
		}
	case build.StepStarted:
		p.steps[e.Name] = p.header(e.Name)
	case build.StepOutput:
		v := p.vertexFor(e.Name)
		sec := time.Since(v.start).Seconds()
		prec := 1
		if sec < 10 {
			prec = 3
		} else if sec < 100 {
			prec = 2
		}
		for _, line := range strings.SplitAfter(string(e.Output), "\n") {
			if line == "" {
				continue
			}
			line = strings.TrimSuffix(line, "\n")
			l := strconv.FormatFloat(sec, 'f', prec, 64) + " " + line
			fmt.Fprintf(p.w, "#%d %s\n", v.index, l)
			v.logs = append(v.logs, l)
			if len(v.logs) > logsBufferSize {
				v.logs = v.logs[1:]
			}
		}
	case build.StepCached:
		v := p.vertexFor(e.Name)
		fmt.Fprintf(p.w, "#%d CACHED\n", v.index)
	case build.StepDone:
		v, ok := p.steps[e.Name]
		if !ok { // FROM: resolved, not started
			v = p.header(e.Name)
			if _, ref, ok := strings.Cut(e.Name, "] FROM "); ok {
				fmt.Fprintf(p.w, "#%d resolve %s done\n", v.index, ref)
			}
		}
		fmt.Fprintf(p.w, "#%d DONE %s\n", v.index, seconds(e.Duration))
	case build.StepFailed:
		v := p.vertexFor(e.Name)
		msg := "failed"
		if e.Err != nil {
			msg = solveMessage(e.Err)
		}
		fmt.Fprintf(p.w, "#%d ERROR: %s\n", v.index, msg)
		p.failed = v
	}
}

func (p *plainProgress) vertexFor(name string) *vertex {
	if v, ok := p.steps[name]; ok {
		return v
	}
	v := p.header(name)
	p.steps[name] = v
	return v
}

// fail prints BuildKit's error block: the failed vertex's last output lines, then the
// Dockerfile excerpt around the failing line.
func (p *plainProgress) fail(err error) {
	if p.failed != nil {
		fmt.Fprintln(p.w, "------")
		fmt.Fprintf(p.w, " > %s:\n", p.failed.name)
		for _, l := range p.failed.logs {
			fmt.Fprintln(p.w, l)
		}
		fmt.Fprintln(p.w, "------")
	}
	p.summary()
	errorBlock(p.w, p.dfName, p.df, err)
}

// export prints the image exporter's vertex as `docker build` shows it (docker's image
// exporter: "writing image" and "naming to"), with BuildKit's rewrite line when
// SOURCE_DATE_EPOCH is set, since layerlab then rewrites timestamps as BuildKit's
// rewrite-timestamp=true does.
func (p *plainProgress) export(res *build.Result, epoch string) {
	v := p.header("exporting to image")
	fmt.Fprintf(p.w, "#%d exporting layers done\n", v.index)
	if n, err := strconv.ParseInt(epoch, 10, 64); err == nil {
		fmt.Fprintf(p.w, "#%d rewriting layers with source-date-epoch %d (%s) done\n", v.index, n, time.Unix(n, 0).UTC())
	}
	fmt.Fprintf(p.w, "#%d writing image %s done\n", v.index, res.Config)
	for _, t := range res.Tags {
		fmt.Fprintf(p.w, "#%d naming to %s done\n", v.index, t)
	}
	fmt.Fprintf(p.w, "#%d DONE %s\n", v.index, seconds(time.Since(v.start)))
}
