package cli_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// readTTYGolden reads a terminal recording of scripts/record-registry-golden: what the pty
// passed on, with its \r\n (the pty's rendering of \n) turned back into \n.
func readTTYGolden(t *testing.T, name string, hosts *strings.Replacer) (string, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/registry", name+".tty"))
	if err != nil {
		t.Fatalf("reading golden %s (recorded by scripts/record-registry-golden): %v", name, err)
	}
	e, err := os.ReadFile(filepath.Join("testdata/registry", name+".exit"))
	if err != nil {
		t.Fatal(err)
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(e)))
	if err != nil {
		t.Fatal(err)
	}
	return hosts.Replace(strings.ReplaceAll(string(b), "\r\n", "\n")), code
}

var csi = regexp.MustCompile(`^\x1b\[(\d*)([A-Za-z])`)

// screen is what a terminal shows after the output: the text with \r, \n and the escape
// sequences jsonmessage uses (cursor up, cursor down, erase line) applied, trailing blanks
// trimmed. Any other escape sequence fails the test.
func screen(t *testing.T, out string) []string {
	t.Helper()
	var lines [][]rune
	row, col := 0, 0
	at := func() {
		for len(lines) <= row {
			lines = append(lines, nil)
		}
	}
	for i := 0; i < len(out); {
		switch c := out[i]; c {
		case '\n':
			row, col = row+1, 0
			i++
		case '\r':
			col = 0
			i++
		case '\x1b':
			m := csi.FindStringSubmatch(out[i:])
			if m == nil {
				t.Fatalf("unexpected escape at %q", out[i:min(i+10, len(out))])
			}
			n, _ := strconv.Atoi(m[1])
			switch m[2] {
			case "A":
				row = max(row-n, 0)
			case "B":
				row += n
			case "K":
				if n != 2 {
					t.Fatalf("erase mode %d; want 2 (the whole line)", n)
				}
				at()
				lines[row] = nil
			default:
				t.Fatalf("unexpected escape sequence %q", m[0])
			}
			i += len(m[0])
		default:
			r := []rune(out[i:])[0]
			at()
			for len(lines[row]) <= col {
				lines[row] = append(lines[row], ' ')
			}
			lines[row][col] = r
			col++
			i += len(string(r))
		}
	}
	var s []string
	for _, l := range lines {
		s = append(s, strings.TrimRight(string(l), " "))
	}
	for len(s) > 0 && s[len(s)-1] == "" {
		s = s[:len(s)-1]
	}
	return s
}

// frame is one redraw of a layer's line: up N, erase, the line ending in \r, down N.
var frame = regexp.MustCompile(`\x1b\[(\d+)A\x1b\[2K\r([0-9a-f]{12}): ([^\r\x1b\n]*)\r\x1b\[(\d+)B`)

// frames checks that every cursor movement in out belongs to a redraw shaped as
// jsonmessage's, and returns the redraws' statuses per layer, progress bars left out.
func frames(t *testing.T, who, out string) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for _, m := range frame.FindAllStringSubmatch(out, -1) {
		if m[1] != m[4] {
			t.Errorf("%s: redraw %q moves up %s and down %s", who, m[0], m[1], m[4])
		}
		status, _, _ := strings.Cut(m[3], " [")
		got[m[2]] = append(got[m[2]], strings.TrimRight(status, " 0123456789.kMGB/"))
	}
	if n, m := strings.Count(out, "\x1b["), 3*len(frame.FindAllString(out, -1)); n != m {
		t.Errorf("%s: %d escape sequences, %d of them in redraws shaped as jsonmessage's", who, n, m)
	}
	return got
}

// ttyEnv is a terminal for cli.Run: stdout and stderr on one screen, and stdin handed over a
// line per read (a tty in canonical mode) and echoed while echo is on.
type ttyEnv struct {
	mu   sync.Mutex
	out  bytes.Buffer
	in   []string
	echo bool
	sets []bool
}

func (e *ttyEnv) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.out.Write(p)
}

func (e *ttyEnv) Read(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.in) == 0 {
		return 0, nil
	}
	n := copy(p, e.in[0])
	if e.echo {
		e.out.WriteString(e.in[0][:n])
	}
	e.in[0] = e.in[0][n:]
	if e.in[0] == "" {
		e.in = e.in[1:]
	}
	return n, nil
}

func (e *ttyEnv) env(s store.Store, remoteOpts func() []remote.Option) *cli.Env {
	e.echo = true
	return &cli.Env{Store: s, Stdin: e, Stdout: e, Stderr: e, Now: time.Now, Remote: remoteOpts, TTY: true,
		Width: func() int { return 200 },
		Input: &cli.Input{Echo: func(on bool) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.echo = on
			e.sets = append(e.sets, on)
			return nil
		}},
		Getenv: func(k string) string {
			if k == "DOCKER_CONFIG" {
				return "DOCKER_CONFIG"
			}
			return ""
		}}
}

