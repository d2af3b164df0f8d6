// Package core_test holds the rule that keeps core/ plain Go: it runs natively and in the
// browser, so it must not reach for the process, the page or the network by itself.
package core_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbidden imports for packages under core/.
var forbidden = []string{"os", "os/exec", "os/signal", "syscall", "syscall/js", "net/http", "net", "io/ioutil"}

// adapters are the small packages named for what they adapt, allowed to use the above.
var adapters = map[string][]string{
	"store/layout": {"os", "syscall"},
	// proxy adapts registries to browsers: the CORS proxy (and its blob cache on disk).
	"proxy": {"net", "net/http", "os"},
	// proxy/client is its client side, the RoundTrippers the browser links.
	"proxy/client": {"net/http"},
	// hub is the practice registry layerlab serve hosts (HTTP, its data directory).
	"hub": {"net", "net/http", "os"},
}

func TestCoreImports(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		pkg := filepath.ToSlash(filepath.Dir(path))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !contains(forbidden, p) || contains(adapters[pkg], p) {
				continue
			}
			t.Errorf("core/%s imports %q: core is plain Go (see house style); move the code to an adapter package", path, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no Go files found under core/: the walk is broken")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
