//go:build !(js && wasm)

package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBrowserDeps keeps out of the browser build the packages that only the server needs
// (the practice hub, go-containerregistry's registry) and those with a smaller stand-in:
// text/template (core/format runs --format templates; text/template's MethodByName makes
// the linker keep every exported method in the program, about 4 MB of wasm). They would
// make the wasm larger (its size is a target: make bench prints it).
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
	for _, p := range []string{
		"github.com/google/go-containerregistry/pkg/registry",
		"github.com/layerlab/layerlab/core/hub",
		"text/template",
		"html/template",
	} {
		if deps[p] {
			t.Errorf("the browser build links %s; keep it to native code", p)
		}
	}
}

// TestNoMethodByName: nothing in the browser build looks methods up by name through reflect
// (reflect.Value.Method/MethodByName, reflect.Type.Method/MethodByName with a computed name).
// One such call anywhere makes the linker keep every exported method of every type, about
// 4 MB of wasm; the linker marks the functions making it <ReflectMethod> in -dumpdep.
func TestNoMethodByName(t *testing.T) {
	cmd := exec.Command("go", "build", "-tags", "nethttpomithttp2", "-ldflags=-dumpdep", "-o", t.TempDir()+"/w.wasm", ".")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("building the wasm with -ldflags=-dumpdep: %v\n%s", err, out)
	}
	var callers []string
	for _, line := range strings.Split(string(out), "\n") {
		// "caller <ReflectMethod> -> callee": the caller is what uses MethodByName
		if i := strings.Index(line, " <ReflectMethod> ->"); i >= 0 {
			callers = append(callers, line[:i])
		}
	}
	if len(callers) > 0 {
		t.Errorf("the browser build looks methods up by name (reflect MethodByName), which keeps every exported method linked; used by: %q", callers)
	}
	if !strings.Contains(string(out), "github.com/layerlab/layerlab/core/format.") {
		t.Errorf("-dumpdep output does not mention core/format: the check above saw nothing useful")
	}
}
