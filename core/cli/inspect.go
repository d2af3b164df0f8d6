package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/view"
)

func imageInspectSpec() spec {
	return spec{
		use:   "inspect [OPTIONS] IMAGE [IMAGE...]",
		short: "Display detailed information on one or more images",
		args:  minArgs(1),
		flags: func(fs *pflag.FlagSet) {
			fs.StringP("format", "f", "", inspectFormatHelp)
		},
		run: func(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
			format, _ := fs.GetString("format")
			return runInspect(ctx, env, args, format, func(cat *view.Catalog, ref string) (*view.Image, error) {
				im, err := lookupImage(cat, ref)
				if err != nil {
					var nf *view.NotFoundError
					if errors.As(err, &nf) {
						return nil, daemonErr("no such image: %s: %w", ref, nf)
					}
					return nil, err
				}
				return im, nil
			})
		},
	}
}

var inspectTypes = []string{"config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume"}

// inspectSpec is `docker inspect`: layerlab has only images, so every other type finds nothing.
func inspectSpec() spec {
	return spec{
		use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		short: "Return low-level information on Docker objects",
		args:  minArgs(1),
		flags: func(fs *pflag.FlagSet) {
			fs.StringP("format", "f", "", inspectFormatHelp)
			fs.String("type", "", "Only inspect objects of the given type")
			fs.BoolP("size", "s", false, "Display total file sizes if the type is container")
		},
		run: func(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
			format, _ := fs.GetString("format")
			typ, _ := fs.GetString("type")
			if fs.Changed("type") && typ == "" {
				return fmt.Errorf(`type is empty: must be one of "%s"`, strings.Join(inspectTypes, `", "`))
			}
			known := typ == ""
			for _, t := range inspectTypes {
				known = known || t == typ
			}
			if !known {
				return fmt.Errorf(`unknown type: %q: must be one of "%s"`, typ, strings.Join(inspectTypes, `", "`))
			}
			return runInspect(ctx, env, args, format, func(cat *view.Catalog, ref string) (*view.Image, error) {
				if typ != "" && typ != "image" {
					return nil, fmt.Errorf("Error: No such object: %s", ref)
				}
				im, err := lookupImage(cat, ref)
				var nf *view.NotFoundError
				switch {
				case err == nil:
					return im, nil
				case errors.As(err, &nf) && typ == "":
					return nil, fmt.Errorf("Error: No such object: %s", ref)
				case errors.As(err, &nf):
					return nil, daemonErr("no such image: %s: %w", ref, nf)
				}
				return nil, err
			})
		},
	}
}

// runInspect is docker's inspect.Inspect over images.
func runInspect(ctx context.Context, env *Env, refs []string, format string,
	get func(*view.Catalog, string) (*view.Image, error)) error {
	cat, err := view.Load(ctx, env.Store)
	if err != nil {
		return err
	}
	var tmpl *goTemplate
	if format != "" && format != "json" {
		tmpl, err = parseTemplate(format)
		if err != nil {
			return statusError{StatusCode: 64, Status: fmt.Sprintf("template parsing error: %s", err)}
		}
	}
	var (
		raws []json.RawMessage
		out  bytes.Buffer
		errs []error
	)
	for _, ref := range refs {
		im, err := get(cat, ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		doc, err := view.InspectOf(im)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		raw, err := doc.MarshalRaw()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if tmpl == nil {
			raws = append(raws, raw)
			continue
		}
		if err := executeInspect(&out, tmpl, raw); err != nil {
			errs = append(errs, err)
		}
	}
	if tmpl == nil {
		if len(raws) == 0 {
			io.WriteString(env.Stdout, "[]\n")
		} else {
			joined := append([]byte("["), bytes.Join(toBytes(raws), []byte(","))...)
			joined = append(joined, ']')
			var b bytes.Buffer
			if format == "json" {
				err = json.Compact(&b, joined)
			} else {
				err = json.Indent(&b, joined, "", "    ")
			}
			if err != nil {
				return err
			}
			b.WriteByte('\n')
			b.WriteTo(env.Stdout)
		}
	} else if out.Len() == 0 {
		io.WriteString(env.Stdout, "\n")
	} else {
		out.WriteTo(env.Stdout)
	}
	if err := errors.Join(errs...); err != nil {
		return statusError{StatusCode: 1, Status: err.Error()}
	}
	return nil
}

func toBytes(rs []json.RawMessage) [][]byte {
	out := make([][]byte, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

// executeInspect runs tmpl on the typed document the docker CLI decodes, falling back to the
// raw JSON (as a map, missing keys an error) as docker's TemplateInspector does.
func executeInspect(out *bytes.Buffer, tmpl *goTemplate, raw []byte) error {
	var typed inspectResponse
	if err := json.Unmarshal(raw, &typed); err != nil {
		return fmt.Errorf("unable to read inspect data: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, typed); err == nil {
		out.Write(buf.Bytes())
		out.WriteByte('\n')
		return nil
	}
	var m any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("unable to read inspect data: %w", err)
	}
	buf.Reset()
	if err := tmpl.Option("missingkey=error").Execute(&buf, m); err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	out.Write(buf.Bytes())
	out.WriteByte('\n')
	return nil
}

// inspectResponse is the docker 28 CLI's image.InspectResponse: what --format templates see.
type inspectResponse struct {
	ID              string           `json:"Id"`
	RepoTags        []string         `json:"RepoTags"`
	RepoDigests     []string         `json:"RepoDigests"`
	Parent          string           `json:"Parent"`
	Comment         string           `json:"Comment"`
	Created         string           `json:",omitempty"`
	Container       string           `json:",omitempty"`
	ContainerConfig *json.RawMessage `json:",omitempty"`
	DockerVersion   string           `json:"DockerVersion"`
	Author          string           `json:"Author"`
	Config          *ociImageConfig  `json:"Config"`
	Architecture    string           `json:"Architecture"`
	Variant         string           `json:",omitempty"`
	Os              string           `json:"Os"`
	OsVersion       string           `json:",omitempty"`
	Size            int64            `json:"Size"`
	VirtualSize     int64            `json:"VirtualSize,omitempty"`
	GraphDriver     struct {
		Data map[string]string `json:"Data"`
		Name string            `json:"Name"`
	} `json:"GraphDriver"`
	RootFS struct {
		Type   string   `json:",omitempty"`
		Layers []string `json:",omitempty"`
	} `json:"RootFS"`
	Metadata struct {
		LastTagTime time.Time `json:",omitempty"`
	} `json:"Metadata"`
	Descriptor *json.RawMessage  `json:"Descriptor,omitempty"`
	Manifests  []json.RawMessage `json:"Manifests,omitempty"`
}

// ociImageConfig is moby's DockerOCIImageConfig (an OCI image config plus Docker's
// Healthcheck, OnBuild and Shell), every field omitted when empty.
type ociImageConfig struct {
	User         string              `json:"User,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Volumes      map[string]struct{} `json:"Volumes,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	ArgsEscaped  bool                `json:"ArgsEscaped,omitempty"`
	Healthcheck  *struct {
		Test          []string      `json:",omitempty"`
		Interval      time.Duration `json:",omitempty"`
		Timeout       time.Duration `json:",omitempty"`
		StartPeriod   time.Duration `json:",omitempty"`
		StartInterval time.Duration `json:",omitempty"`
		Retries       int           `json:",omitempty"`
	} `json:"Healthcheck,omitempty"`
	OnBuild []string `json:"OnBuild,omitempty"`
	Shell   []string `json:"Shell,omitempty"`
}
