package cli_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
)

type result struct {
	stdout, stderr string
	code           int
}

func run(t testing.TB, s store.Store, now time.Time, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Store: s, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Files: osFiles{goldenDir}, Now: func() time.Time { return now }}
	code := cli.Run(context.Background(), env, args)
	return result{out.String(), errb.String(), code}
}

func loaded(t testing.TB) store.Store {
	t.Helper()
	s := store.NewMemory()
	for _, f := range []string{"images/base.tar", "images/all.tar"} {
		if r := run(t, s, time.Now(), "load", "-i", f); r.code != 0 {
			t.Fatalf("load %s: %+v", f, r)
		}
	}
	return s
}

// TestHelpEveryCommand: every command answers --help (and -h) on stdout with exit 0 in
// docker's usage layout; the texts themselves are checked against the recordings by
// TestGolden.
func TestHelpEveryCommand(t *testing.T) {
	for _, args := range [][]string{
		{"images"}, {"image", "ls"}, {"image", "list"}, {"history"}, {"image", "history"},
		{"image", "inspect"}, {"inspect"}, {"tag"}, {"image", "tag"}, {"rmi"}, {"image", "rm"},
		{"image", "remove"}, {"image", "prune"}, {"system", "df"}, {"save"}, {"image", "save"},
		{"load"}, {"image", "load"}, {"image"}, {"system"},
	} {
		for _, h := range []string{"--help", "-h"} {
			r := run(t, store.NewMemory(), time.Now(), append(args, h)...)
			if h == "-h" {
				// recorded: docker warns on stdout that -h is deprecated, then helps
				r.stdout = strings.TrimPrefix(r.stdout, "Flag shorthand -h has been deprecated, use --help\n")
			}
			if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage:  docker "+strings.Join(args, " ")[:2]) || r.stderr != "" {
				t.Errorf("docker %s %s: got %+v; want usage on stdout, exit 0", strings.Join(args, " "), h, r)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	s := loaded(t)
	now := time.Now()
	tests := []struct {
		args       []string
		wantStderr string
		wantCode   int
	}{
		{[]string{"images", "-f", "dangling"}, "invalid argument \"dangling\" for \"-f, --filter\" flag: bad format of filter (expected name=value)\n\nUsage:  docker images [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'docker images --help' for more information\n", 125},
		{[]string{"history", "--format"}, "flag needs an argument: --format\n\nUsage:  docker history [OPTIONS] IMAGE\n\nRun 'docker history --help' for more information\n", 125},
		{[]string{"history", "-H=maybe", "x"}, "invalid argument \"maybe\" for \"-H, --human\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax\n\nUsage:  docker history [OPTIONS] IMAGE\n\nRun 'docker history --help' for more information\n", 125},
		{[]string{"images", "a", "b"}, "docker: 'docker images' requires at most 1 argument\n\nUsage:  docker images [OPTIONS] [REPOSITORY[:TAG]]\n\nSRun 'docker images --help' for more information\n", 1},
		{[]string{"image", "prune", "x"}, "docker: 'docker image prune' accepts no arguments\n\nUsage:  docker image prune [OPTIONS]\n\nRun 'docker image prune --help' for more information\n", 1},
		{[]string{"history", "a b"}, "Error response from daemon: invalid reference format\n", 1},
		{[]string{"history", "sha256:" + strings.Repeat("f", 64)}, "Error response from daemon: No such image: sha256:" + strings.Repeat("f", 64) + "\n", 1},
		{[]string{"image", "inspect", "--format", "{{.Id", "x"}, "template parsing error: template: :1: unclosed action\n", 64},
		{[]string{"images", "--format", "{{.Nope}}"}, "template parsing error: template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.imageContext\n", 1},
		{[]string{"tag", "layerlab/base", "x@sha256:" + strings.Repeat("a", 64)}, "refusing to create a tag with a digest reference\n", 1},
		{[]string{"load", "-i", "images/nosuch.tar"}, "open ../../testdata/golden/images/nosuch.tar: no such file or directory\n", 1},
		{[]string{"inspect", "nosuch"}, "Error: No such object: nosuch\n", 1},
		{[]string{"inspect", "--type", "volume", "layerlab/base"}, "Error: No such object: layerlab/base\n", 1},
		{[]string{"inspect", "--type", "nope", "x"}, "unknown type: \"nope\": must be one of \"config\", \"container\", \"image\", \"network\", \"node\", \"plugin\", \"secret\", \"service\", \"task\", \"volume\"\n", 1},
		{[]string{}, "docker: 'docker' requires a command\n\nRun 'docker --help' for more information\n", 1},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, s, now, tc.args...)
			if r.stderr != tc.wantStderr {
				t.Errorf("stderr: got %q; want %q", r.stderr, tc.wantStderr)
			}
			if r.code != tc.wantCode {
				t.Errorf("exit: got %d; want %d", r.code, tc.wantCode)
			}
		})
	}
}

