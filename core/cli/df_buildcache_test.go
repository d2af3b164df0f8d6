package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSystemDFCountsBuildCache: after a build and the removal of its image, system df's
// Build Cache line counts the records builder du lists, none active, all of their size
// reclaimable.
func TestSystemDFCountsBuildCache(t *testing.T) {
	dir := t.TempDir()
	ll := buildEnv(t, dir)
	ctxDir := filepath.Join(dir, "ctx")
	os.MkdirAll(ctxDir, 0o755)
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM busybox\nRUN echo hi > /hi\nCOPY a.txt /a.txt\n"), 0o644)
	os.WriteFile(filepath.Join(ctxDir, "a.txt"), []byte("a\n"), 0o644)

	empty := ll("system", "df", "--format", "{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}")
	if !strings.Contains(empty.stdout, "Build Cache|0|0|0B|0B\n") {
		t.Fatalf("system df before a build: got %q; want a Build Cache|0|0|0B|0B line", empty.stdout)
	}
	if r := ll("build", "-q", "-t", "app", "ctx"); r.code != 0 {
		t.Fatalf("build: exit %d: %s", r.code, r.stderr)
	}
	du := ll("builder", "du", "--format", "{{.ID}}")
	ids := strings.Fields(du.stdout)
	if len(ids) == 0 {
		t.Fatalf("builder du after a build listed nothing: %+v", du)
	}
	// the image shares the records' layers: they count, but their size is the image's
	if r := ll("rmi", "app"); r.code != 0 {
		t.Fatalf("rmi: exit %d: %s", r.code, r.stderr)
	}
	df := ll("system", "df", "--format", "{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}")
	var line string
	for _, l := range strings.Split(df.stdout, "\n") {
		if strings.HasPrefix(l, "Build Cache|") {
			line = l
		}
	}
	f := strings.Split(line, "|")
	if len(f) != 5 || f[1] != strconv.Itoa(len(ids)) || f[2] != "0" || f[3] == "0B" || f[3] != f[4] {
		t.Errorf("system df's Build Cache line after a build: got %q; want %d records, 0 active, a size, all of it reclaimable", line, len(ids))
	}
}
