package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// File is a parsed Dockerfile.
type File struct {
	Stages      []instructions.Stage
	MetaArgs    []instructions.ArgCommand // ARGs before the first FROM
	EscapeToken rune
	Warnings    []Warning
	Lines       []string // the source, for messages
}

// Warning is one of BuildKit's build-check findings that fires during parsing.
type Warning struct {
	Rule    string
	Message string
	URL     string
	Line    int
}

// Lex returns the word expander BuildKit uses for this file (its escape token).
func (f *File) Lex() *shell.Lex { return shell.NewLex(f.EscapeToken) }

// Error is a Dockerfile that cannot be parsed: where, what and what would be right.
type Error struct {
	Line       int    // 1-based; 0 when the error has no position
	EndLine    int    // the last line of a multi-line instruction (a heredoc); 0 = Line
	Text       string // the offending source line
	Msg        string // BuildKit's message, without the suggestion
	Suggestion string // "did you mean COPY?" or ""
	Err        error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("parsing Dockerfile")
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Text != "" {
		fmt.Fprintf(&b, ": %q", e.Text)
	}
	if e.Suggestion != "" {
		b.WriteString(" (" + e.Suggestion + ")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

var didYouMean = regexp.MustCompile(` \((did you mean [^)]*\?)\)$`)

// Parse parses src the way BuildKit's dockerfile frontend does.
func Parse(src []byte) (*File, error) {
	f := &File{Lines: strings.Split(string(src), "\n")}
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, &Error{Msg: "the Dockerfile cannot be empty", Err: errors.New("the Dockerfile cannot be empty")}
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, f.wrap(err)
	}
	f.EscapeToken = res.EscapeToken
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		f.Warnings = append(f.Warnings, Warning{Rule: "NoEmptyContinuation", Message: w.Short, URL: w.URL, Line: line})
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, url, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		f.Warnings = append(f.Warnings, Warning{Rule: rule, Message: msg, URL: url, Line: line})
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return nil, f.wrap(err)
	}
	if len(stages) == 0 {
		return nil, &Error{Msg: "dockerfile contains no stages to build", Suggestion: "add a FROM line, e.g. FROM busybox", Err: errors.New("dockerfile contains no stages to build")}
	}
	f.Stages, f.MetaArgs = stages, metaArgs
	return f, nil
}

// wrap attaches the line and its text to a BuildKit error and splits off its suggestion.
func (f *File) wrap(err error) error {
	e := &Error{Err: err, Msg: err.Error()}
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		e.Line = le.Locations[0][0].Start.Line
		for _, r := range le.Locations[0] {
			e.Line = min(e.Line, r.Start.Line)
			e.EndLine = max(e.EndLine, r.Start.Line, r.End.Line)
		}
		if e.EndLine == e.Line {
			e.EndLine = 0
		}
		e.Msg = le.Unwrap().Error()
	}
	if e.Line > 0 && e.Line <= len(f.Lines) {
		e.Text = strings.TrimRight(f.Lines[e.Line-1], "\r")
	}
	if m := didYouMean.FindStringSubmatchIndex(e.Msg); m != nil {
		e.Suggestion = e.Msg[m[2]:m[3]]
		e.Msg = e.Msg[:m[0]]
	}
	if e.Suggestion == "" {
		e.Suggestion = suggestFor(e.Msg)
	}
	return e
}

// suggestFor gives the learner a hint for BuildKit messages that carry none.
func suggestFor(msg string) string {
	switch {
	case strings.HasPrefix(msg, "unknown instruction"):
		return "instructions are FROM, RUN, COPY, ADD, ENV, ARG, LABEL, WORKDIR, USER, EXPOSE, VOLUME, CMD, ENTRYPOINT, SHELL, STOPSIGNAL, HEALTHCHECK, ONBUILD, MAINTAINER"
	case strings.Contains(msg, "requires at least"), strings.Contains(msg, "requires exactly"), strings.Contains(msg, "requires one argument"):
		return "see the instruction's form, e.g. COPY <src>... <dest>"
	case strings.Contains(msg, "no build stage in current context"), strings.Contains(msg, "no stage"):
		return "start the Dockerfile with FROM"
	}
	return ""
}