// TestTagSetsLastTagTime: `docker tag` stamps Metadata.LastTagTime with the injected clock.
func TestTagSetsLastTagTime(t *testing.T) {
	s := loaded(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	if r := run(t, s, now, "tag", "layerlab/base", "x/y:z"); r.code != 0 {
		t.Fatalf("tag: %+v", r)
	}
	r := run(t, s, now, "image", "inspect", "--format", "{{json .Metadata}} {{.RepoTags}}", "x/y:z")
	if want := "{\"LastTagTime\":\"2026-01-02T03:04:05.000000006Z\"} [layerlab/base:latest x/y:z]\n"; r.stdout != want {
		t.Errorf("got %q; want %q", r.stdout, want)
	}
}

// TestBadLoadChangesNothing: a corrupt tar is refused with exit 1 and the store keeps what
// it had.
func TestBadLoadChangesNothing(t *testing.T) {
	s := loaded(t)
	before := run(t, s, time.Now(), "images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")
	whole, err := os.ReadFile(goldenDir + "/images/all.tar")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"truncated": whole[:len(whole)/2],
		"garbage":   bytes.Repeat([]byte("garbage!"), 1000),
		"empty":     nil,
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := &cli.Env{Store: s, Stdin: bytes.NewReader(b), Stdout: &out, Stderr: &errb, Now: time.Now}
			code := cli.Run(context.Background(), env, []string{"load"})
			if code != 1 || errb.Len() == 0 || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
				t.Errorf("load of a %s tar: exit %d, stderr %q; want exit 1 and a one-line error", name, code, errb.String())
			}
			after := run(t, s, time.Now(), "images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")
			if after.stdout != before.stdout {
				t.Errorf("store changed by a failed load:\nbefore %q\nafter  %q", before.stdout, after.stdout)
			}
		})
	}
}

// TestRmiFreesBlobs: removing every image leaves no blob behind.
func TestRmiFreesBlobs(t *testing.T) {
	s := loaded(t)
	if r := run(t, s, time.Now(), "image", "prune", "-a", "-f"); r.code != 0 {
		t.Fatalf("prune: %+v", r)
	}
	blobs, err := s.Blobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(blobs) != 0 {
		t.Errorf("after prune -a: %d blobs left; want 0", len(blobs))
	}
}

// FuzzRun feeds arbitrary command lines through the parser, reference handling and
// templates: no panic, and only docker's exit codes.
func FuzzRun(f *testing.F) {
	for _, seed := range []string{
		"images -q", "history --no-trunc layerlab/base", "image inspect -f {{json .Config}} layerlab/app:1.0",
		"tag layerlab/base Bad:Ref:x", "rmi -f nosuch", "images --filter reference=layerlab/*", "history Bad/Ref",
		"image nosuch", "images --bogus", "inspect --type image layerlab/base", "tag a@sha256:xyz b",
		"history sha256:", "images -f dangling=maybe", "image inspect --format {{index .RepoTags 5}} layerlab/base",
	} {
		f.Add(seed)
	}
	s := loaded(f)
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		// read-only commands only: the store is shared between runs
		if len(args) > 0 {
			switch args[0] {
			case "tag", "rmi", "load", "save", "image", "system":
				if len(args) > 1 && args[0] == "image" && (args[1] == "inspect" || args[1] == "ls" || args[1] == "history") {
					break
				}
				args = append([]string{"history"}, args[1:]...)
			}
		}
		r := run(t, s, time.Now(), args...)
		switch r.code {
		case 0, 1, 64, 125:
		default:
			t.Errorf("docker %q: exit %d; docker exits 0, 1, 64 or 125", args, r.code)
		}
	})
}
