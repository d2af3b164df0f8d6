package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/distribution/reference"
	units "github.com/docker/go-units"
	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/view"
)

const (
	defaultImageTableFormat           = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
	defaultImageTableFormatWithDigest = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
)

var imageHeader = map[string]string{
	"ID":           "IMAGE ID",
	"Repository":   "REPOSITORY",
	"Tag":          "TAG",
	"Digest":       "DIGEST",
	"CreatedSince": "CREATED",
	"CreatedAt":    "CREATED AT",
	"Size":         "SIZE",
	"Containers":   "CONTAINERS",
	"VirtualSize":  "SIZE",
	"SharedSize":   "SHARED SIZE",
	"UniqueSize":   "UNIQUE SIZE",
}

func imagesSpec() spec {
	return spec{
		use:     "images [OPTIONS] [REPOSITORY[:TAG]]",
		short:   "List images",
		aliases: "docker image ls, docker image list, docker images",
		args:    maxArgs(1),
		flags: func(fs *pflag.FlagSet) {
			fs.BoolP("quiet", "q", false, "Only show image IDs")
			fs.BoolP("all", "a", false, "Show all images (default hides intermediate images)")
			fs.Bool("no-trunc", false, "Don't truncate output")
			fs.Bool("digests", false, "Show digests")
			fs.String("format", "", formatHelp)
			filterFlag(fs, "filter", "f", "Filter output based on conditions provided")
		},
		run: runImages,
	}
}

func runImages(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	quiet, _ := fs.GetBool("quiet")
	noTrunc, _ := fs.GetBool("no-trunc")
	digests, _ := fs.GetBool("digests")
	format, _ := fs.GetString("format")
	f := filters(fs, "filter")
	matchName := ""
	if len(args) > 0 {
		matchName = args[0]
		f["reference"] = append(f["reference"], matchName)
	}
	cat, err := view.Load(ctx, env.Store)
	if err != nil {
		return err
	}
	sums, err := cat.Summaries(f)
	if err != nil {
		return daemonError{err}
	}
	if format == "" {
		format = tableFormatKey
	}
	fc := &formatContext{out: env.Stdout, format: newImageFormat(format, quiet, digests), trunc: !noTrunc}
	needDigest := digests || contains(fc.format, "{{.Digest}}")
	now := env.now()
	var rows []any
	for _, s := range sums {
		for _, r := range imageRows(s, digests, needDigest) {
			r.trunc, r.now = fc.trunc, now
			rows = append(rows, r)
		}
	}
	if err := fc.write(imageHeader, rows); err != nil {
		return err
	}
	if matchName != "" && len(sums) == 0 && fs.Name() == "docker images" {
		printAmbiguousHint(env, matchName)
	}
	return nil
}

func printAmbiguousHint(env *Env, matchName string) {
	switch matchName {
	case "build", "history", "import", "inspect", "list", "load", "ls", "prune", "pull", "push", "rm", "save", "tag":
		fmt.Fprintf(env.Stderr, "\nNo images found matching %q: did you mean \"docker image %[1]s\"?\n", matchName)
	}
}

func newImageFormat(source string, quiet, digest bool) string {
	switch source {
	case tableFormatKey:
		switch {
		case quiet:
			return defaultQuietFormat
		case digest:
			return defaultImageTableFormatWithDigest
		default:
			return defaultImageTableFormat
		}
	case "raw":
		switch {
		case quiet:
			return `image_id: {{.ID}}`
		case digest:
			return "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n"
		default:
			return "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n"
		}
	}
	if len(source) >= len(tableFormatKey) && source[:len(tableFormatKey)] == tableFormatKey && digest && !contains(source, "{{.Digest}}") {
		source += "\t{{.Digest}}"
	}
	return source
}

