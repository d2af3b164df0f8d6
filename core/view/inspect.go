package view

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Inspect is `docker image inspect`'s document as Engine 20.10 sends it, minus the members
// Engine 28 dropped (Container, ContainerConfig, VirtualSize). Field order is the engine's.
type Inspect struct {
	ID            string           `json:"Id"`
	RepoTags      []string         `json:"RepoTags"`
	RepoDigests   []string         `json:"RepoDigests"`
	Parent        string           `json:"Parent"`
	Comment       string           `json:"Comment"`
	Created       string           `json:"Created"`
	DockerVersion string           `json:"DockerVersion"`
	Author        string           `json:"Author"`
	Config        *ContainerConfig `json:"Config"`
	Architecture  string           `json:"Architecture"`
	Variant       string           `json:"Variant,omitempty"`
	Os            string           `json:"Os"`
	OsVersion     string           `json:"OsVersion,omitempty"`
	Size          int64            `json:"Size"`
	GraphDriver   GraphDriver      `json:"GraphDriver"`
	RootFS        RootFS           `json:"RootFS"`
	Metadata      Metadata         `json:"Metadata"`
}

// ContainerConfig is Engine 20.10's container.Config: every field is printed, in this order,
// whatever the image config held.
type ContainerConfig struct {
	Hostname        string              `json:"Hostname"`
	Domainname      string              `json:"Domainname"`
	User            string              `json:"User"`
	AttachStdin     bool                `json:"AttachStdin"`
	AttachStdout    bool                `json:"AttachStdout"`
	AttachStderr    bool                `json:"AttachStderr"`
	ExposedPorts    map[string]struct{} `json:"ExposedPorts,omitempty"`
	Tty             bool                `json:"Tty"`
	OpenStdin       bool                `json:"OpenStdin"`
	StdinOnce       bool                `json:"StdinOnce"`
	Env             []string            `json:"Env"`
	Cmd             StrSlice            `json:"Cmd"`
	Healthcheck     *HealthConfig       `json:"Healthcheck,omitempty"`
	ArgsEscaped     bool                `json:"ArgsEscaped,omitempty"`
	Image           string              `json:"Image"`
	Volumes         map[string]struct{} `json:"Volumes"`
	WorkingDir      string              `json:"WorkingDir"`
	Entrypoint      StrSlice            `json:"Entrypoint"`
	NetworkDisabled bool                `json:"NetworkDisabled,omitempty"`
	MacAddress      string              `json:"MacAddress,omitempty"`
	OnBuild         []string            `json:"OnBuild"`
	Labels          map[string]string   `json:"Labels"`
	StopSignal      string              `json:"StopSignal,omitempty"`
	StopTimeout     *int                `json:"StopTimeout,omitempty"`
	Shell           StrSlice            `json:"Shell,omitempty"`
}

// HealthConfig is Engine 20.10's container.HealthConfig.
type HealthConfig struct {
	Test        []string      `json:",omitempty"`
	Interval    time.Duration `json:",omitempty"`
	Timeout     time.Duration `json:",omitempty"`
	StartPeriod time.Duration `json:",omitempty"`
	Retries     int           `json:",omitempty"`
}

// StrSlice is Docker's strslice.StrSlice: a JSON string or array of strings.
type StrSlice []string

func (s *StrSlice) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || string(b) == "null" {
		*s = nil
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = StrSlice{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// GraphDriver is the storage the engine reports. layerlab has no graphdriver; it reports what
// Engine 20.10's overlay2 reports for the image, with the data-root /var/lib/docker and each
// layer directory named by the layer's chain ID (the recording script normalizes the real
// engine's random cache IDs the same way).
type GraphDriver struct {
	Data map[string]string `json:"Data"`
	Name string            `json:"Name"`
}

// RootFS lists the image's diff_ids.
type RootFS struct {
	Type   string   `json:"Type"`
	Layers []string `json:"Layers,omitempty"`
}

// Metadata holds LastTagTime.
type Metadata struct {
	LastTagTime time.Time `json:"LastTagTime"`
}

// InspectOf builds im's inspect document.
func InspectOf(im *Image) (*Inspect, error) {
	c := im.Config
	doc := &Inspect{
		ID:            im.ID.String(),
		RepoTags:      []string{},
		RepoDigests:   []string{},
		Parent:        c.Parent,
		Comment:       c.Comment,
		DockerVersion: c.DockerVersion,
		Author:        c.Author,
		Architecture:  c.Architecture,
		Variant:       c.Variant,
		Os:            c.OS,
		OsVersion:     c.OSVersion,
		Size:          im.Size,
		GraphDriver:   overlay2(im.DiffIDs),
		RootFS:        RootFS{Type: c.RootFS.Type},
		Metadata:      Metadata{LastTagTime: im.LastTagTime},
	}
	for _, n := range im.Names {
		doc.RepoTags = append(doc.RepoTags, Familiar(n))
	}
	// Engine 20.10 formats the time even when the config has none (0001-01-01T00:00:00Z).
	doc.Created = im.Created().Format(time.RFC3339Nano)
	if len(c.Config) > 0 && string(c.Config) != "null" {
		doc.Config = &ContainerConfig{}
		if err := json.Unmarshal(c.Config, doc.Config); err != nil {
			return nil, fmt.Errorf("image %s: parsing config: %w", im.ID, err)
		}
	}
	for _, d := range im.DiffIDs {
		doc.RootFS.Layers = append(doc.RootFS.Layers, d.String())
	}
	return doc, nil
}

// MarshalRaw encodes doc as the engine sends it: compact, HTML characters unescaped.
func (doc *Inspect) MarshalRaw() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// ChainIDs returns the chain ID of each layer prefix (the OCI image spec's ChainID).
func ChainIDs(diffIDs []v1.Hash) []v1.Hash {
	out := make([]v1.Hash, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		sum := sha256.Sum256([]byte(out[i-1].String() + " " + d.String()))
		out[i] = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	}
	return out
}

func overlay2(diffIDs []v1.Hash) GraphDriver {
	g := GraphDriver{Name: "overlay2"}
	chains := ChainIDs(diffIDs)
	if len(chains) == 0 {
		return g
	}
	dir := func(h v1.Hash) string { return "/var/lib/docker/overlay2/" + h.Hex }
	top := chains[len(chains)-1]
	g.Data = map[string]string{
		"MergedDir": dir(top) + "/merged",
		"UpperDir":  dir(top) + "/diff",
		"WorkDir":   dir(top) + "/work",
	}
	if len(chains) > 1 {
		var lower []string
		for i := len(chains) - 2; i >= 0; i-- {
			lower = append(lower, dir(chains[i])+"/diff")
		}
		g.Data["LowerDir"] = strings.Join(lower, ":")
	}
	return g
}
