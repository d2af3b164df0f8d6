//go:build !js

package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
)

// legacyBanner is what docker 28.2 without the buildx plugin prints on stderr before every
// `docker builder` command; layerlab builds as BuildKit does (buildx's world), so it does not
// print it.
var legacyBanner = "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n" +
	"            Install the buildx component to build images with BuildKit:\n" +
	"            https://docs.docker.com/go/buildx/\n\n"

// TestBuilderPruneGolden replays the `docker builder prune` invocations recorded from the
// real docker CLI 28.2 and engine 20.10 (scripts/record-builder-golden) on an empty build
// cache: prompts, cancelling, filters and their errors.
func TestBuilderPruneGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/builder/[0-8][0-9]-*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no recorded cases (run scripts/record-builder-golden): %v", err)
	}
	for _, d := range dirs {
		t.Run(filepath.Base(d), func(t *testing.T) {
			read := func(f string) string {
				b, err := os.ReadFile(filepath.Join(d, f))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			args := strings.Split(strings.TrimSuffix(read("args"), "\n"), "\n")
			wantExit, _ := strconv.Atoi(strings.TrimSpace(read("exit")))
			var out, errb bytes.Buffer
			env := &cli.Env{Store: store.NewMemory(), Stdin: strings.NewReader(read("stdin")), Stdout: &out, Stderr: &errb, Now: time.Now}
			code := cli.Run(context.Background(), env, args)
			if got, want := out.String(), read("stdout"); got != want {
				t.Errorf("stdout: got %q; want %q", got, want)
			}
			if got, want := errb.String(), strings.TrimPrefix(read("stderr"), legacyBanner); got != want {
				t.Errorf("stderr: got %q; want %q", got, want)
			}
			if code != wantExit {
				t.Errorf("exit: got %d; want %d", code, wantExit)
			}
		})
	}
}

// TestBuilderDuPrune builds an image with a cache mount, then lists and prunes the build
// cache: du shows the steps' records (shared with the image, marked "*") and the cache
// mount (mutable, "*" on its id); prune without --all removes only the cache mount, --all
// the rest, and the image stays intact throughout. The formats are buildx's du and docker
// 28.2's prune, from their sources (du could not be recorded here).
func TestBuilderDuPrune(t *testing.T) {
	dir := t.TempDir()
	ctxDir := filepath.Join(dir, "ctx")
	os.MkdirAll(ctxDir, 0o755)
	df := "FROM busybox\nRUN --mount=type=cache,target=/c echo x > /c/f && echo hi > /hi\nCOPY a.txt /\n"
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(df), 0o644)
	os.WriteFile(filepath.Join(ctxDir, "a.txt"), []byte("a\n"), 0o644)
	ll := buildEnv(t, dir)
	if r := ll("build", "-q", "-t", "app", "ctx"); r.code != 0 {
		t.Fatalf("build: %+v", r)
	}
	du := ll("builder", "du")
	rows := regexp.MustCompile(`(?m)^([0-9a-f]{25}\*?)\s+true\s+(\S+)\s+(Less than a second|\d+ seconds?) ago$`).FindAllStringSubmatch(du.stdout, -1)
	if du.code != 0 || !regexp.MustCompile(`^ID {20,}RECLAIMABLE   SIZE {5,}LAST ACCESSED\n`).MatchString(du.stdout) || len(rows) != 3 {
		t.Fatalf("builder du: got %+v; want a header and 3 rows", du)
	}
	var mutable, shared int
	for _, r := range rows {
		if strings.HasSuffix(r[1], "*") {
			mutable++
		}
		if strings.HasSuffix(r[2], "*") {
			shared++
		}
	}
	if mutable != 1 || shared != 2 {
		t.Errorf("builder du: got %d mutable and %d shared rows; want 1 and 2:\n%s", mutable, shared, du.stdout)
	}
	if !regexp.MustCompile(`\nShared:\t+\S+\nPrivate:\t+\S+\nReclaimable:\t\S+\nTotal:\t\t\S+\n$`).MatchString(du.stdout) {
		t.Errorf("builder du summary: got %q", du.stdout)
	}
	v := ll("builder", "du", "--verbose")
	if v.code != 0 || !strings.Contains(v.stdout, "Type:         exec.cachemount\n") || !strings.Contains(v.stdout, "Description:  cached mount /c from exec /bin/sh -c echo x > /c/f && echo hi > /hi\n") {
		t.Errorf("builder du --verbose: got %+v", v)
	}

	p := ll("builder", "prune", "-f")
	if m := regexp.MustCompile(`^Deleted build cache objects:\n[0-9a-f]{25}\n\nTotal reclaimed space: \S+\n$`).MatchString(p.stdout); !m || p.code != 0 {
		t.Errorf("builder prune -f: got %+v; want one deleted record (the cache mount)", p)
	}
	p = ll("builder", "prune", "-a", "-f")
	if m := regexp.MustCompile(`^Deleted build cache objects:\n([0-9a-f]{25}\n){2}\nTotal reclaimed space: \S+\n$`).MatchString(p.stdout); !m || p.code != 0 {
		t.Errorf("builder prune -a -f: got %+v; want two deleted records", p)
	}
	if r := ll("builder", "du"); r.stdout != "ID        RECLAIMABLE   SIZE      LAST ACCESSED\nReclaimable:\t0B\nTotal:\t\t0B\n" {
		t.Errorf("builder du after prune: got %q", r.stdout)
	}
	if r := ll("history", "-q", "app"); r.code != 0 {
		t.Errorf("the image is gone after prune: %+v", r)
	}
	// The image's blobs stayed: a rebuild runs the steps again and gives the same image.
	if r := ll("build", "-q", "-t", "app2", "ctx"); r.code != 0 {
		t.Fatalf("rebuild: %+v", r)
	}
	a, b := ll("images", "-q", "app"), ll("images", "-q", "app2")
	if a.stdout != b.stdout || a.stdout == "" {
		t.Errorf("rebuild after prune: image %q; want %q", b.stdout, a.stdout)
	}
}
