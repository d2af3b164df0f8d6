package buildcheck

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Advice is one of layerlab's suggestions, from the course's practices. It is not a BuildKit
// check: BuildKit says none of this, so it is never printed or shown as if it did.
type Advice struct {
	Practice string // CacheOrder, PinVersion, AptUpdateInstall, CleanCache
	Message  string
	Line     int
}

// The practices.
const (
	CacheOrder       = "CacheOrder"       // least-changing steps first
	PinVersion       = "PinVersion"       // a version instead of latest or no tag
	AptUpdateInstall = "AptUpdateInstall" // apt-get update and install in one RUN
	CleanCache       = "CleanCache"       // package caches cleaned in the RUN that fills them
)

// AdvicePrefix starts every line of advice layerlab prints.
const AdvicePrefix = "layerlab advice (not a BuildKit check): "

var (
	installRe    = regexp.MustCompile(`\b(npm (install|i|ci)|yarn( install)?|pnpm install|pip3? install|bundle install|composer install|go mod download|apk add|apt-get install|apt install|gem install)\b`)
	aptUpdateRe  = regexp.MustCompile(`\bapt(-get)? update\b`)
	aptInstallRe = regexp.MustCompile(`\bapt(-get)? install\b`)
	apkAddRe     = regexp.MustCompile(`\bapk add\b`)
	npmInstallRe = regexp.MustCompile(`\bnpm (install|i|ci)\b`)
	pipInstallRe = regexp.MustCompile(`\bpip3? install\b`)
)

// Advise reads a Dockerfile for the course's practices. A Dockerfile that does not parse
// gets no advice (the build reports the error).
func Advise(dockerfile []byte) []Advice {
	ast, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return nil
	}
	// a nil linter panics on an instruction with a `# check=` comment above it
	stages, _, err := instructions.Parse(ast.AST, linter.New(&linter.Config{}))
	if err != nil {
		return nil
	}
	var out []Advice
	names := map[string]bool{}
	for _, st := range stages {
		out = append(out, advisePin(st, names)...)
		if st.Name != "" {
			names[strings.ToLower(st.Name)] = true
		}
		out = append(out, adviseOrder(st)...)
		for _, c := range st.Commands {
			if r, ok := c.(*instructions.RunCommand); ok {
				out = append(out, adviseRun(r)...)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

func line(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}

func advisePin(st instructions.Stage, stages map[string]bool) []Advice {
	name := st.BaseName
	if name == "scratch" || stages[strings.ToLower(name)] || strings.Contains(name, "$") {
		return nil
	}
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil
	}
	if _, ok := ref.(reference.Digested); ok {
		return nil
	}
	repo := reference.FamiliarName(ref)
	tagged, ok := ref.(reference.Tagged)
	switch {
	case !ok:
		return []Advice{{PinVersion, fmt.Sprintf("FROM %s has no tag, so it means %s:latest, which moves whenever a new version is pushed; pin a version (%s:<version>) so a rebuild gives the same base", name, repo, repo), line(st.Location)}}
	case tagged.Tag() == "latest":
		return []Advice{{PinVersion, fmt.Sprintf("FROM %s moves whenever a new version is pushed; pin a version (%s:<version>) so a rebuild gives the same base", name, repo), line(st.Location)}}
	}
	return nil
}

// adviseOrder finds a COPY or ADD of the whole context that comes before a RUN installing
// dependencies: any edit to any file then re-runs the install.
func adviseOrder(st instructions.Stage) []Advice {
	var out []Advice
	for i, c := range st.Commands {
		var srcs []string
		switch c := c.(type) {
		case *instructions.CopyCommand:
			if c.From != "" {
				continue
			}
			srcs = c.SourcePaths
		case *instructions.AddCommand:
			srcs = c.SourcePaths
		default:
			continue
		}
		whole := false
		for _, s := range srcs {
			switch strings.TrimSuffix(s, "/") {
			case ".", "", "*", "./*", "/":
				whole = true
			}
		}
		if !whole {
			continue
		}
		for _, later := range st.Commands[i+1:] {
			r, ok := later.(*instructions.RunCommand)
			if !ok {
				continue
			}
			if m := installRe.FindString(runText(r)); m != "" {
				out = append(out, Advice{CacheOrder, fmt.Sprintf("%s copies the whole context before `%s` (line %d), so editing any file re-runs the install; copy the dependency files first (e.g. COPY package.json ./), install, then copy the rest", strings.TrimSpace(c.(fmt.Stringer).String()), m, line(r.Location())), line(c.Location())})
				break
			}
		}
	}
	return out
}

func runText(r *instructions.RunCommand) string {
	s := strings.Join(r.CmdLine, " ")
	for _, f := range r.Files {
		s += "\n" + f.Data
	}
	return s
}

func adviseRun(r *instructions.RunCommand) []Advice {
	s := runText(r)
	l := line(r.Location())
	var out []Advice
	if aptUpdateRe.MatchString(s) && !aptInstallRe.MatchString(s) {
		out = append(out, Advice{AptUpdateInstall, "apt-get update in a RUN of its own is cached and goes stale: a later apt-get install then reads old package lists; update and install in the same RUN (apt-get update && apt-get install -y ...)", l})
	}
	if aptInstallRe.MatchString(s) && !strings.Contains(s, "/var/lib/apt/lists") {
		out = append(out, Advice{CleanCache, "apt-get install leaves the package lists in this layer; end the same RUN with && rm -rf /var/lib/apt/lists/*", l})
	}
	if apkAddRe.MatchString(s) && !strings.Contains(s, "--no-cache") && !strings.Contains(s, "/var/cache/apk") {
		out = append(out, Advice{CleanCache, "apk add keeps its package index in this layer; use apk add --no-cache", l})
	}
	if npmInstallRe.MatchString(s) && !strings.Contains(s, "npm cache clean") {
		out = append(out, Advice{CleanCache, "npm install leaves its download cache in this layer; end the same RUN with && npm cache clean --force", l})
	}
	if pipInstallRe.MatchString(s) && !strings.Contains(s, "--no-cache-dir") {
		out = append(out, Advice{CleanCache, "pip install keeps its download cache in this layer; use pip install --no-cache-dir", l})
	}
	return out
}

// WriteAdvice prints the advice after BuildKit's output, each line prefixed with
// AdvicePrefix so it cannot be taken for BuildKit's.
func WriteAdvice(w io.Writer, advice []Advice) {
	if len(advice) == 0 {
		return
	}
	fmt.Fprintln(w)
	for _, a := range advice {
		fmt.Fprintf(w, "%s%s: %s (line %d)\n", AdvicePrefix, a.Practice, a.Message, a.Line)
	}
}

// Finding is one result as the page shows it: a BuildKit warning or layerlab's advice,
// told apart by Source.
type Finding struct {
	Source  string // "buildkit" or "layerlab"
	Rule    string // the BuildKit rule or layerlab's practice
	Message string
	URL     string
	Line    int
}

// Findings lists BuildKit's warnings, then layerlab's advice.
func Findings(warnings []Warning, advice []Advice) []Finding {
	var out []Finding
	for _, w := range warnings {
		out = append(out, Finding{Source: "buildkit", Rule: w.Rule, Message: w.Message, URL: w.URL, Line: w.Line()})
	}
	for _, a := range advice {
		out = append(out, Finding{Source: "layerlab", Rule: a.Practice, Message: a.Message, Line: a.Line})
	}
	return out
}
