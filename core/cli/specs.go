package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// docker's --format help texts (cli/flags/options.go).
const (
	formatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`
	inspectFormatHelp = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`
)

// filterOpt is docker's opts.FilterOpt: repeated key=value pairs, shown as type "filter".
type filterOpt struct{ m map[string][]string }

func (f *filterOpt) String() string { return "" }
func (f *filterOpt) Type() string   { return "filter" }
func (f *filterOpt) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("bad format of filter (expected name=value)")
	}
	k = strings.ToLower(strings.TrimSpace(k))
	if f.m == nil {
		f.m = map[string][]string{}
	}
	f.m[k] = append(f.m[k], strings.TrimSpace(val))
	return nil
}

func filterFlag(fs *pflag.FlagSet, name, short, usage string) {
	fs.VarP(&filterOpt{}, name, short, usage)
}

func filters(fs *pflag.FlagSet, name string) map[string][]string {
	f := fs.Lookup(name).Value.(*filterOpt)
	out := map[string][]string{}
	for k, v := range f.m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func builtinSpecs() []*spec {
	var out []*spec
	// add registers s under each of docker's names for it: "name" or "name=shown" where
	// shown is the command path docker prints for that alias (`image list` prints as
	// `image ls`).
	add := func(s spec, paths ...string) {
		for _, p := range paths {
			reg, shown, ok := strings.Cut(p, "=")
			if !ok {
				shown = reg
			}
			c := s
			c.reg = reg
			c.path = shown
			word := shown[strings.LastIndex(shown, " ")+1:]
			c.use = word + s.use[strings.Index(s.use+" ", " "):]
			out = append(out, &c)
		}
	}
	add(imagesSpec(), "images", "image ls", "image list=image ls")
	add(historySpec(), "history", "image history")
	add(imageInspectSpec(), "image inspect")
	add(inspectSpec(), "inspect")
	add(tagSpec(), "tag", "image tag")
	add(rmiSpec(), "rmi", "image rm", "image remove=image rm")
	add(pruneSpec(), "image prune")
	add(dfSpec(), "system df")
	add(saveSpec(), "save", "image save")
	add(loadSpec(), "load", "image load")
	add(buildSpec(), "build", "image build", "builder build", "buildx build")
	add(builderPruneSpec(), "builder prune")
	add(builderDuSpec(), "builder du", "buildx du")
	return out
}
