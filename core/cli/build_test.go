//go:build !js

package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/testimage"
)

// dirFiles is cli.DirFiles over a real directory, as cmd/layerlab's.
type dirFiles struct{ root string }

type dirFile struct {
	*os.File
	size int64
}

func (f dirFile) Size() int64 { return f.size }

func (d dirFiles) path(n string) string {
	if filepath.IsAbs(n) {
		return n
	}
	return filepath.Join(d.root, n)
}

func (d dirFiles) Open(n string) (cli.File, error) {
	f, err := os.Open(d.path(n))
	if err != nil {
		return nil, err
	}
	fi, _ := f.Stat()
	return dirFile{f, fi.Size()}, nil
}
func (d dirFiles) Create(n string) (io.WriteCloser, error) { return os.Create(d.path(n)) }
func (d dirFiles) FS(dir string) (fs.FS, error) {
	if _, err := os.Stat(d.path(dir)); err != nil {
		return nil, err
	}
	return os.DirFS(d.path(dir)), nil
}

// buildEnv is a store holding BuildKit's busybox base and a cli
// run function over dir with SOURCE_DATE_EPOCH=0 in its environment.
func buildEnv(t *testing.T, dir string) func(args ...string) result {
	t.Helper()
	img, err := buildkitpeer.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	s := store.NewMemory()
	testimage.Put(t, s, buildkitpeer.BaseRef, img)
	// Docker Hub stands in as an empty local registry: a FROM of an image the store lacks is
	// pulled from it and not found, as the BuildKit peer's registry mirror does not have it
	hub := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(hub.Close)
	hubURL, _ := url.Parse(hub.URL)
	remoteOpts := func() []remote.Option { return []remote.Option{remote.WithTransport(toHost{hubURL.Host})} }
	runIn := func(args ...string) result {
		var out, errb bytes.Buffer
		env := &cli.Env{Store: s, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Files: dirFiles{dir}, Remote: remoteOpts,
			Now: time.Now, Getenv: func(k string) string {
				if k == "SOURCE_DATE_EPOCH" {
					return "0"
				}
				return ""
			}}
		code := cli.Run(context.Background(), env, args)
		return result{out.String(), errb.String(), code}
	}
	return runIn
}

// toHost sends every registry request to one plain-http host.
type toHost struct{ host string }

func (h toHost) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = "http", h.host, h.host
	return http.DefaultTransport.RoundTrip(r)
}

// Normalization of a plain progress log before comparing layerlab's with BuildKit's:
//   - timings: "DONE 0.1s" -> "DONE", "... 0.3s done" -> "... done", and the seconds that
//     stamp output lines ("#6 0.150 hi", "0.150 hi" in the error block) -> "T";
//   - the byte counts of "transferring dockerfile|context: 117B": BuildKit counts fsutil's
//     wire bytes (stat packets included), layerlab the file bytes -> "<n>";
//   - a FROM's image download lines ("#5 sha256:... 1.15MB / 1.15MB done", "extracting"):
//     BuildKit prints them when its content store lacks the base; layerlab's base is in the
//     store, as in BuildKit's warm runs;
//   - vertex numbers and order: BuildKit's solver reports a cached build's vertices in an
//     order that varies from run to run and repeats some (#4 twice). Each vertex's lines are
//     gathered under its first appearance (repeats dropped, the final DONE/CACHED/ERROR
//     last) and renumbered, and the vertices are compared as sorted sets (even a cold
//     build's "load build context" comes before or after the FROM);
//   - a status printed while open and again when done: only the completed line is kept;
//   - "#4 ...", the printer's mark for a vertex whose lines another vertex interrupted;
//   - a FROM vertex's "CACHED" -> "DONE" (BuildKit says either for an already-pulled base);
//   - the export vertex is compared apart (see exportLines);
//   - the build checks' lines (reCheck).
var (
	reStamp   = regexp.MustCompile(`^(#\d+ )?\d+\.\d+ `)
	reDone    = regexp.MustCompile(` \d+\.\ds( done)?$`)
	reDoneTm  = regexp.MustCompile(`^(#\d+ DONE) \d+\.\ds$`)
	reBytes   = regexp.MustCompile(`(transferring (dockerfile|context):) \S+( done)?$`)
	reDL      = regexp.MustCompile(`^#\d+ (sha256:[0-9a-f]{64} \S+ / \S+|extracting sha256:)`)
	reVertex  = regexp.MustCompile(`^#(\d+) (.*)$`)
	reTerminl = regexp.MustCompile(`^(DONE|CACHED|CANCELED|ERROR: .*)$`)
	// BuildKit names the snapshot a checksum failed in ("of ref k9153...::zbcb...:");
	// layerlab has no snapshot ids and says "failed to calculate checksum: ...".
	reRefID = regexp.MustCompile(` of ref [a-z0-9]+::[a-z0-9]+:`)
	// build checks: BuildKit's "#1 WARN:" lines arrive or not depending on timing, buildx's
	// summary is not buildctl's, the advice is layerlab's; core/buildcheck compares them
	reCheck = regexp.MustCompile(`^(#\d+ WARN: |( |\x1b\[0m) - |  ?\x1b\[33m|layerlab advice)`)
)

