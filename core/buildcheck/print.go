package buildcheck

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// WriteProgress writes the warnings as BuildKit's plain progress prints them under the
// vertex that loads the Dockerfile: "#N WARN: Rule: message (line L)".
func WriteProgress(w io.Writer, vertex int, warnings []Warning) {
	for _, x := range warnings {
		fmt.Fprintf(w, "#%d WARN: %s\n", vertex, x.Short())
	}
}

// WriteSummary writes the summary buildx prints after a build's progress (printWarnings,
// without --debug): a blank line, the count in yellow, then one line per warning.
func WriteSummary(w io.Writer, warnings []Warning) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprint(w, "\n ")
	head := fmt.Sprintf("%d warnings found", len(warnings))
	if len(warnings) == 1 {
		head = "1 warning found"
	}
	fmt.Fprint(w, "\x1b[33m"+head+" (use docker --debug to expand):\n"+"\x1b[0m")
	for _, x := range warnings {
		fmt.Fprintf(w, " - %s\n", x.Short())
	}
}

// WriteCheck writes what `docker build --check` (buildx's lint call) prints on stdout: the
// count line, then each warning with its rule's URL, its message and the Dockerfile lines
// around it, sorted by line as BuildKit's LintResults.PrintTo sorts them. It returns the
// error buildx exits with when the check stopped on an error (its text is the message and
// the source excerpt), and whether the command should exit with status 1 (warnings found).
func WriteCheck(w io.Writer, filename string, dockerfile []byte, r *Result) (failed bool, err error) {
	ws := append([]Warning(nil), r.Warnings...)
	switch n := len(ws); {
	case n == 1:
		fmt.Fprintf(w, "Check complete, %s\n", "1 warning has been found!")
	case n > 1:
		fmt.Fprintf(w, "Check complete, %s\n", fmt.Sprintf("%d warnings have been found!", n))
	}
	// the same comparison, with the same sort, over the same order: the same result
	sort.Slice(ws, func(i, j int) bool {
		a, b := ws[i], ws[j]
		if len(a.Location) == 0 && len(b.Location) == 0 {
			return a.Rule < b.Rule
		} else if len(a.Location) == 0 || len(b.Location) == 0 {
			return len(a.Location) == 0
		}
		return a.Location[0].Start.Line < b.Location[0].Start.Line
	})
	for _, x := range ws {
		fmt.Fprintf(w, "\nWARNING: %s", x.Rule)
		if x.URL != "" {
			fmt.Fprintf(w, " - %s", x.URL)
		}
		fmt.Fprintf(w, "\n%s\n", x.Message)
		WriteSource(w, filename, dockerfile, x.Location)
	}
	if r.Err != nil {
		var b strings.Builder
		if len(ws) > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(&b, r.Err.Error())
		WriteSource(&b, filename, dockerfile, r.ErrLocation)
		return true, fmt.Errorf("%s", b.String())
	}
	if len(ws) == 0 {
		fmt.Fprintln(w, "Check complete, no warnings found.")
		return false, nil
	}
	return true, nil
}

// WriteSource is errdefs.Source.Print: the file name and first line, then the lines of the
// ranges with two lines of context around them (four when the range is one line).
func WriteSource(w io.Writer, filename string, data []byte, ranges []parser.Range) {
	if len(ranges) == 0 {
		return
	}
	lines := strings.Split(string(data), "\n")
	start, end := ranges[0].Start.Line, 0
	for _, r := range ranges {
		start = min(start, r.Start.Line)
		end = max(end, max(r.End.Line, r.Start.Line))
	}
	if start > len(lines) || start < 1 {
		return
	}
	end = min(end, len(lines))
	pad := 2
	if end == start {
		pad = 4
	}
	first := start
	for p := 0; p < pad; {
		if start > 1 {
			start--
			p++
		}
		if end != len(lines) {
			end++
			p++
		}
		p++
	}
	fmt.Fprintf(w, "%s:%d\n--------------------\n", filename, first)
	for i := start; i <= end; i++ {
		pfx := "   "
		for _, r := range ranges {
			if r.Start.Line <= i && max(r.End.Line, r.Start.Line) >= i {
				pfx = ">>>"
			}
		}
		fmt.Fprintf(w, " %3d | %s %s\n", i, pfx, lines[i-1])
	}
	fmt.Fprint(w, "--------------------\n")
}
