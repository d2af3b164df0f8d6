package layout

import (
	"encoding/json"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/store"
)

// indexFile is index.json. Manifests are kept raw while parsing so that an error can say
// which entry is wrong; fields layerlab does not use are carried over when it is rewritten.
type indexFile struct {
	SchemaVersion *int              `json:"schemaVersion"`
	MediaType     types.MediaType   `json:"mediaType,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Manifests     []json.RawMessage `json:"manifests"`
	Subject       *v1.Descriptor    `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// parseIndex reads index.json (untrusted: any program may have written it) into store
// entries, in store order. A tagged entry's name is taken from io.containerd.image.name,
// else from org.opencontainers.image.ref.name; both annotations are removed from the entry's
// descriptor, every other annotation is kept.
func parseIndex(b []byte) ([]store.Entry, *indexFile, error) {
	var top indexFile
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, nil, fmt.Errorf("not valid JSON: %v", err)
	}
	switch {
	case top.SchemaVersion == nil:
		return nil, nil, errors.New("no schemaVersion: not an OCI image index")
	case *top.SchemaVersion != 2:
		return nil, nil, fmt.Errorf("schemaVersion is %d; want 2", *top.SchemaVersion)
	case top.MediaType != "" && top.MediaType != types.OCIImageIndex:
		return nil, nil, fmt.Errorf("mediaType is %q; want %q", top.MediaType, types.OCIImageIndex)
	}
	entries := make([]store.Entry, 0, len(top.Manifests))
	for i, raw := range top.Manifests {
		var d v1.Descriptor
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, nil, fmt.Errorf("manifests[%d]: %v", i, err)
		}
		switch {
		case d.Digest == v1.Hash{}:
			return nil, nil, fmt.Errorf("manifests[%d]: no digest", i)
		case d.MediaType == "":
			return nil, nil, fmt.Errorf("manifests[%d] (%s): no mediaType", i, d.Digest)
		case d.Size < 0:
			return nil, nil, fmt.Errorf("manifests[%d] (%s): negative size %d", i, d.Digest, d.Size)
		}
		if err := store.CheckAlgorithm(d.Digest); err != nil {
			return nil, nil, fmt.Errorf("manifests[%d]: %v", i, err)
		}
		name := d.Annotations[ContainerdNameAnnotation]
		if name == "" {
			name = d.Annotations[RefNameAnnotation]
		}
		delete(d.Annotations, ContainerdNameAnnotation)
		delete(d.Annotations, RefNameAnnotation)
		if len(d.Annotations) == 0 {
			d.Annotations = nil
		}
		entries = append(entries, store.Entry{Name: name, Descriptor: d})
	}
	top.Manifests = nil
	return store.Normalize(entries), &top, nil
}

// marshalIndex writes entries as index.json, carrying over top's other fields.
func marshalIndex(top *indexFile, entries []store.Entry) ([]byte, error) {
	two := 2
	out := *top
	out.SchemaVersion = &two
	out.MediaType = types.OCIImageIndex
	out.Manifests = make([]json.RawMessage, 0, len(entries))
	for _, e := range entries {
		d := store.CopyDescriptor(e.Descriptor)
		delete(d.Annotations, ContainerdNameAnnotation)
		delete(d.Annotations, RefNameAnnotation)
		if e.Name != "" {
			if d.Annotations == nil {
				d.Annotations = map[string]string{}
			}
			d.Annotations[RefNameAnnotation] = e.Name
			d.Annotations[ContainerdNameAnnotation] = e.Name
		}
		if len(d.Annotations) == 0 {
			d.Annotations = nil
		}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("encoding index entry %s: %w", e.Descriptor.Digest, err)
		}
		out.Manifests = append(out.Manifests, b)
	}
	return json.Marshal(&out)
}
