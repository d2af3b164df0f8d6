package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// registryGolden is one recording of scripts/record-registry-golden, with the registry
// placeholders replaced by this test's registries.
type registryGolden struct {
	stdout, stderr string
	exit           int
}

func readRegistryGolden(t *testing.T, name string, hosts *strings.Replacer) registryGolden {
	t.Helper()
	read := func(ext string) string {
		b, err := os.ReadFile(filepath.Join("testdata/registry", name+"."+ext))
		if err != nil {
			t.Fatalf("reading golden %s (recorded by scripts/record-registry-golden): %v", name, err)
		}
		return hosts.Replace(string(b))
	}
	g := registryGolden{stdout: read("stdout"), stderr: read("stderr")}
	var err error
	if g.exit, err = strconv.Atoi(strings.TrimSpace(read("exit"))); err != nil {
		t.Fatal(err)
	}
	return g
}

var layerLine = regexp.MustCompile(`^([0-9a-f]{12}): (.*)$`)

// droppable are the layer statuses docker's progress stream may skip: each layer's
// progress keeps only its latest message, so when the next one comes quickly the earlier
// one is never printed.
var droppable = []string{"Verifying Checksum", "Download complete", "Waiting", "Downloading", "Extracting", "Pushing"}

// dockerCouldShow reports whether want is got with some droppable statuses left out.
func dockerCouldShow(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
			continue
		}
		drop := false
		for _, d := range droppable {
			drop = drop || g == d
		}
		if !drop {
			return false
		}
	}
	return i == len(want)
}

// compareProgress compares pull or push output with docker's. Lines about one layer
// ("0123456789ab: Pull complete") interleave in an order that depends on timing, so they
// are compared per layer: each layer's statuses exactly, in order, except that docker may
// drop the droppable ones. The order in which layers are first announced, and the order of their
// "Pull complete" lines (extraction is sequential), are compared exactly. Every other line
// must match exactly and in place.
func compareProgress(t *testing.T, got, want string) {
	t.Helper()
	type parsed struct {
		other  []string
		first  []string
		final  []string
		status map[string][]string
	}
	parse := func(s string) parsed {
		p := parsed{status: map[string][]string{}}
		for _, l := range strings.SplitAfter(s, "\n") {
			m := layerLine.FindStringSubmatch(strings.TrimSuffix(l, "\n"))
			if m == nil {
				p.other = append(p.other, l)
				continue
			}
			if len(p.status[m[1]]) == 0 {
				p.first = append(p.first, m[1])
				p.other = append(p.other, "<layers>")
			}
			p.status[m[1]] = append(p.status[m[1]], m[2])
			if m[2] == "Pull complete" || m[2] == "Pushed" || m[2] == "Layer already exists" || strings.HasPrefix(m[2], "Mounted from") {
				p.final = append(p.final, m[1])
			}
		}
		// collapse the "<layers>" markers into one
		var other []string
		for _, l := range p.other {
			if l == "<layers>" && len(other) > 0 && other[len(other)-1] == "<layers>" {
				continue
			}
			other = append(other, l)
		}
		p.other = other
		return p
	}
	g, w := parse(got), parse(want)
	if strings.Join(g.other, "") != strings.Join(w.other, "") {
		t.Errorf("non-layer lines:\ngot:\n%s\nwant:\n%s", strings.Join(g.other, ""), strings.Join(w.other, ""))
	}
	if strings.Join(g.first, " ") != strings.Join(w.first, " ") {
		t.Errorf("layer order: got %v; want %v", g.first, w.first)
	}
	if strings.Contains(want, "Pull complete") && strings.Join(g.final, " ") != strings.Join(w.final, " ") {
		t.Errorf("completion order: got %v; want %v", g.final, w.final)
	}
	for id, ws := range w.status {
		if gs := g.status[id]; !dockerCouldShow(gs, ws) {
			t.Errorf("layer %s: got %q; want %q (where docker may drop %v)", id, gs, ws, droppable)
		}
	}
	if t.Failed() {
		t.Logf("got:\n%s\nwant:\n%s", got, want)
	}
}

