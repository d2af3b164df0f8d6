// Command pushtestimage pushes testimage's reproducible images to a registry, for
// scripts/record-registry-golden: `pushtestimage pulltest|pulltestchild|index REF`.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/layerlab/layerlab/internal/testimage"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: pushtestimage pulltest|pulltestchild|index REF")
		os.Exit(2)
	}
	r, err := name.ParseReference(os.Args[2], name.Insecure)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pushtestimage: %v\n", err)
		os.Exit(1)
	}
	var opts []remote.Option
	// PUSHTESTIMAGE_AUTH=user:pass pushes with basic auth (the htpasswd registry).
	if u, p, ok := strings.Cut(os.Getenv("PUSHTESTIMAGE_AUTH"), ":"); ok {
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: u, Password: p}))
	}
	switch os.Args[1] {
	case "pulltest":
		err = remote.Write(r, testimage.PullTest(), opts...)
	case "pulltestchild":
		err = remote.Write(r, testimage.PullTestChild(), opts...)
	case "index":
		err = remote.WriteIndex(r, testimage.MultiPlatform(), opts...)
	default:
		err = fmt.Errorf("unknown image %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pushtestimage: %v\n", err)
		os.Exit(1)
	}
}
