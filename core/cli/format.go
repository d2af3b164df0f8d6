package cli

// The formatting below follows docker/cli v28.2.2 (cli/command/formatter, templates,
// cli/command/inspect; Apache-2.0): table/raw/json formats, template functions and
// text/tabwriter settings, so output matches the real CLI byte for byte.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	units "github.com/docker/go-units"
	"golang.org/x/text/width"

	"github.com/layerlab/layerlab/core/format"
)

const (
	tableFormatKey     = "table"
	jsonFormatKey      = "json"
	defaultQuietFormat = "{{.ID}}"
	jsonFormat         = "{{json .}}"
)

// templateFuncs are docker's template functions (templates.basicFunctions).
var templateFuncs = format.FuncMap{
	"json": func(v any) string {
		buf := &bytes.Buffer{}
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			panic(err)
		}
		return strings.TrimSpace(buf.String())
	},
	"split":    strings.Split,
	"join":     strings.Join,
	"title":    strings.Title, //nolint:staticcheck // docker uses it
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      padWithSpace,
	"truncate": truncateWithLength,
}

// headerFuncs replace the functions when a table header is rendered.
var headerFuncs = format.FuncMap{
	"json":     func(v string) string { return v },
	"split":    func(v string, _ string) string { return v },
	"join":     func(v string, _ string) string { return v },
	"title":    func(v string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

func padWithSpace(source string, prefix, suffix int) string {
	if source == "" {
		return source
	}
	return strings.Repeat(" ", prefix) + source + strings.Repeat(" ", suffix)
}

func truncateWithLength(source string, length int) string {
	if len(source) < length {
		return source
	}
	return source[:length]
}

// goTemplate is a parsed --format template.
type goTemplate = format.Template

// parseTemplate parses a --format template. Templates run on core/format, not text/template:
// text/template finds methods with reflect's MethodByName, which keeps every exported method
// of the program in the linked binary (about 4 MB of the browser's wasm). So the methods a
// template may call on our rows are listed in rowMethods.
func parseTemplate(text string) (*format.Template, error) {
	return format.New("").Funcs(templateFuncs).Methods(rowMethods).Parse(text)
}

// rowMethods are the methods of the rows templates see (docker's formatter contexts), plus
// those of the standard types in inspect documents. TestRowMethodsListed keeps it complete.
var rowMethods = format.NewMethods().Merge(format.StdMethods).
	Add("ID", (*imageRow).ID).
	Add("Repository", (*imageRow).Repository).
	Add("Tag", (*imageRow).Tag).
	Add("Digest", (*imageRow).Digest).
	Add("CreatedSince", (*imageRow).CreatedSince).
	Add("CreatedAt", (*imageRow).CreatedAt).
	Add("Size", (*imageRow).Size).
	Add("Containers", (*imageRow).Containers).
	Add("VirtualSize", (*imageRow).VirtualSize).
	Add("SharedSize", (*imageRow).SharedSize).
	Add("UniqueSize", (*imageRow).UniqueSize).
	Add("MarshalJSON", (*imageRow).MarshalJSON).
	Add("ID", (*historyRow).ID).
	Add("CreatedAt", (*historyRow).CreatedAt).
	Add("CreatedSince", (*historyRow).CreatedSince).
	Add("CreatedBy", (*historyRow).CreatedBy).
	Add("Size", (*historyRow).Size).
	Add("Comment", (*historyRow).Comment).
	Add("MarshalJSON", (*historyRow).MarshalJSON).
	Add("Type", (*dfRow).Type).
	Add("TotalCount", (*dfRow).TotalCount).
	Add("Active", (*dfRow).Active).
	Add("Size", (*dfRow).Size).
	Add("Reclaimable", (*dfRow).Reclaimable).
	Add("MarshalJSON", (*dfRow).MarshalJSON).
	Add("MarshalJSON", jsonRow.MarshalJSON)

// rowContext is one row of a formatted listing: templates see its methods; a table header
// sees header (FullHeader).
type rowContext interface {
	header() map[string]string
	jsonMap() map[string]string
}

// formatContext is docker's formatter.Context.
type formatContext struct {
	out    io.Writer
	format string
	trunc  bool

	finalFormat string
	buffer      *bytes.Buffer
}

func (c *formatContext) isTable() bool { return strings.HasPrefix(c.format, tableFormatKey) }

func (c *formatContext) preFormat() {
	c.finalFormat = c.format
	switch {
	case c.isTable():
		c.finalFormat = c.finalFormat[len(tableFormatKey):]
	case c.format == jsonFormatKey:
		c.finalFormat = jsonFormat
	}
	c.finalFormat = strings.Trim(c.finalFormat, " ")
	r := strings.NewReplacer(`\t`, "\t", `\n`, "\n")
	c.finalFormat = r.Replace(c.finalFormat)
}

func (c *formatContext) parseFormat() (*format.Template, error) {
	t, err := parseTemplate(c.finalFormat)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %w", err)
	}
	return t, nil
}

// dockerTyped is a row that knows the name docker's own type for it has: template errors
// name the type ("can't evaluate field Nope in type *formatter.imageContext").
type dockerTyped interface{ dockerType() string }

func (c *formatContext) contextFormat(tmpl *format.Template, row any) error {
	if err := tmpl.Execute(c.buffer, row); err != nil {
		msg := err.Error()
		if d, ok := row.(dockerTyped); ok {
			msg = strings.ReplaceAll(msg, fmt.Sprintf("%T", row), d.dockerType())
		}
		return fmt.Errorf("template parsing error: %s", msg)
	}
	c.buffer.WriteString("\n")
	return nil
}

func (c *formatContext) postFormat(tmpl *format.Template, header any) {
	if c.isTable() {
		t := tabwriter.NewWriter(c.out, 10, 1, 3, ' ', 0)
		buffer := &bytes.Buffer{}
		_ = tmpl.Funcs(headerFuncs).Execute(buffer, header)
		buffer.WriteTo(t)
		t.Write([]byte("\n"))
		c.buffer.WriteTo(t)
		t.Flush()
	} else {
		c.buffer.WriteTo(c.out)
	}
}

// write renders rows (each a template data value) in c's format; header is what a table's
// header line is rendered from.
func (c *formatContext) write(header any, rows []any) error {
	c.buffer = &bytes.Buffer{}
	c.preFormat()
	tmpl, err := c.parseFormat()
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := c.contextFormat(tmpl, r); err != nil {
			return err
		}
	}
	c.postFormat(tmpl, header)
	return nil
}