// mirror sends Docker Hub's traffic to a local registry over plain http, as the engine's
// --registry-mirror did when the recording was made.
type mirror struct{ host string }

func (m mirror) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == "index.docker.io" || r.URL.Host == "registry-1.docker.io" {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = "http", m.host, m.host
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestRegistryGolden replays scripts/record-registry-golden's pulls, in its order, against
// fresh docker-registry instances holding the same reproducible images.
func TestRegistryGolden(t *testing.T) {
	plain := peers.StartRegistry(t, peers.RegistryOptions{})
	plain2 := peers.StartRegistry(t, peers.RegistryOptions{})
	auth := peers.StartRegistry(t, peers.RegistryOptions{Users: map[string]string{"learner": "s3cret"}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String() // nothing listens here once closed
	ln.Close()
	hosts := strings.NewReplacer("AUTHREGISTRY", auth.Host, "REGISTRY2", plain2.Host, "DEADREGISTRY", dead, "REGISTRY", plain.Host)
	R1, R3 := plain.Host, auth.Host
	testimage.Push(t, testimage.PullTest(), R1+"/library/pulltest:latest")
	testimage.Push(t, testimage.PullTestChild(), R1+"/library/pulltestchild:latest")
	testimage.Push(t, testimage.MultiPlatform(), R1+"/library/multi:latest")
	testimage.Push(t, testimage.PullTest(), R1+"/library/alltags:latest")
	testimage.Push(t, testimage.PullTest(), R1+"/library/alltags:v1")
	testimage.Push(t, testimage.PullTestChild(), R1+"/library/alltags:v2")
	testimage.Push(t, testimage.PullTest(), R3+"/learner/private:latest",
		remote.WithAuth(&authn.Basic{Username: "learner", Password: "s3cret"}))
	remoteOpts := func() []remote.Option {
		return []remote.Option{remote.WithTransport(mirror{R1}), remote.WithRetryBackoff(remote.Backoff{Steps: 1})}
	}
	digest := R1 + "/library/pulltest@sha256:d0a908fe76dbc411a1166153914891b49159270f9b9f56b0e4e213b36e3c2a22"

	s := store.NewMemory()
	steps := []struct {
		golden string
		args   []string
		fresh  bool     // start from an empty store (the recording removed the images first)
		before []string // a command the recording ran first
	}{
		{"pull-fresh", []string{"pull", R1 + "/library/pulltest"}, false, nil},
		{"pull-uptodate", []string{"pull", R1 + "/library/pulltest"}, false, nil},
		{"pull-shared", []string{"pull", R1 + "/library/pulltestchild"}, false, nil},
		{"pull-digest", []string{"pull", digest}, true, nil},
		{"pull-digest-uptodate", []string{"pull", digest}, false, nil},
		{"pull-index", []string{"pull", R1 + "/library/multi:latest"}, false, nil},
		{"pull-platform", []string{"pull", "--platform", "linux/arm64", R1 + "/library/multi:latest"}, false, nil},
		{"pull-platform-missing", []string{"pull", "--platform", "linux/s390x", R1 + "/library/multi:latest"}, false, nil},
		{"pull-unreachable", []string{"pull", dead + "/library/x"}, false, nil},
		{"pull-notag", []string{"pull", R1 + "/library/pulltest:nosuchtag"}, false, nil},
		{"pull-norepo", []string{"pull", R1 + "/library/nosuchrepo"}, false, nil},
		{"pull-badref", []string{"pull", R1 + "/library/PullTest"}, false, nil},
		{"pull-auth-anonymous", []string{"pull", R3 + "/learner/private"}, false, nil},
		{"pull-hub", []string{"pull", "pulltest"}, false, nil},
		{"pull-hub-uptodate", []string{"pull", "docker.io/library/pulltest:latest"}, false, nil},
		{"pull-hub-digest", []string{"pull", "pulltest@sha256:d0a908fe76dbc411a1166153914891b49159270f9b9f56b0e4e213b36e3c2a22"}, false, []string{"rmi", "pulltest"}},
		{"help-pull", []string{"pull", "--help"}, false, nil},
		{"pull-noargs", []string{"pull"}, false, nil},
		{"pull-quiet", []string{"pull", "-q", R1 + "/library/pulltestchild"}, false, nil},
		{"pull-all-tags", []string{"pull", "-a", R1 + "/library/alltags"}, true, nil},
		{"pull-all-tags-uptodate", []string{"pull", "--all-tags", R1 + "/library/alltags"}, false, nil},
		{"pull-all-tags-tag", []string{"pull", "-a", R1 + "/library/alltags:v1"}, false, nil},
		{"pull-all-tags-quiet", []string{"pull", "-a", "-q", R1 + "/library/alltags"}, true, nil},
	}
	for _, st := range steps {
		if st.fresh {
			s = store.NewMemory()
		}
		t.Run(st.golden, func(t *testing.T) {
			if st.before != nil {
				var out bytes.Buffer
				env := &cli.Env{Store: s, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Now: time.Now, Remote: remoteOpts}
				if code := cli.Run(context.Background(), env, st.before); code != 0 {
					t.Fatalf("docker %s: exit %d: %s", strings.Join(st.before, " "), code, out.String())
				}
			}
			want := readRegistryGolden(t, st.golden, hosts)
			var stdout, stderr bytes.Buffer
			env := &cli.Env{Store: s, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Now: time.Now, Remote: remoteOpts}
			code := cli.Run(context.Background(), env, st.args)
			if code != want.exit {
				t.Errorf("exit: got %d; want %d", code, want.exit)
			}
			if stderr.String() != want.stderr {
				t.Errorf("stderr: got %q; want %q", stderr.String(), want.stderr)
			}
			compareProgress(t, stdout.String(), want.stdout)
		})
	}
}

var pushDigestLine = regexp.MustCompile(`(?m)^(\S+): digest: sha256:[0-9a-f]{64} size: \d+$`)

// TestPushGolden replays the recording's pushes. Docker's engine re-serializes the manifest
// (and, uploading to another registry, recompresses layers), layerlab pushes the manifest it
// holds: the final "TAG: digest: ... size: N" line is compared with layerlab's own manifest
// digest and size in docker's words; every other line as docker printed it.
func TestPushGolden(t *testing.T) {
	plain := peers.StartRegistry(t, peers.RegistryOptions{})
	plain2 := peers.StartRegistry(t, peers.RegistryOptions{})
	hosts := strings.NewReplacer("REGISTRY2", plain2.Host, "REGISTRY", plain.Host)
	R1, R2 := plain.Host, plain2.Host
	testimage.Push(t, testimage.PullTest(), R1+"/library/pulltest:latest")
	img := testimage.PullTest()
	d, _ := img.Digest()
	raw, _ := img.RawManifest()
	ours := "${1}: digest: " + d.String() + " size: " + strconv.Itoa(len(raw))
	child := testimage.PullTestChild()
	cd, _ := child.Digest()
	craw, _ := child.RawManifest()
	// push -a pushes learner/tags:a (pulltest) and :b (pulltestchild)
	oursByTag := func(stdout string) string {
		return pushDigestLine.ReplaceAllStringFunc(stdout, func(l string) string {
			if strings.HasPrefix(l, "b: ") {
				return "b: digest: " + cd.String() + " size: " + strconv.Itoa(len(craw))
			}
			return pushDigestLine.ReplaceAllString(l, ours)
		})
	}

	s := store.NewMemory()
	docker := func(args ...string) string {
		var out bytes.Buffer
		env := &cli.Env{Store: s, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Now: time.Now}
		if code := cli.Run(context.Background(), env, args); code != 0 {
			t.Fatalf("docker %s: exit %d: %s", strings.Join(args, " "), code, out.String())
		}
		return out.String()
	}
	testimage.Push(t, testimage.PullTestChild(), R1+"/library/pulltestchild:latest")
	// The recording's history: the three shared layers were last pulled as part of
	// pulltestchild, so docker mounts them from there.
	docker("pull", "-q", R1+"/library/pulltest")
	docker("pull", "-q", R1+"/library/pulltestchild")
	docker("pull", "-q", R1+"/library/pulltest")
	docker("tag", R1+"/library/pulltest", R2+"/learner/app:latest")
	docker("tag", R1+"/library/pulltest", R1+"/learner/app:v1")
	steps := []struct {
		golden string
		args   []string
	}{
		{"push-fresh", []string{"push", R2 + "/learner/app:latest"}},
		{"push-again", []string{"push", R2 + "/learner/app:latest"}},
		{"push-defaulttag", []string{"push", R2 + "/learner/app"}},
		{"push-quiet", []string{"push", "-q", R2 + "/learner/app:latest"}},
		{"push-mount", []string{"push", R1 + "/learner/app:v1"}},
		{"push-notag", []string{"push", R2 + "/learner/nosuch:latest"}},
		{"help-push", []string{"push", "--help"}},
		{"push-all-tags", []string{"push", "-a", R2 + "/learner/tags"}},
		{"push-all-tags-again", []string{"push", "--all-tags", R2 + "/learner/tags"}},
		{"push-all-tags-tag", []string{"push", "-a", R2 + "/learner/tags:a"}},
		{"push-all-tags-quiet", []string{"push", "-a", "-q", R2 + "/learner/tags"}},
	}
	docker("tag", R1+"/library/pulltest", R2+"/learner/tags:a")
	docker("tag", R1+"/library/pulltestchild", R2+"/learner/tags:b")
	for _, st := range steps {
		t.Run(st.golden, func(t *testing.T) {
			want := readRegistryGolden(t, st.golden, hosts)
			want.stdout = oursByTag(want.stdout)
			var stdout, stderr bytes.Buffer
			env := &cli.Env{Store: s, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Now: time.Now}
			code := cli.Run(context.Background(), env, st.args)
			if code != want.exit {
				t.Errorf("exit: got %d; want %d", code, want.exit)
			}
			if stderr.String() != want.stderr {
				t.Errorf("stderr: got %q; want %q", stderr.String(), want.stderr)
			}
			compareProgress(t, stdout.String(), want.stdout)
		})
	}
	// What was pushed is what was pulled, digest for digest.
	for _, r := range []string{R2 + "/learner/app:latest", R1 + "/learner/app:v1"} {
		nr, _ := name.ParseReference(r)
		got, err := remote.Get(nr)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest != d {
			t.Errorf("%s: got manifest %s; want %s", r, got.Digest, d)
		}
	}
}

// TestLoginGolden replays the recording's login, logout and authenticated pull and push
// against docker-registry with htpasswd auth, and compares the client config docker wrote.
func TestLoginGolden(t *testing.T) {
	plain := peers.StartRegistry(t, peers.RegistryOptions{})
	auth := peers.StartRegistry(t, peers.RegistryOptions{Users: map[string]string{"learner": "s3cret"}})
	hosts := strings.NewReplacer("AUTHREGISTRY", auth.Host, "REGISTRY", plain.Host)
	R1, R3 := plain.Host, auth.Host
	testimage.Push(t, testimage.PullTest(), R1+"/library/pulltest:latest")
	testimage.Push(t, testimage.PullTest(), R3+"/learner/private:latest",
		remote.WithAuth(&authn.Basic{Username: "learner", Password: "s3cret"}))
	img := testimage.PullTest()
	d, _ := img.Digest()
	raw, _ := img.RawManifest()
	ours := "${1}: digest: " + d.String() + " size: " + strconv.Itoa(len(raw))

	s := store.NewMemory()
	run := func(stdin string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		env := &cli.Env{Store: s, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Now: time.Now,
			Getenv: func(k string) string {
				if k == "DOCKER_CONFIG" {
					return "DOCKER_CONFIG"
				}
				return ""
			}}
		code := cli.Run(context.Background(), env, args)
		return out.String(), errb.String(), code
	}
	if _, e, code := run("", "pull", "-q", R1+"/library/pulltest"); code != 0 {
		t.Fatalf("pull: %s", e)
	}
	config := func(t *testing.T, golden string) {
		b, err := s.Record(context.Background(), "config", "config.json")
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata/registry", golden))
		if err != nil {
			t.Fatal(err)
		}
		if got, w := string(b), hosts.Replace(string(want)); got != w {
			t.Errorf("client config: got %q; want %q", got, w)
		}
	}
	steps := []struct {
		golden string
		stdin  string
		args   []string
		config string // the client config golden to compare afterwards
	}{
		{"pull-auth-anonymous", "", []string{"pull", R3 + "/learner/private"}, ""},
		{"logout-notloggedin", "", []string{"logout", R3}, ""},
		{"login-wrong", "wrong\n", []string{"login", "-u", "learner", "--password-stdin", R3}, ""},
		{"login", "s3cret\n", []string{"login", "-u", "learner", "--password-stdin", R3}, "login.config.json"},
		{"pull-auth", "", []string{"pull", R3 + "/learner/private"}, ""},
		{"push-auth", "", []string{"push", R3 + "/learner/app:latest"}, ""},
		{"login-again", "s3cret\n", []string{"login", "-u", "learner", "--password-stdin", R3}, ""},
		{"login-password-flag", "", []string{"login", "-u", "learner", "-p", "s3cret", R3}, ""},
		{"logout", "", []string{"logout", R3}, "logout.config.json"},
		{"login-password-flag-fresh", "", []string{"login", "-u", "learner", "-p", "s3cret", R3}, ""},
		{"", "", []string{"logout", R3}, ""},
		{"login-stdin-nouser", "s3cret\n", []string{"login", "--password-stdin", R3}, ""},
		{"login-both", "s3cret\n", []string{"login", "-u", "learner", "-p", "s3cret", "--password-stdin", R3}, ""},
		{"login-prompt", "learner\ns3cret\n", []string{"login", R3}, ""},
		{"login-user-prompt", "s3cret\n", []string{"login", "-u", "learner", R3}, ""},
		{"login-url", "s3cret\n", []string{"login", "-u", "learner", "--password-stdin", "http://" + R3 + "/"}, ""},
		{"logout-url", "", []string{"logout", "http://" + R3 + "/"}, ""},
		{"help-login", "", []string{"login", "--help"}, ""},
		{"help-logout", "", []string{"logout", "--help"}, ""},
	}
	for i, st := range steps {
		if st.golden == "" {
			if _, e, code := run(st.stdin, st.args...); code != 0 {
				t.Fatalf("docker %s: %s", strings.Join(st.args, " "), e)
			}
			continue
		}
		if st.golden == "push-auth" {
			if _, e, code := run("", "tag", R1+"/library/pulltest", R3+"/learner/app:latest"); code != 0 {
				t.Fatalf("tag: %s", e)
			}
		}
		t.Run(fmt.Sprintf("%02d-%s", i, st.golden), func(t *testing.T) {
			want := readRegistryGolden(t, st.golden, hosts)
			want.stdout = pushDigestLine.ReplaceAllString(want.stdout, ours)
			stdout, stderr, code := run(st.stdin, st.args...)
			if code != want.exit {
				t.Errorf("exit: got %d; want %d", code, want.exit)
			}
			if stderr != want.stderr {
				t.Errorf("stderr: got %q; want %q", stderr, want.stderr)
			}
			compareProgress(t, stdout, want.stdout)
			if st.config != "" {
				config(t, st.config)
			}
		})
	}
}