type plainLog struct {
	vertices [][]string // [0] is the name; then statuses; the last the terminal line
	export   []string   // the export vertex's status lines
	tail     []string   // what follows the vertices: the error block and the error line
}

func normalize(log string) plainLog {
	var out plainLog
	byNum := map[string]int{}
	terminal := map[int]string{}
	lines := strings.Split(strings.TrimRight(reRefID.ReplaceAllString(log, ":"), "\n"), "\n")
	exportNum := ""
	for i, l := range lines {
		if l == "" || reCheck.MatchString(l) {
			continue
		}
		if strings.HasPrefix(l, "------") || strings.HasPrefix(l, "error: ") || strings.HasPrefix(l, "ERROR: ") {
			for _, t := range lines[i:] {
				t = reStamp.ReplaceAllString(t, "${1}T ")
				out.tail = append(out.tail, t)
			}
			break
		}
		if reDL.MatchString(l) {
			continue
		}
		l = reDoneTm.ReplaceAllString(l, "$1")
		l = reStamp.ReplaceAllString(l, "${1}T ")
		l = reDone.ReplaceAllString(l, "$1")
		l = reBytes.ReplaceAllString(l, "$1 <n>$3")
		if strings.HasSuffix(l, " ...") {
			continue // the printer's mark for a vertex interrupted by another's lines
		}
		m := reVertex.FindStringSubmatch(l)
		if m == nil {
			out.tail = append(out.tail, l)
			continue
		}
		num, rest := m[1], m[2]
		if num == exportNum || rest == "exporting to image" {
			exportNum = num
			// an open status ("exporting layers") is printed again when it completes
			if strings.HasSuffix(rest, " done") && !slices.Contains(out.export, rest) {
				out.export = append(out.export, rest)
			}
			continue
		}
		idx, seen := byNum[num]
		if !seen {
			idx = len(out.vertices)
			byNum[num] = idx
			out.vertices = append(out.vertices, []string{rest})
			continue
		}
		if rest == out.vertices[idx][0] {
			continue // a repeated header
		}
		if reTerminl.MatchString(rest) {
			terminal[idx] = rest
			continue
		}
		if !slices.Contains(out.vertices[idx], rest) {
			out.vertices[idx] = append(out.vertices[idx], rest)
		}
	}
	for i, v := range out.vertices {
		// an open status ("transferring context:") printed again when it completed
		out.vertices[i] = slices.DeleteFunc(v, func(l string) bool {
			return slices.ContainsFunc(v, func(o string) bool { return o != l && strings.HasPrefix(o, l) })
		})
		t := terminal[i]
		if strings.Contains(out.vertices[i][0], "] FROM ") && (t == "CACHED" || t == "CANCELED") {
			// CANCELED: a cold build's pull is cut short when a later step fails first
			t = "DONE"
		}
		out.vertices[i] = append(out.vertices[i], t)
	}
	return out
}

func (p plainLog) render() string {
	var vs []string
	for _, v := range p.vertices {
		vs = append(vs, strings.Join(v, "\n  "))
	}
	slices.Sort(vs)
	return strings.Join(vs, "\n") + "\n--\n" + strings.Join(p.tail, "\n")
}

