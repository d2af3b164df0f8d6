// Package lesson owns the course's lessons: the lesson file format (Markdown with front
// matter and steps, web/lessons/*.md, described for teachers in docs/lessons.md), the check
// language a step's checks are written in, their evaluation against the playground's real
// state (the image store, the last build's record, the workspace, the client config, the
// practice hub), and the learner's progress.
//
// A step is only ever marked done by a check that passed against that state: there is no
// "next" that skips it. Evaluating a check reads; it must not change images, files or
// records. It must not import os, net/http or syscall/js: the same checks run in native tests
// and in the browser, which gives the state through the small interfaces in state.go.
package lesson