// TestRegistryTTYGolden replays the recording's terminal sessions (util-linux script, a
// 200-column pty): pulls and pushes redraw layer lines in place, login prompts with the
// password unechoed. The final screens must be docker's; the redraws must have docker's
// shape; each layer's statuses are docker's, except those docker may skip.
func TestRegistryTTYGolden(t *testing.T) {
	plain := peers.StartRegistry(t, peers.RegistryOptions{})
	plain2 := peers.StartRegistry(t, peers.RegistryOptions{})
	auth := peers.StartRegistry(t, peers.RegistryOptions{Users: map[string]string{"learner": "s3cret"}})
	hosts := strings.NewReplacer("AUTHREGISTRY", auth.Host, "REGISTRY2", plain2.Host, "REGISTRY", plain.Host)
	R1, R2, R3 := plain.Host, plain2.Host, auth.Host
	testimage.Push(t, testimage.PullTest(), R1+"/library/pulltest:latest")
	testimage.Push(t, testimage.PullTestChild(), R1+"/library/pulltestchild:latest")
	testimage.Push(t, testimage.PullTest(), R3+"/learner/private:latest",
		remote.WithAuth(&authn.Basic{Username: "learner", Password: "s3cret"}))
	img := testimage.PullTest()
	d, _ := img.Digest()
	raw, _ := img.RawManifest()
	ours := "${1}: digest: " + d.String() + " size: " + strconv.Itoa(len(raw))

	s := store.NewMemory()
	quiet := func(args ...string) {
		var out bytes.Buffer
		env := &cli.Env{Store: s, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Now: time.Now}
		if code := cli.Run(context.Background(), env, args); code != 0 {
			t.Fatalf("docker %s: exit %d: %s", strings.Join(args, " "), code, out.String())
		}
	}
	steps := []struct {
		golden string
		input  []string
		args   []string
		before func()
	}{
		{"pull-tty-fresh", nil, []string{"pull", R1 + "/library/pulltest"}, nil},
		{"pull-tty-shared", nil, []string{"pull", R1 + "/library/pulltestchild"}, nil},
		{"pull-tty-uptodate", nil, []string{"pull", R1 + "/library/pulltest"}, nil},
		// the recording had pushed these layers to learner/tags last: they mount from there
		{"push-tty-fresh", nil, []string{"push", R2 + "/learner/ttyapp:latest"}, func() {
			quiet("tag", R1+"/library/pulltest", R2+"/learner/tags:a")
			quiet("push", "-q", R2+"/learner/tags:a")
			quiet("tag", R1+"/library/pulltest", R2+"/learner/ttyapp:latest")
		}},
		{"push-tty-again", nil, []string{"push", R2 + "/learner/ttyapp:latest"}, nil},
		{"login-tty-prompt", []string{"learner\n", "s3cret\n"}, []string{"login", R3}, nil},
		{"login-tty-user-prompt", []string{"s3cret\n"}, []string{"login", "-u", "learner", R3}, func() { quiet("logout", R3) }},
		{"login-tty-wrong", []string{"learner\n", "wrong\n"}, []string{"login", R3}, func() { quiet("logout", R3) }},
		{"login-tty-nouser", []string{"\n"}, []string{"login", R3}, nil},
		{"login-tty-nopassword", []string{"learner\n", "\n"}, []string{"login", R3}, nil},
	}
	t.Run("login-tty-hub-prompt", func(t *testing.T) {
		// Docker Hub's prompts; the recording's engine could not reach Docker Hub, so the
		// output is compared up to the password prompt's newline.
		want, _ := readTTYGolden(t, "login-tty-hub-prompt", hosts)
		term := &ttyEnv{in: []string{"learner\n", "s3cret\n"}}
		env := term.env(store.NewMemory(), func() []remote.Option {
			return []remote.Option{remote.WithTransport(unreachable{}), remote.WithRetryBackoff(remote.Backoff{Steps: 1})}
		})
		cli.Run(context.Background(), env, []string{"login"})
		cut := func(s string) string {
			i := strings.Index(s, "Password: \n")
			if i < 0 {
				return s
			}
			return s[:i+len("Password: \n")]
		}
		if got, w := cut(term.out.String()), cut(want); got != w {
			t.Errorf("got %q; want %q", got, w)
		}
	})
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		t.Run(st.golden, func(t *testing.T) {
			want, wantCode := readTTYGolden(t, st.golden, hosts)
			term := &ttyEnv{in: st.input}
			code := cli.Run(context.Background(), term.env(s, nil), st.args)
			got := term.out.String()
			if code != wantCode {
				t.Errorf("exit: got %d; want %d", code, wantCode)
			}
			gs, ws := screen(t, got), screen(t, want)
			for i := range ws {
				ws[i] = pushDigestLine.ReplaceAllString(ws[i], ours)
			}
			if strings.Join(gs, "\n") != strings.Join(ws, "\n") {
				t.Errorf("final screen:\ngot:\n%s\nwant:\n%s", strings.Join(gs, "\n"), strings.Join(ws, "\n"))
			}
			gf, wf := frames(t, "layerlab", got), frames(t, "docker", want)
			for id, w := range wf {
				if !dockerCouldShow(gf[id], dedupe(w)) && !dockerCouldShow(dedupe(gf[id]), dedupe(w)) {
					t.Errorf("layer %s: got redraws %q; want %q", id, gf[id], w)
				}
			}
			if len(gf) != len(wf) {
				t.Errorf("got redraws of %d layers; want %d", len(gf), len(wf))
			}
			if strings.HasPrefix(st.golden, "login") && len(term.sets) > 0 && (len(term.sets) != 2 || term.sets[0] || !term.sets[1]) {
				t.Errorf("echo: got %v; want it turned off, then on", term.sets)
			}
			if t.Failed() {
				t.Logf("got %q\nwant %q", got, want)
			}
		})
	}
}

// dedupe drops repeated statuses (docker redraws Extracting as bytes come).
func dedupe(ss []string) []string {
	var out []string
	for _, s := range ss {
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// unreachable fails every request, as Docker Hub is unreachable here.
type unreachable struct{}

func (unreachable) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no internet in tests")
}
