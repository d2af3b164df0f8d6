package view

import (
	"fmt"
	"sort"
	"strings"

	"github.com/distribution/reference"
)

// Summary is one image of `docker images`, as Engine 20.10's image list returns it.
type Summary struct {
	ID          string
	RepoTags    []string // familiar references
	RepoDigests []string
	Created     int64 // Unix seconds
	Size        int64
	SharedSize  int64 // -1: not computed
	Containers  int64 // -1: not computed
}

// Filters are `--filter key=value` arguments, grouped by key.
type Filters map[string][]string

// FilterError is the engine's refusal of a filter it does not know or a value it cannot use.
type FilterError struct{ Msg string }

func (e *FilterError) Error() string { return e.Msg }

var imageFilterKeys = map[string]bool{"dangling": true, "label": true, "before": true, "since": true, "reference": true}

// Summaries lists the catalog's images the way Engine 20.10's image list does, newest first.
func (c *Catalog) Summaries(f Filters) ([]Summary, error) {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !imageFilterKeys[k] {
			return nil, &FilterError{Msg: fmt.Sprintf("Invalid filter '%s'", k)}
		}
	}
	var dangling *bool
	if vs := f["dangling"]; len(vs) > 0 {
		for _, v := range vs {
			b, ok := map[string]bool{"true": true, "1": true, "false": false, "0": false}[strings.ToLower(v)]
			if !ok {
				return nil, &FilterError{Msg: fmt.Sprintf("Invalid filter 'dangling=%s'", vs)}
			}
			dangling = &b
		}
	}
	var before, since *Image
	for key, dst := range map[string]**Image{"before": &before, "since": &since} {
		for _, v := range f[key] {
			im, err := c.Lookup(v)
			if err != nil {
				return nil, err
			}
			*dst = im
		}
	}
	var out []Summary
	for _, im := range c.Images {
		if dangling != nil && *dangling != im.Dangling() {
			continue
		}
		if before != nil && !im.Created().Before(before.Created()) {
			continue
		}
		if since != nil && !im.Created().After(since.Created()) {
			continue
		}
		if !matchLabels(im, f["label"]) {
			continue
		}
		s := Summary{
			ID:          im.ID.String(),
			RepoTags:    []string{},
			RepoDigests: []string{},
			Created:     im.Created().Unix(),
			Size:        im.Size,
			SharedSize:  -1,
			Containers:  -1,
		}
		patterns := f["reference"]
		for _, name := range im.Names {
			n, err := reference.ParseNormalizedNamed(name)
			if err != nil {
				continue
			}
			if len(patterns) > 0 {
				found := false
				for _, p := range patterns {
					ok, err := reference.FamiliarMatch(p, n)
					if err != nil {
						return nil, err
					}
					if ok {
						found = true
						break
					}
				}
				if !found {
					continue
				}
			}
			s.RepoTags = append(s.RepoTags, reference.FamiliarString(n))
		}
		if len(patterns) > 0 && len(s.RepoTags) == 0 {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

func matchLabels(im *Image, want []string) bool {
	if len(want) == 0 {
		return true
	}
	cc, err := InspectOf(im)
	if err != nil || cc.Config == nil {
		return false
	}
	for _, w := range want {
		k, v, hasValue := strings.Cut(w, "=")
		got, ok := cc.Config.Labels[k]
		if !ok || (hasValue && got != v) {
			return false
		}
	}
	return true
}

// SharedSizes returns, per image ID, the size of its layers that other images also use
// (what `docker system df -v` shows as SHARED SIZE), and the size of all distinct layers.
func (c *Catalog) SharedSizes() (shared map[string]int64, total int64) {
	users := map[string]int{}
	sizes := map[string]int64{}
	for _, im := range c.Images {
		seen := map[string]bool{}
		for i, ch := range ChainIDs(im.DiffIDs) {
			if seen[ch.String()] {
				continue
			}
			seen[ch.String()] = true
			users[ch.String()]++
			sizes[ch.String()] = im.LayerSizes[i]
		}
	}
	for _, n := range sizes {
		total += n
	}
	shared = map[string]int64{}
	for _, im := range c.Images {
		var s int64
		seen := map[string]bool{}
		for i, ch := range ChainIDs(im.DiffIDs) {
			if seen[ch.String()] {
				continue
			}
			seen[ch.String()] = true
			if users[ch.String()] > 1 {
				s += im.LayerSizes[i]
			}
		}
		shared[im.ID.String()] = s
	}
	return shared, total
}