// ellipsis is docker's formatter.Ellipsis: cut s to maxDisplayWidth columns, ending in "…".
func ellipsis(s string, maxDisplayWidth int) string {
	if maxDisplayWidth <= 0 {
		return ""
	}
	rs := []rune(s)
	if maxDisplayWidth == 1 {
		return string(rs[0])
	}
	byteLen := len(s)
	if byteLen == utf8.RuneCountInString(s) {
		if byteLen <= maxDisplayWidth {
			return s
		}
		return string(rs[:maxDisplayWidth-1]) + "…"
	}
	var (
		display      = make([]int, 0, len(rs))
		displayWidth int
	)
	for _, r := range rs {
		displayWidth += charWidth(r)
		display = append(display, displayWidth)
	}
	if displayWidth <= maxDisplayWidth {
		return s
	}
	for i := range display {
		if display[i] <= maxDisplayWidth-1 && display[i+1] > maxDisplayWidth-1 {
			return string(rs[:i+1]) + "…"
		}
	}
	return s
}

func charWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	default:
		return 1
	}
}

// truncateID is docker's stringid.TruncateID.
func truncateID(id string) string {
	if i := strings.IndexRune(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// createdSince is "<duration> ago" measured from now, as docker's HumanDuration words it.
func createdSince(now time.Time, created int64) string {
	return units.HumanDuration(now.UTC().Sub(time.Unix(created, 0))) + " ago"
}

// marshalRow is docker's formatter.MarshalJSON: the row's fields as a JSON object with
// sorted keys (and, unlike the json template function, HTML characters escaped).
func marshalRow(m map[string]string) ([]byte, error) { return json.Marshal(m) }

// jsonRow wraps a row so that {{json .}} prints docker's object.
type jsonRow struct{ m map[string]string }

func (j jsonRow) MarshalJSON() ([]byte, error) { return marshalRow(j.m) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
