package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	units "github.com/docker/go-units"
	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/view"
)

func tagSpec() spec {
	return spec{
		use:            "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		short:          "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		aliases:        "docker image tag, docker tag",
		args:           exactArgs(2),
		noInterspersed: true,
		run:            runTag,
	}
}

func runTag(ctx context.Context, env *Env, _ *pflag.FlagSet, args []string) error {
	source, target := args[0], args[1]
	// The docker client checks both names first (current reference library)...
	if _, err := reference.ParseAnyReference(source); err != nil {
		return err
	}
	ref, err := reference.ParseNormalizedNamed(target)
	if err != nil {
		return fmt.Errorf("Error parsing reference: %q is not a valid repository/tag: %w", target, err)
	}
	if _, ok := ref.(reference.Canonical); ok {
		return errors.New("refusing to create a tag with a digest reference")
	}
	// ...then the engine, with its own rules.
	cat, err := view.Load(ctx, env.Store)
	if err != nil {
		return err
	}
	im, err := lookupImage(cat, source)
	if err != nil {
		return err
	}
	n, err := parseDaemonRef(target)
	if err != nil {
		return daemonError{err}
	}
	if _, ok := n.(reference.Canonical); ok {
		return daemonErr("refusing to create a tag with a digest reference")
	}
	name := reference.TagNameOnly(n).String()
	now := env.now()
	return env.Store.UpdateIndex(ctx, func(entries []store.Entry) ([]store.Entry, error) {
		return tagEntries(cat, entries, im, name, now), nil
	})
}

func rmiSpec() spec {
	return spec{
		use:     "rmi [OPTIONS] IMAGE [IMAGE...]",
		short:   "Remove one or more images",
		aliases: "docker image rm, docker image remove, docker rmi",
		args:    minArgs(1),
		flags: func(fs *pflag.FlagSet) {
			fs.BoolP("force", "f", false, "Force removal of the image")
			fs.Bool("no-prune", false, "Do not delete untagged parents")
		},
		run: runRmi,
	}
}

