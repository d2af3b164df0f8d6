package cli_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/store/layout"
)

// -update exists because every golden test in this repository has one; here it refuses:
// goldens come only from scripts/record-golden (the real docker CLI and engine), never from
// layerlab's own output.
var update = flag.Bool("update", false, "refuse: golden files are recorded by scripts/record-golden")

const goldenDir = "../../testdata/golden"

// goldenCase is one recorded docker invocation: testdata/golden/NNN-name/{args,stdout,stderr,exit,now}.
type goldenCase struct {
	name   string
	args   []string
	stdout string
	stderr string
	exit   int
	now    time.Time
}

func readCases(t *testing.T) []goldenCase {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(goldenDir, "[0-9][0-9][0-9]-*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases under %s (run scripts/record-golden): %v", goldenDir, err)
	}
	sort.Strings(dirs)
	var out []goldenCase
	for _, d := range dirs {
		read := func(f string) string {
			b, err := os.ReadFile(filepath.Join(d, f))
			if err != nil {
				t.Fatalf("reading golden case: %v", err)
			}
			return string(b)
		}
		c := goldenCase{name: filepath.Base(d), stdout: read("stdout"), stderr: read("stderr")}
		c.args = strings.Split(strings.TrimSuffix(read("args"), "\n"), "\n")
		if c.exit, err = strconv.Atoi(strings.TrimSpace(read("exit"))); err != nil {
			t.Fatalf("%s: exit: %v", d, err)
		}
		if c.now, err = time.Parse(time.RFC3339Nano, strings.TrimSpace(read("now"))); err != nil {
			t.Fatalf("%s: now: %v", d, err)
		}
		out = append(out, c)
	}
	return out
}

// osFiles serves file arguments from a directory (the recording ran `docker load -i
// images/base.tar` from testdata/golden).
type osFiles struct{ dir string }

type osFile struct{ *os.File }

func (f osFile) Size() int64 {
	fi, err := f.Stat()
	if err != nil {
		return -1
	}
	return fi.Size()
}

func (o osFiles) Open(name string) (cli.File, error) {
	f, err := os.Open(filepath.Join(o.dir, name))
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (o osFiles) Create(name string) (io.WriteCloser, error) {
	return nil, errors.New("golden tests write no files")
}

// unordered says whether docker's output for these arguments has rows in no fixed order:
// `docker images` walks a Go map of an image's repositories and the engine sorts images by
// whole seconds with an unstable sort; `image prune` walks a map of images. For these the
// rows are compared as a multiset (the order layerlab uses is checked by the view tests).
func unordered(args []string) bool {
	cmd := strings.Join(args, " ")
	for _, p := range []string{"images", "image ls", "image list", "image prune", "system df -v"} {
		if strings.HasPrefix(cmd, p) {
			return true
		}
	}
	return false
}

// isHeader says whether a first line is a fixed heading rather than a row.
func isHeader(line string) bool {
	for _, h := range []string{"REPOSITORY", "Deleted Images:", "Images space usage:", "Total reclaimed space"} {
		if strings.HasPrefix(line, h) {
			return true
		}
	}
	return false
}

func sortedLines(s string) string {
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestGolden loads the recorded tars through `load` and replays every recorded docker
// command, in the recorded order, against one store, comparing stdout, stderr and exit code
// with what the real docker CLI 28.2 printed against the real engine.
func TestGolden(t *testing.T) {
	if *update {
		t.Fatal("golden files are recorded from the real docker CLI and engine by scripts/record-golden; -update does not rewrite them")
	}
	t.Run("memory", func(t *testing.T) { replay(t, store.NewMemory()) })
	t.Run("layout", func(t *testing.T) {
		s, err := layout.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		replay(t, s)
	})
}

func replay(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, c := range readCases(t) {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			now := c.now
			env := &cli.Env{
				Store:  s,
				Stdin:  strings.NewReader(""),
				Stdout: &stdout,
				Stderr: &stderr,
				Files:  osFiles{goldenDir},
				Now:    func() time.Time { return now },
			}
			code := cli.Run(ctx, env, c.args)
			gotOut, wantOut := stdout.String(), c.stdout
			if gotOut != wantOut && unordered(c.args) {
				gotFirst, _, _ := strings.Cut(gotOut, "\n")
				wantFirst, _, _ := strings.Cut(wantOut, "\n")
				if isHeader(wantFirst) && gotFirst != wantFirst {
					t.Errorf("docker %q: first line: got %q; want %q", c.args, gotFirst, wantFirst)
				}
				gotOut, wantOut = sortedLines(gotOut), sortedLines(wantOut)
				if gotOut == wantOut {
					t.Logf("docker %q: same rows as recorded, in another order (docker's order is not fixed)", c.args)
				}
			}
			if gotOut != wantOut {
				t.Errorf("docker %q stdout:\ngot:\n%s\nwant:\n%s", c.args, stdout.String(), c.stdout)
			}
			if stderr.String() != c.stderr {
				t.Errorf("docker %q stderr:\ngot  %q\nwant %q", c.args, stderr.String(), c.stderr)
			}
			if code != c.exit {
				t.Errorf("docker %q exit code: got %d; want %d", c.args, code, c.exit)
			}
		})
	}
}
