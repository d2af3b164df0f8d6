// Package lessons holds the course's lesson files (one Markdown file per lesson; the format
// is in docs/lessons.md) and embeds them, so the browser build serves them without a fetch.
// Parsing and checking them is core/lesson's job; this package only carries the files.
package lessons

import "embed"

// FS holds the lesson files, at its top level.
//
//go:embed *.md
var FS embed.FS