func runRmi(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	force, _ := fs.GetBool("force")
	noPrune, _ := fs.GetBool("no-prune")
	var errs []error
	fatal := false
	for _, a := range args {
		// one engine call per argument, each seeing the previous one's result
		r, err := newRemover(ctx, env.Store)
		if err != nil {
			return err
		}
		records, err := r.remove(a, force, !noPrune)
		if err == nil {
			err = r.commit(ctx, env.Store)
		}
		if err != nil {
			var nf *view.NotFoundError
			if !errors.As(err, &nf) {
				fatal = true
			}
			errs = append(errs, err)
			continue
		}
		for _, rec := range records {
			if rec.Deleted != "" {
				fmt.Fprintln(env.Stdout, "Deleted:", rec.Deleted)
			} else {
				fmt.Fprintln(env.Stdout, "Untagged:", rec.Untagged)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		if !force || fatal {
			return err
		}
		fmt.Fprintln(env.Stderr, err)
	}
	return nil
}

func pruneSpec() spec {
	return spec{
		use:   "prune [OPTIONS]",
		short: "Remove unused images",
		args:  noArgs(),
		flags: func(fs *pflag.FlagSet) {
			fs.BoolP("force", "f", false, "Do not prompt for confirmation")
			fs.BoolP("all", "a", false, "Remove all unused images, not just dangling ones")
			filterFlag(fs, "filter", "", `Provide filter values (e.g. "until=<timestamp>")`)
		},
		run: runPrune,
	}
}

const (
	allImageWarning = `WARNING! This will remove all images without at least one container associated to them.
Are you sure you want to continue?`
	danglingWarning = `WARNING! This will remove all dangling images.
Are you sure you want to continue?`
)

func runPrune(ctx context.Context, env *Env, fs *pflag.FlagSet, _ []string) error {
	force, _ := fs.GetBool("force")
	all, _ := fs.GetBool("all")
	f := filters(fs, "filter")
	for k := range f {
		switch k {
		case "label", "label!", "until":
		default:
			return daemonErr("Invalid filter '%s'", k)
		}
	}
	var until time.Time
	if vs := f["until"]; len(vs) > 0 {
		if len(vs) > 1 {
			return daemonErr("more than one until filter specified")
		}
		t, err := parseTimestamp(vs[0], env.now())
		if err != nil {
			return daemonError{err}
		}
		until = t
	}
	if !force {
		warning := danglingWarning
		if all {
			warning = allImageWarning
		}
		fmt.Fprintf(env.Stdout, "%s [y/N] ", warning)
		answered, yes := false, false
		if env.Stdin != nil {
			sc := bufio.NewScanner(env.Stdin)
			if sc.Scan() {
				answered = true
				yes = strings.EqualFold(strings.TrimSpace(sc.Text()), "y")
			}
		}
		if !yes {
			// Cancelled: exit 0. Recorded: with stdin at EOF docker ends the prompt line.
			if !answered {
				fmt.Fprintln(env.Stdout)
			}
			return nil
		}
	}
	r, err := newRemover(ctx, env.Store)
	if err != nil {
		return err
	}
	var records []deleteRecord
	for _, im := range r.cat.Images {
		if !r.present(im) {
			continue
		}
		if !until.IsZero() && im.Created().After(until) {
			continue
		}
		if !pruneLabelsMatch(im, f["label"], f["label!"]) {
			continue
		}
		refs := r.refs(im)
		if len(refs) > 0 {
			if !all {
				continue
			}
			for _, ref := range refs {
				rec, err := r.remove(view.Familiar(ref), false, true)
				if err != nil {
					continue // the engine skips conflicts
				}
				records = append(records, rec...)
			}
			continue
		}
		rec, err := r.remove(im.ID.Hex, false, true)
		if err != nil {
			continue
		}
		records = append(records, rec...)
	}
	if err := r.commit(ctx, env.Store); err != nil {
		return err
	}
	if len(records) > 0 {
		var sb strings.Builder
		sb.WriteString("Deleted Images:\n")
		for _, rec := range records {
			if rec.Untagged != "" {
				sb.WriteString("untagged: " + rec.Untagged + "\n")
			} else {
				sb.WriteString("deleted: " + rec.Deleted + "\n")
			}
		}
		fmt.Fprintln(env.Stdout, sb.String())
	}
	var reclaimed int64
	for _, n := range r.released {
		reclaimed += n
	}
	fmt.Fprintln(env.Stdout, "Total reclaimed space:", units.HumanSize(float64(reclaimed)))
	return nil
}

func dfSpec() spec {
	return spec{
		use:   "df [OPTIONS]",
		short: "Show docker disk usage",
		args:  noArgs(),
		flags: func(fs *pflag.FlagSet) {
			fs.BoolP("verbose", "v", false, "Show detailed information on space usage")
			fs.String("format", "", formatHelp)
		},
		run: runDF,
	}
}

// buildCacheRow is the Build Cache line: the count of build cache records, none active (no
// build runs while df does), and the engine's BuilderSize (the records not shared with an
// image), all of it reclaimable, as docker's formatter prints a disk usage answer.
func buildCacheRow(usage []build.CacheUsage) *dfRow {
	var size int64
	for _, u := range usage {
		if !u.Shared {
			size += u.Size
		}
	}
	h := units.HumanSize(float64(size))
	return &dfRow{"Build Cache", strconv.Itoa(len(usage)), "0", h, h}
}

// dfRow is one line of the `system df` summary table.
type dfRow struct{ typ, total, active, size, reclaimable string }

func (r *dfRow) dockerType() string {
	return "*formatter.diskUsage" + strings.ReplaceAll(r.typ, " ", "") + "Context"
}
func (r *dfRow) Type() string        { return r.typ }
func (r *dfRow) TotalCount() string  { return r.total }
func (r *dfRow) Active() string      { return r.active }
func (r *dfRow) Size() string        { return r.size }
func (r *dfRow) Reclaimable() string { return r.reclaimable }
func (r *dfRow) MarshalJSON() ([]byte, error) {
	return marshalRow(map[string]string{"Type": r.typ, "TotalCount": r.total, "Active": r.active, "Size": r.size, "Reclaimable": r.reclaimable})
}

// runDF is `docker system df`. layerlab has no containers or volumes, so those lines are
// always empty.
func runDF(ctx context.Context, env *Env, fs *pflag.FlagSet, _ []string) error {
	verbose, _ := fs.GetBool("verbose")
	format, _ := fs.GetString("format")
	cat, err := view.Load(ctx, env.Store)
	if err != nil {
		return err
	}
	shared, total := cat.SharedSizes()
	usage, err := build.DiskUsage(ctx, env.Store)
	if err != nil {
		return err
	}
	if format == "" {
		format = tableFormatKey
	}
	if !verbose {
		if format == tableFormatKey {
			format = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
		}
		reclaim := units.HumanSize(float64(total))
		if total > 0 {
			reclaim = fmt.Sprintf("%s (%v%%)", reclaim, (total*100)/total)
		}
		rows := []any{
			&dfRow{"Images", strconv.Itoa(len(cat.Images)), "0", units.HumanSize(float64(total)), reclaim},
			&dfRow{"Containers", "0", "0", "0B", "0B"},
			&dfRow{"Local Volumes", "0", "0", "0B", "0B"},
			buildCacheRow(usage),
		}
		fc := &formatContext{out: env.Stdout, format: format}
		return fc.write(map[string]string{"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"}, rows)
	}
	if format != tableFormatKey {
		return errors.New("system df --verbose with --format is not supported by layerlab yet")
	}
	now := env.now()
	fc := &formatContext{out: env.Stdout, format: "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", trunc: true}
	var rows []any
	for _, im := range cat.Images {
		s := view.Summary{ID: im.ID.String(), Created: im.Created().Unix(), Size: im.Size, SharedSize: shared[im.ID.String()], Containers: 0}
		row := &imageRow{s: s, repo: "<none>", tag: "<none>", trunc: true, now: now}
		if len(im.Names) > 0 {
			if n, err := reference.ParseNormalizedNamed(im.Names[0]); err == nil {
				if nt, ok := n.(reference.NamedTagged); ok {
					row.repo, row.tag = reference.FamiliarName(n), nt.Tag()
				}
			}
		}
		rows = append(rows, row)
	}
	fmt.Fprint(env.Stdout, "Images space usage:\n\n")
	if err := fc.write(imageHeader, rows); err != nil {
		return err
	}
	fmt.Fprint(env.Stdout, "\nContainers space usage:\n\n")
	fc = &formatContext{out: env.Stdout, format: "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}"}
	if err := fc.write(map[string]string{"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "LocalVolumes": "LOCAL VOLUMES", "Size": "SIZE", "RunningFor": "CREATED", "Status": "STATUS", "Names": "NAMES"}, nil); err != nil {
		return err
	}
	fmt.Fprint(env.Stdout, "\nLocal Volumes space usage:\n\n")
	fc = &formatContext{out: env.Stdout, format: "table {{.Name}}\t{{.Links}}\t{{.Size}}"}
	if err := fc.write(map[string]string{"Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"}, nil); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nBuild cache usage: %s\n\n", units.HumanSize(0))
	fc = &formatContext{out: env.Stdout, format: "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}"}
	return fc.write(map[string]string{"ID": "CACHE ID", "CacheType": "CACHE TYPE", "Size": "SIZE", "CreatedSince": "CREATED", "LastUsedSince": "LAST USED", "UsageCount": "USAGE", "Shared": "SHARED"}, nil)
}

// parseTimestamp reads an until= value as the engine does (docker's timetypes.GetTimestamp):
// a Go duration back from now, an RFC 3339 time or date, or Unix seconds.
func parseTimestamp(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02T15", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	sec, frac, _ := strings.Cut(v, ".")
	if n, err := strconv.ParseInt(sec, 10, 64); err == nil {
		var ns int64
		if frac != "" {
			if len(frac) > 9 {
				frac = frac[:9]
			}
			ns, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		}
		return time.Unix(n, ns), nil
	}
	return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q", v)
}

// pruneLabelsMatch applies prune's label (all must match) and label! (none may) filters.
func pruneLabelsMatch(im *view.Image, want, notWant []string) bool {
	if len(want) == 0 && len(notWant) == 0 {
		return true
	}
	doc, err := view.InspectOf(im)
	if err != nil {
		return false
	}
	var labels map[string]string
	if doc.Config != nil {
		labels = doc.Config.Labels
	}
	has := func(w string) bool {
		k, v, withValue := strings.Cut(w, "=")
		got, ok := labels[k]
		return ok && (!withValue || got == v)
	}
	for _, w := range want {
		if !has(w) {
			return false
		}
	}
	for _, w := range notWant {
		if has(w) {
			return false
		}
	}
	return true
}