// imageRows expands one summary into docker's rows: one per repository tag (and digest).
// Docker walks a Go map of repositories here, so rows of one image that belong to different
// repositories come out in no fixed order; layerlab keeps the order of the image's tags.
func imageRows(s view.Summary, showDigest, needDigest bool) []*imageRow {
	if len(s.RepoTags) == 0 && len(s.RepoDigests) == 0 {
		return []*imageRow{{s: s, repo: "<none>", tag: "<none>", digest: "<none>"}}
	}
	var repos []string
	tags := map[string][]string{}
	for _, rs := range s.RepoTags {
		ref, err := reference.ParseNormalizedNamed(rs)
		if err != nil {
			continue
		}
		if nt, ok := ref.(reference.NamedTagged); ok {
			fam := reference.FamiliarName(ref)
			if _, seen := tags[fam]; !seen {
				repos = append(repos, fam)
			}
			tags[fam] = append(tags[fam], nt.Tag())
		}
	}
	var digestRepos []string
	digs := map[string][]string{}
	for _, rs := range s.RepoDigests {
		ref, err := reference.ParseNormalizedNamed(rs)
		if err != nil {
			continue
		}
		if c, ok := ref.(reference.Canonical); ok {
			fam := reference.FamiliarName(ref)
			if _, seen := digs[fam]; !seen {
				digestRepos = append(digestRepos, fam)
			}
			digs[fam] = append(digs[fam], c.Digest().String())
		}
	}
	var out []*imageRow
	for _, repo := range repos {
		ds := digs[repo]
		delete(digs, repo)
		if !needDigest {
			ds = nil
		}
		for _, tag := range tags[repo] {
			if len(ds) == 0 {
				out = append(out, &imageRow{s: s, repo: repo, tag: tag, digest: "<none>"})
				continue
			}
			for _, d := range ds {
				out = append(out, &imageRow{s: s, repo: repo, tag: tag, digest: d})
			}
		}
	}
	for _, repo := range digestRepos {
		ds, ok := digs[repo]
		if !ok {
			continue
		}
		if showDigest {
			for _, d := range ds {
				out = append(out, &imageRow{s: s, repo: repo, tag: "<none>", digest: d})
			}
		} else {
			out = append(out, &imageRow{s: s, repo: repo, tag: "<none>"})
		}
	}
	return out
}

// imageRow is docker's imageContext: what an images template sees.
type imageRow struct {
	s                 view.Summary
	repo, tag, digest string
	trunc             bool
	now               time.Time
	// verbose rows (system df -v) carry shared sizes and container counts
}

func (c *imageRow) ID() string {
	if c.trunc {
		return truncateID(c.s.ID)
	}
	return c.s.ID
}
func (c *imageRow) dockerType() string { return "*formatter.imageContext" }
func (c *imageRow) Repository() string { return c.repo }
func (c *imageRow) Tag() string        { return c.tag }
func (c *imageRow) Digest() string     { return c.digest }
func (c *imageRow) CreatedSince() string {
	if time.Unix(c.s.Created, 0).IsZero() {
		return ""
	}
	return createdSince(c.now, c.s.Created)
}

// CreatedAt is printed in UTC: docker uses the local zone, which is UTC on the recording
// machine and always in the browser.
func (c *imageRow) CreatedAt() string {
	return time.Unix(c.s.Created, 0).UTC().String()
}
func (c *imageRow) Size() string { return units.HumanSizeWithPrecision(float64(c.s.Size), 3) }
func (c *imageRow) Containers() string {
	if c.s.Containers == -1 {
		return "N/A"
	}
	return strconv.FormatInt(c.s.Containers, 10)
}
func (c *imageRow) VirtualSize() string { return units.HumanSize(float64(c.s.Size)) }
func (c *imageRow) SharedSize() string {
	if c.s.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(c.s.SharedSize))
}
func (c *imageRow) UniqueSize() string {
	if c.s.Size == -1 || c.s.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(c.s.Size - c.s.SharedSize))
}

func (c *imageRow) MarshalJSON() ([]byte, error) {
	return marshalRow(map[string]string{
		"ID": c.ID(), "Repository": c.Repository(), "Tag": c.Tag(), "Digest": c.Digest(),
		"CreatedSince": c.CreatedSince(), "CreatedAt": c.CreatedAt(), "Size": c.Size(),
		"Containers": c.Containers(), "VirtualSize": c.VirtualSize(), "SharedSize": c.SharedSize(),
		"UniqueSize": c.UniqueSize(),
	})
}
