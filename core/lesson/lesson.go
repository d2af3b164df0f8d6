package lesson

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Lesson is one parsed lesson file.
type Lesson struct {
	// ID is the file's name without ".md" ("03-layers"): stable, used in progress and links.
	ID      string
	Title   string
	Section string // the course section it teaches
	Order   int    // where it sits in the course (lessons sort by Order, then ID)
	// Intro is the Markdown before the first step.
	Intro string
	Steps []Step
}

// Step is one thing the learner does.
type Step struct {
	Title string
	Line  int // the line of the step's heading
	// Text is the step's Markdown without the command, file, check blocks and hints.
	Text string
	// Commands are the terminal commands the step suggests, in order; "show me" runs them.
	Commands []string
	// Files are the workspace files the step offers to create, in order; "show me" writes
	// them before running Commands.
	Files []File
	// Checks must all pass for the step to be done.
	Checks []*Check
	Hints  []string
}

// File is a workspace file a step offers; Path is relative to the workspace.
type File struct {
	Path    string
	Content string
}

// Error is a problem in a lesson file, at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// IDOf is the lesson ID a file name gives.
func IDOf(file string) string {
	return strings.TrimSuffix(path.Base(file), ".md")
}

// Sort orders lessons as the course does.
func Sort(ls []*Lesson) {
	sort.SliceStable(ls, func(i, j int) bool {
		if ls[i].Order != ls[j].Order {
			return ls[i].Order < ls[j].Order
		}
		return ls[i].ID < ls[j].ID
	})
}