// TestBuildProgressMatchesBuildKit builds Dockerfiles with `docker build --progress plain`
// through cli.Run and with real buildctl --progress plain (BuildKit v0.33.1), cold and then
// cached, and compares the logs after normalize.
func TestBuildProgressMatchesBuildKit(t *testing.T) {
	p := buildkitpeer.StartT(t)
	conformance := func(name string) (string, map[string]string) {
		files := map[string]string{}
		root := filepath.Join("..", "build", "testdata", "conformance", name)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			files[rel] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files["Dockerfile"], files
	}
	runBasicDF, runBasicFiles := conformance("run-basic")
	for _, tc := range []struct {
		name  string
		df    string
		files map[string]string
		fail  bool
	}{
		{"copy-run-workdir", "FROM busybox\nRUN echo hello && echo two\nCOPY a.txt /a.txt\nWORKDIR /w\nCMD [\"sh\"]\n", map[string]string{"a.txt": "aaa\n"}, false},
		{"run-fails", "FROM busybox\nRUN echo ok\nRUN echo bad && false\n", nil, true},
		{"conformance-run-basic", runBasicDF, runBasicFiles, false},
		// The bad input: BuildKit's error block and message, with the line.
		{"unknown-instruction", "FROM busybox\nFOO bar\n", nil, true},
		{"copy-missing-file", "FROM busybox\nCOPY missing.txt /x\n", nil, true},
		{"dockerignore-excludes-dockerfile", "FROM busybox\nCOPY a.txt /\n", map[string]string{".dockerignore": "Dockerfile\n", "a.txt": "a\n"}, false},
		{"stage-cycle", "FROM busybox AS a\nCOPY --from=a /x /y\n", nil, true},
		{"stage-cycle-two", "FROM busybox AS a\nCOPY --from=b /x /y\nFROM busybox AS b\nCOPY --from=a /x /y\n", nil, true},
		{"base-missing", "FROM nope:1.0\nRUN echo\n", nil, true},
		{"run-without-command", "FROM busybox\nRUN\n", nil, false},
		{"syntax-bad-flag", "FROM busybox\nCOPY --nope a /b\n", nil, true},
		{"syntax-env-without-value", "FROM busybox\nENV\n", nil, true},
		{"syntax-unterminated-heredoc", "FROM busybox\nRUN <<EOF\necho hi\n", nil, true},
		{"run-mount-bad-key", "FROM busybox\nRUN --mount=type=cache,tagret=/x ls\n", nil, true},
		{"copy-from-later-stage", "FROM busybox AS app\nCOPY --from=later /out /out\nFROM busybox AS later\nRUN echo > /out\nFROM app\n", nil, true},
		{"mount-from-later-stage", "FROM busybox\nRUN --mount=from=later,target=/x ls /x\nFROM busybox AS later\nFROM stage-0\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ctxDir := filepath.Join(dir, "ctx")
			files := map[string]string{"Dockerfile": tc.df}
			for k, v := range tc.files {
				files[k] = v
			}
			for k, v := range files {
				os.MkdirAll(filepath.Dir(filepath.Join(ctxDir, k)), 0o755)
				if err := os.WriteFile(filepath.Join(ctxDir, k), []byte(v), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ll := buildEnv(t, dir)
			for _, label := range []string{"cold", "cached"} {
				ref, err := p.Build(context.Background(), ctxDir, buildkitpeer.BuildOptions{Name: "docker.io/library/app:latest"})
				if (err != nil) != tc.fail {
					t.Fatalf("%s: buildctl: %v", label, err)
				}
				if ref == nil {
					t.Fatalf("%s: buildctl gave no log: %v", label, err)
				}
				r := ll("build", "--progress", "plain", "-t", "app", "ctx")
				if (r.code != 0) != tc.fail {
					t.Fatalf("%s: layerlab build exit %d; stderr:\n%s", label, r.code, r.stderr)
				}
				want, got := normalize(ref.Log), normalize(r.stderr)
				if g, w := got.render(), want.render(); g != w {
					t.Errorf("%s build: progress differs from BuildKit's (normalized)\n--- got:\n%s\n--- want:\n%s\n--- raw layerlab:\n%s\n--- raw buildctl:\n%s", label, g, w, r.stderr, ref.Log)
				}
				if !tc.fail {
					checkExport(t, label, got.export, want.export)
				}
			}
		})
	}
}

// checkExport compares the export vertex: layerlab prints docker's image exporter lines
// ("writing image <config digest>", "naming to"), buildctl its own ("exporting manifest",
// "exporting config <config digest>"); the layers line, the source-date-epoch rewrite line
// and the config digest (the image ID) must agree.
func checkExport(t *testing.T, label string, got, want []string) {
	t.Helper()
	var cfg string
	for _, l := range want {
		if c, ok := strings.CutPrefix(l, "exporting config "); ok {
			cfg = strings.TrimSuffix(c, " done")
		}
	}
	if cfg == "" {
		t.Fatalf("%s: buildctl's export shows no config: %q", label, want)
	}
	exp := []string{"exporting layers done",
		"rewriting layers with source-date-epoch 0 (1970-01-01 00:00:00 +0000 UTC) done",
		fmt.Sprintf("writing image %s done", cfg),
		"naming to docker.io/library/app:latest done"}
	for _, w := range want[:2] {
		if !slices.Contains(exp, w) {
			t.Errorf("%s: buildctl's export line %q is not among layerlab's expected %q", label, w, exp)
		}
	}
	if !slices.Equal(got, exp) {
		t.Errorf("%s: export lines\n got %q\nwant %q", label, got, exp)
	}
}

// copyConformance copies core/build's conformance case name into dst.
func copyConformance(t *testing.T, name, dst string) {
	t.Helper()
	root := filepath.Join("..", "build", "testdata", "conformance", name)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pattern is each numbered step's outcome in a normalized log: "[2/6] RUN ...: CACHED".
func pattern(l plainLog) []string {
	var out []string
	for _, v := range l.vertices {
		if strings.HasPrefix(v[0], "[") && !strings.HasPrefix(v[0], "[internal]") && !strings.Contains(v[0], "] FROM ") {
			out = append(out, v[0]+": "+v[len(v)-1])
		}
	}
	slices.Sort(out)
	return out
}

// TestBuildThenHistoryAndCache: `docker build -t x .` on the course's Node.js assignment
// through cli.Run, then `docker history` shows the history BuildKit writes; a rebuild is all
// CACHED, and after one context file changes the same steps run as in BuildKit.
func TestBuildThenHistoryAndCache(t *testing.T) {
	p := buildkitpeer.StartT(t)
	dir := t.TempDir()
	ctxDir := filepath.Join(dir, "ctx")
	copyConformance(t, "course-node-assignment", ctxDir)
	ll := buildEnv(t, dir)

	ref, err := p.Build(context.Background(), ctxDir, buildkitpeer.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := ll("build", "-t", "x", "ctx")
	if r.code != 0 {
		t.Fatalf("build: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "naming to docker.io/library/x:latest done\n") {
		t.Errorf("build output does not name the image:\n%s", r.stderr)
	}
	cfgName, _ := ref.Image.ConfigName()
	cfg, err := ref.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := len(cfg.History) - 1; i >= 0; i-- {
		h := cfg.History[i]
		id := "<missing>"
		if i == len(cfg.History)-1 {
			id = cfgName.String()
		}
		want = append(want, id+"\t"+h.CreatedBy+"\t"+h.Comment)
	}
	h := ll("history", "--no-trunc", "--format", "{{.ID}}\t{{.CreatedBy}}\t{{.Comment}}", "x")
	if h.code != 0 {
		t.Fatalf("history: exit %d: %s", h.code, h.stderr)
	}
	if got := strings.Split(strings.TrimRight(h.stdout, "\n"), "\n"); !slices.Equal(got, want) {
		t.Errorf("history\n got %q\nwant %q", got, want)
	}

	// A rebuild: every step CACHED, as BuildKit's second build.
	bk2, err := p.Build(context.Background(), ctxDir, buildkitpeer.BuildOptions{Name: "docker.io/library/x:latest"})
	if err != nil {
		t.Fatal(err)
	}
	r2 := ll("build", "--progress", "plain", "-t", "x", "ctx")
	if r2.code != 0 {
		t.Fatalf("rebuild: exit %d\n%s", r2.code, r2.stderr)
	}
	got2, want2 := pattern(normalize(r2.stderr)), pattern(normalize(bk2.Log))
	if !slices.Equal(got2, want2) {
		t.Errorf("rebuild steps\n got %q\nwant %q", got2, want2)
	}
	if len(got2) != 4 { // RUN, WORKDIR, COPY, COPY
		t.Errorf("rebuild: %d numbered steps besides FROM (%q); want 4", len(got2), got2)
	}
	for _, s := range got2 {
		if !strings.HasSuffix(s, ": CACHED") {
			t.Errorf("rebuild: %s; want CACHED", s)
		}
	}

	// One context file changes: COPY . . and what follows run again, in both.
	if err := os.WriteFile(filepath.Join(ctxDir, "app.js"), []byte("// changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bk3, err := p.Build(context.Background(), ctxDir, buildkitpeer.BuildOptions{Name: "docker.io/library/x:latest"})
	if err != nil {
		t.Fatal(err)
	}
	r3 := ll("build", "--progress", "plain", "-t", "x", "ctx")
	if r3.code != 0 {
		t.Fatalf("build after a change: exit %d\n%s", r3.code, r3.stderr)
	}
	got3, want3 := pattern(normalize(r3.stderr)), pattern(normalize(bk3.Log))
	if !slices.Equal(got3, want3) {
		t.Errorf("steps after changing app.js\n got %q\nwant %q", got3, want3)
	}
	if !slices.ContainsFunc(got3, func(s string) bool { return strings.HasSuffix(s, "COPY . .: DONE") }) {
		t.Errorf("after changing app.js COPY . . did not run: %q", got3)
	}
}
