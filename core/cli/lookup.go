package cli

import (
	"errors"
	"regexp"
	"strings"

	"github.com/distribution/reference"

	"github.com/layerlab/layerlab/core/view"
)

var anchoredHex = regexp.MustCompile(`^[a-f0-9]{64}$`)

// parseDaemonRef checks a name the way Engine 20.10 does (its older reference library):
// a first path component without "." or ":" is a path, not a registry, so "Bad/Ref" is
// refused as not lowercase, where the current library (and so the docker CLI) accepts
// "Layerlab/base" as a registry host.
// TODO(cli): use core/ref.Parse once it is on main.
func parseDaemonRef(s string) (reference.Named, error) {
	if anchoredHex.MatchString(s) {
		return nil, errors.New("invalid repository name (" + s + "), cannot specify 64-byte hexadecimal strings")
	}
	remainder := s
	if i := strings.IndexRune(s, '/'); i >= 0 && (strings.ContainsAny(s[:i], ".:") || s[:i] == "localhost") {
		remainder = s[i+1:]
	}
	remote := remainder
	if i := strings.IndexRune(remainder, ':'); i >= 0 {
		remote = remainder[:i]
	}
	if strings.ToLower(remote) != remote {
		return nil, errors.New("invalid reference format: repository name must be lowercase")
	}
	n, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, errors.New("invalid reference format")
	}
	return n, nil
}

// lookupImage finds an image as the engine's GetImage does, with its errors.
func lookupImage(cat *view.Catalog, refOrID string) (*view.Image, error) {
	if !strings.HasPrefix(refOrID, "sha256:") && !anchoredHex.MatchString(refOrID) {
		if _, err := parseDaemonRef(refOrID); err != nil {
			return nil, daemonError{err}
		}
	}
	im, err := cat.Lookup(refOrID)
	if err != nil {
		return nil, daemonError{err}
	}
	return im, nil
}
