package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/build"
)

// memBytes is docker's opts.MemBytes: a size such as 512mb, shown as type "bytes".
type memBytes struct{ n int64 }

func (m *memBytes) String() string { return "" }
func (m *memBytes) Type() string   { return "bytes" }
func (m *memBytes) Set(v string) error {
	n, err := units.RAMInBytes(v)
	m.n = n
	return err
}

func builderPruneSpec() spec {
	return spec{
		use:   "prune",
		short: "Remove build cache",
		args:  noArgs(),
		flags: func(fs *pflag.FlagSet) {
			fs.BoolP("all", "a", false, "Remove all unused build cache, not just dangling ones")
			filterFlag(fs, "filter", "", `Provide filter values (e.g. "until=24h")`)
			fs.BoolP("force", "f", false, "Do not prompt for confirmation")
			fs.Var(&memBytes{}, "keep-storage", "Amount of disk space to keep for cache")
		},
		run: runBuilderPrune,
	}
}

// The docker CLI's (28.2, cli/command/builder/prune.go) prompts.
const (
	buildCacheWarning    = `WARNING! This will remove all dangling build cache. Are you sure you want to continue?`
	allBuildCacheWarning = `WARNING! This will remove all build cache. Are you sure you want to continue?`
)

// runBuilderPrune is `docker builder prune` as docker 28.2 prints it against the engine
// (recorded in testdata/builder by scripts/record-builder-golden): the prompt, the deleted
// record ids and "Total reclaimed space". The engine's filter checks are 20.10's. What it
// removes is layerlab's build cache: step records not used by an image (all of them with
// --all) and cache mounts; images stay.
func runBuilderPrune(ctx context.Context, env *Env, fs *pflag.FlagSet, _ []string) error {
	all, _ := fs.GetBool("all")
	force, _ := fs.GetBool("force")
	keep := fs.Lookup("keep-storage").Value.(*memBytes).n
	opts := build.PruneOptions{All: all, Now: env.now(), KeepBytes: keep}
	f := filters(fs, "filter")
	fail := func(format string, a ...any) error {
		return daemonErr("failed to prune build cache: "+format, a...)
	}
	for k, vs := range f {
		switch k {
		case "until", "unused-for":
			if len(f["until"]) > 0 && len(f["unused-for"]) > 0 {
				return fail("conflicting filters: %q and %q", "until", "unused-for")
			}
			if len(vs) > 1 {
				return fail("filters expect only one value")
			}
			d, err := time.ParseDuration(vs[0])
			if err != nil {
				return fail("%q filter expects a duration (e.g., '24h'): %v", k, err)
			}
			opts.KeepDuration = d
		case "id", "parent", "type", "description", "inuse", "shared", "private":
			if len(vs) > 1 {
				return fail("filters expect only one value")
			}
			opts.Filters = append(opts.Filters, build.PruneFilter{Field: k, Value: vs[0]})
		default:
			return fail("Invalid filter '%s'", k)
		}
	}
	if !force {
		warning := buildCacheWarning
		if all {
			warning = allBuildCacheWarning
		}
		fmt.Fprintf(env.Stdout, "%s [y/N] ", warning)
		yes := false
		if env.Stdin != nil {
			sc := bufio.NewScanner(env.Stdin)
			if sc.Scan() {
				yes = strings.EqualFold(strings.TrimSpace(sc.Text()), "y")
			}
		}
		if !yes {
			// Cancelled: exit 0, nothing more printed, not even a newline at EOF (recorded).
			return nil
		}
	}
	gone, err := build.Prune(ctx, env.Store, opts)
	if err != nil {
		return fmt.Errorf("pruning the build cache: %w", err)
	}
	var reclaimed int64
	if len(gone) > 0 {
		var sb strings.Builder
		sb.WriteString("Deleted build cache objects:\n")
		for _, u := range gone {
			sb.WriteString(u.ID + "\n")
			reclaimed += u.Size
		}
		fmt.Fprintln(env.Stdout, sb.String())
	}
	fmt.Fprintln(env.Stdout, "Total reclaimed space:", units.HumanSize(float64(reclaimed)))
	return nil
}

func builderDuSpec() spec {
	return spec{
		use:   "du",
		short: "Disk usage",
		args:  noArgs(),
		flags: func(fs *pflag.FlagSet) {
			filterFlag(fs, "filter", "", "Provide filter values")
			fs.Bool("verbose", false, `Shorthand for "--format=pretty"`)
			fs.String("format", "", "Format the output")
		},
		run: runBuilderDu,
	}
}

