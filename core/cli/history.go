package cli

import (
	"context"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/view"
)

const (
	defaultHistoryTableFormat  = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
	nonHumanHistoryTableFormat = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
)

var historyHeader = map[string]string{
	"ID":           "IMAGE",
	"CreatedSince": "CREATED",
	"CreatedAt":    "CREATED AT",
	"CreatedBy":    "CREATED BY",
	"Size":         "SIZE",
	"Comment":      "COMMENT",
}

func historySpec() spec {
	return spec{
		use:     "history [OPTIONS] IMAGE",
		short:   "Show the history of an image",
		aliases: "docker image history, docker history",
		args:    exactArgs(1),
		flags: func(fs *pflag.FlagSet) {
			fs.BoolP("human", "H", true, "Print sizes and dates in human readable format")
			fs.BoolP("quiet", "q", false, "Only show image IDs")
			fs.Bool("no-trunc", false, "Don't truncate output")
			fs.String("format", "", formatHelp)
		},
		run: runHistory,
	}
}

func runHistory(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	human, _ := fs.GetBool("human")
	quiet, _ := fs.GetBool("quiet")
	noTrunc, _ := fs.GetBool("no-trunc")
	format, _ := fs.GetString("format")
	cat, err := view.Load(ctx, env.Store)
	if err != nil {
		return err
	}
	im, err := lookupImage(cat, args[0])
	if err != nil {
		return err
	}
	hist, err := view.HistoryOf(im)
	if err != nil {
		return daemonError{err}
	}
	if format == "" {
		format = tableFormatKey
	}
	if format == tableFormatKey {
		switch {
		case quiet:
			format = defaultQuietFormat
		case !human:
			format = nonHumanHistoryTableFormat
		default:
			format = defaultHistoryTableFormat
		}
	}
	fc := &formatContext{out: env.Stdout, format: format, trunc: !noTrunc}
	now := env.now()
	rows := make([]any, len(hist))
	for i, h := range hist {
		rows[i] = &historyRow{h: h, trunc: fc.trunc, human: human, now: now}
	}
	return fc.write(historyHeader, rows)
}

// historyRow is docker's historyContext.
type historyRow struct {
	h     view.HistoryRow
	trunc bool
	human bool
	now   time.Time
}

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

func (c *historyRow) ID() string {
	if c.trunc {
		return truncateID(c.h.ID)
	}
	return c.h.ID
}

// CreatedAt is RFC 3339 in UTC (docker: the local zone; UTC on the recording machine).
func (c *historyRow) CreatedAt() string {
	return time.Unix(c.h.Created, 0).UTC().Format(time.RFC3339)
}

func (c *historyRow) CreatedSince() string {
	if !c.human {
		return c.CreatedAt()
	}
	if c.h.Created <= epoch {
		return "N/A"
	}
	return createdSince(c.now, c.h.Created)
}

func (c *historyRow) CreatedBy() string {
	createdBy := strings.ReplaceAll(c.h.CreatedBy, "\t", " ")
	if c.trunc {
		return ellipsis(createdBy, 45)
	}
	return createdBy
}

func (c *historyRow) Size() string {
	if c.human {
		return units.HumanSizeWithPrecision(float64(c.h.Size), 3)
	}
	return strconv.FormatInt(c.h.Size, 10)
}

func (c *historyRow) dockerType() string { return "*image.historyContext" }
func (c *historyRow) Comment() string    { return c.h.Comment }

func (c *historyRow) MarshalJSON() ([]byte, error) {
	return marshalRow(map[string]string{
		"ID": c.ID(), "CreatedAt": c.CreatedAt(), "CreatedSince": c.CreatedSince(),
		"CreatedBy": c.CreatedBy(), "Size": c.Size(), "Comment": c.Comment(),
	})
}
