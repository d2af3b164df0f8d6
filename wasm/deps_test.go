//go:build !(js && wasm)

package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBrowserDeps keeps out of the browser build the packages that only the server needs:
// the practice hub and go-containerregistry's registry. They would make the wasm larger
// (its size is a target: make bench prints it) without the browser using them.
func TestBrowserDeps(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-tags", "nethttpomithttp2", ".")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("listing the browser build's packages (go list -deps): %v", err)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["github.com/layerlab/layerlab/core/cli"] {
		t.Fatalf("go list -deps did not list core/cli: got %q", out)
	}
	for _, p := range []string{"github.com/google/go-containerregistry/pkg/registry", "github.com/layerlab/layerlab/core/hub"} {
		if deps[p] {
			t.Errorf("the browser build links %s; keep it to native code", p)
		}
	}
}