// buildx's du formats (commands/diskusage.go, v0.38).
const (
	duTableFormat    = "table {{.ID}}\t{{.Reclaimable}}\t{{.Size}}\t{{.LastUsedAt}}"
	duPrettyTemplate = `ID:           {{.ID}}
{{- if .Parents }}
Parents:
{{- range .Parents }}
 - {{.}}
{{- end }}
{{- end }}
Created at:   {{.CreatedAt}}
Mutable:      {{.Mutable}}
Reclaimable:  {{.Reclaimable}}
Shared:       {{.Shared}}
Size:         {{.Size}}
{{- if .Description}}
Description:  {{ .Description }}
{{- end }}
Usage count:  {{.UsageCount}}
{{- if .LastUsedAt}}
Last used:    {{ .LastUsedAt }}
{{- end }}
{{- if .Type}}
Type:         {{ .Type }}
{{- end }}
`
)

// runBuilderDu is `docker builder du` as buildx v0.38 prints it (docker 28.2 without the
// buildx plugin, as installed on the machine the goldens are recorded on, has no `builder
// du`; Docker Desktop's has buildx's). Its output could not be recorded here (buildx does
// not build offline), so it follows buildx's source: UNVERIFIED against the real tool.
func runBuilderDu(ctx context.Context, env *Env, fs *pflag.FlagSet, _ []string) error {
	verbose, _ := fs.GetBool("verbose")
	format, _ := fs.GetString("format")
	switch {
	case format != "" && verbose:
		return errors.New("--format and --verbose cannot be used together")
	case format == "" && verbose, format == "pretty":
		format = duPrettyTemplate
	case format == "", format == tableFormatKey:
		format = duTableFormat
	}
	f := filters(fs, "filter")
	var pf []build.PruneFilter
	for k, vs := range f {
		for _, v := range vs {
			pf = append(pf, build.PruneFilter{Field: k, Value: v})
		}
	}
	usage, err := build.DiskUsage(ctx, env.Store)
	if err != nil {
		return err
	}
	now := env.now()
	isTable := strings.HasPrefix(format, tableFormatKey)
	var rows []any
	var shown []build.CacheUsage
	for _, u := range usage {
		if !build.MatchFilters(u, pf) {
			continue
		}
		shown = append(shown, u)
		rows = append(rows, &duRow{u: u, table: isTable, now: now})
	}
	fc := &formatContext{out: env.Stdout, format: format}
	header := map[string]string{"ID": "ID", "Parents": "PARENTS", "CreatedAt": "CREATED AT", "Mutable": "MUTABLE",
		"Reclaimable": "RECLAIMABLE", "Shared": "SHARED", "Size": "SIZE", "Description": "DESCRIPTION",
		"UsageCount": "USAGE COUNT", "LastUsedAt": "LAST ACCESSED", "Type": "TYPE"}
	if err := fc.write(header, rows); err != nil {
		return err
	}
	if (format != duTableFormat && format != duPrettyTemplate) || len(f) > 0 {
		return nil
	}
	var total, reclaimable, shared int64
	for _, u := range shown {
		if u.Size > 0 {
			total += u.Size
			reclaimable += u.Size // nothing is in use outside a build
		}
		if u.Shared {
			shared += u.Size
		}
	}
	tw := tabwriter.NewWriter(env.Stdout, 1, 8, 1, '\t', 0)
	if shared > 0 {
		fmt.Fprintf(tw, "Shared:\t%s\n", units.HumanSize(float64(shared)))
		fmt.Fprintf(tw, "Private:\t%s\n", units.HumanSize(float64(total-shared)))
	}
	fmt.Fprintf(tw, "Reclaimable:\t%s\n", units.HumanSize(float64(reclaimable)))
	fmt.Fprintf(tw, "Total:\t%s\n", units.HumanSize(float64(total)))
	return tw.Flush()
}

// duRow is buildx's diskusageContext.
type duRow struct {
	u     build.CacheUsage
	table bool
	now   time.Time
}

func (d *duRow) ID() string {
	if d.table && d.u.Mutable {
		return d.u.ID + "*"
	}
	return d.u.ID
}
func (d *duRow) Parents() []string   { return nil }
func (d *duRow) CreatedAt() string   { return d.u.CreatedAt.String() }
func (d *duRow) Mutable() bool       { return d.u.Mutable }
func (d *duRow) Reclaimable() bool   { return true }
func (d *duRow) Shared() bool        { return d.u.Shared }
func (d *duRow) Description() string { return d.u.Description }
func (d *duRow) UsageCount() int     { return d.u.UsageCount }
func (d *duRow) Type() string        { return d.u.Type }
func (d *duRow) Size() string {
	s := units.HumanSize(float64(d.u.Size))
	if d.table && d.u.Shared {
		s += "*"
	}
	return s
}
func (d *duRow) LastUsedAt() string {
	if d.u.LastUsedAt == nil {
		return ""
	}
	return units.HumanDuration(d.now.Sub(*d.u.LastUsedAt)) + " ago"
}
func (d *duRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"ID": d.ID(), "Parents": d.Parents(), "CreatedAt": d.CreatedAt(), "Mutable": d.Mutable(),
		"Reclaimable": d.Reclaimable(), "Shared": d.Shared(), "Size": d.Size(), "Description": d.Description(),
		"UsageCount": d.UsageCount(), "LastUsedAt": d.LastUsedAt(), "Type": d.Type()})
}
