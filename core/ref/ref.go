package ref

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
)

// Parse parses s the way `docker pull s` / `docker tag x s` do: a familiar name is
// normalized (nginx -> docker.io/library/nginx:latest) and a missing tag becomes latest
// unless a digest is given. Errors carry Docker's wording ("invalid reference format",
// "invalid reference format: repository name (library/Nginx) must be lowercase").
func Parse(s string) (name.Reference, error) {
	n, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, err
	}
	n = reference.TagNameOnly(n)
	return toGGCR(n)
}

// ParseNamed is Parse without defaulting the tag: `docker images nginx` or `docker push
// user/app` name a repository, with or without a tag.
func ParseNamed(s string) (reference.Named, error) {
	return reference.ParseNormalizedNamed(s)
}

func toGGCR(n reference.Named) (name.Reference, error) {
	// The string is already validated and normalized; name.StrictValidation would refuse
	// nothing here, and WithDefaultRegistry keeps docker.io spelled as Docker spells it.
	s := n.String()
	r, err := name.ParseReference(s, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("converting reference %q: %w", s, err)
	}
	return r, nil
}

// String returns the full normalized form Docker stores: docker.io/library/nginx:latest.
// go-containerregistry prints Docker Hub as index.docker.io; layerlab's store and Docker's
// annotations use docker.io.
func String(r name.Reference) string {
	reg := r.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	repo := r.Context().RepositoryStr()
	switch t := r.(type) {
	case name.Tag:
		return reg + "/" + repo + ":" + t.TagStr()
	case name.Digest:
		return reg + "/" + repo + "@" + t.DigestStr()
	}
	return r.String()
}

// Repository returns the normalized repository without tag or digest:
// docker.io/library/nginx.
func Repository(r name.Reference) string {
	reg := r.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	return reg + "/" + r.Context().RepositoryStr()
}

// Familiar returns the short form Docker prints: nginx:latest, user/app:1.0,
// localhost:5000/x:latest.
func Familiar(r name.Reference) string {
	n, err := reference.ParseNormalizedNamed(String(r))
	if err != nil {
		return r.String()
	}
	return reference.FamiliarString(n)
}

// FamiliarName returns the short repository name Docker prints in REPOSITORY columns:
// nginx, user/app, localhost:5000/x.
func FamiliarName(r name.Reference) string {
	n, err := reference.ParseNormalizedNamed(Repository(r))
	if err != nil {
		return r.Context().String()
	}
	return reference.FamiliarName(n)
}

// FamiliarString shortens a full normalized reference string as Docker prints it; a string
// that does not parse is returned unchanged.
func FamiliarString(full string) string {
	n, err := reference.ParseNormalizedNamed(full)
	if err != nil {
		return full
	}
	return reference.FamiliarString(n)
}

// IsDigestID reports whether s looks like an image ID or ID prefix ("sha256:abc…" or a bare
// hex prefix), which Docker resolves against local image IDs before names.
func IsDigestID(s string) bool {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
