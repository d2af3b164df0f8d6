package build_test

import (
	"reflect"
	"testing"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestCopyFlagsCachedPattern checks the cache keys of COPY --link, --exclude and --parents
// against real BuildKit: an excluded file or one outside the --parents pattern does not
// invalidate the step, a selected one does.
func TestCopyFlagsCachedPattern(t *testing.T) {
	p := buildkitpeer.StartT(t)
	dir := t.TempDir()
	write := contextWriter(t, dir)
	write("Dockerfile", "FROM busybox\nARG V=1\nRUN echo $V > /v\nCOPY --link app/ /app/\n"+
		"COPY --exclude=*.log logs/ /logs/\nCOPY --parents src/./a/*.txt /p/\n")
	write("app/main.txt", "main\n")
	write("logs/keep.txt", "keep\n")
	write("logs/x.log", "log 1\n")
	write("src/a/1.txt", "one\n")
	write("src/a/1.md", "doc\n")

	s := store.NewMemory()
	testimage.Put(t, s, buildkitpeer.BaseRef, p.Base)
	steps := []struct {
		name   string
		change func()
		args   map[string]string
	}{
		{"first build", func() {}, nil},
		{"excluded file changed", func() { write("logs/x.log", "log 2\n") }, nil},
		{"file outside the --parents pattern changed", func() { write("src/a/1.md", "doc 2\n") }, nil},
		{"file the --parents pattern selects changed", func() { write("src/a/1.txt", "one 2\n") }, nil},
		{"linked source changed", func() { write("app/main.txt", "main 2\n") }, nil},
		{"step before COPY --link changed", func() {}, map[string]string{"V": "2"}},
	}
	for _, st := range steps {
		st.change()
		ref, res, events := buildBoth(t, p, s, dir, st.name, st.args)
		if got, want := llPattern(events), bkPattern(ref.Log); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CACHED pattern\n got: %q\nwant: %q", st.name, got, want)
		}
		compareImages(t, s, res, ref.Image)
	}
}
