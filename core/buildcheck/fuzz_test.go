package buildcheck_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/layerlab/layerlab/core/buildcheck"
)

// FuzzCheck feeds arbitrary Dockerfiles to the checks, the advice and the printers: they
// may report errors but must not panic.
func FuzzCheck(f *testing.F) {
	dirs, _ := filepath.Glob("testdata/rules/*/Dockerfile")
	for _, d := range dirs {
		if b, err := os.ReadFile(d); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("FROM a AS b\nONBUILD COPY --from=b x y\nFROM b\n"))
	f.Fuzz(func(t *testing.T, df []byte) {
		for _, all := range []bool{false, true} {
			r := buildcheck.Check(df, buildcheck.Options{All: all, Ignore: []string{"*.txt"}})
			var b bytes.Buffer
			buildcheck.WriteCheck(&b, "Dockerfile", df, r)
			buildcheck.WriteSummary(&b, r.Warnings)
			buildcheck.WriteProgress(&b, 1, r.Warnings)
		}
		buildcheck.WriteAdvice(&bytes.Buffer{}, buildcheck.Advise(df))
	})
}
