package cli_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/hub"
	"github.com/layerlab/layerlab/core/proxy/client"
	"github.com/layerlab/layerlab/core/store"
)

// TestHubCommand: layerlab's hub command against a practice hub: create a private
// repository, list, change visibility, with the credentials docker login stored.
func TestHubCommand(t *testing.T) {
	h, err := hub.New(t.TempDir(), hub.WithBcryptCost(4), hub.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	s := store.NewMemory()
	run := func(stdin string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		env := &cli.Env{Store: s, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Now: time.Now,
			Hub: func() []remote.Option {
				return []remote.Option{remote.WithTransport(&client.HostMap{Hosts: client.DockerHubHosts, Base: base})}
			},
			HubAPI: func() *client.HubAPI { return &client.HubAPI{Base: base} },
		}
		code := cli.Run(context.Background(), env, args)
		return out.String(), errb.String(), code
	}
	steps := []struct {
		stdin          string
		args           []string
		exit           int
		stdout, stderr string
	}{
		{"", []string{"hub", "create", "learner/app"}, 1, "", "hub create: not logged in: run docker login first\n"},
		{"s3cret1\n", []string{"login", "-u", "learner", "--password-stdin"}, 0, "Login Succeeded\n", ""},
		{"", []string{"hub", "create", "--private", "learner/secret"}, 0, "Created private repository docker.io/learner/secret\n", ""},
		{"", []string{"hub", "create", "docker.io/learner/app"}, 0, "Created public repository docker.io/learner/app\n", ""},
		{"", []string{"hub", "create", "someone/app"}, 1, "", "hub: repository someone/app is in the namespace someone; you are logged in as learner and may only manage learner/*\n"},
		{"", []string{"hub", "ls"}, 0, "REPOSITORY       VISIBILITY   TAGS\nlearner/app      public       <none>\nlearner/secret   private      <none>\n", ""},
		{"", []string{"hub", "visibility", "learner/secret", "public"}, 0, "docker.io/learner/secret is now public\n", ""},
		{"", []string{"hub", "visibility", "learner/secret", "hidden"}, 125, "", "hub visibility: want USER/NAME public|private\n"},
		{"", []string{"hub", "frobnicate"}, 125, "", "hub: unknown command \"frobnicate\"\n"},
	}
	for _, st := range steps {
		out, errs, code := run(st.stdin, st.args...)
		if code != st.exit || !strings.Contains(out, st.stdout) || !strings.HasPrefix(errs, st.stderr) || (st.stderr == "" && st.exit != 0 && errs != "") {
			t.Errorf("%s: got exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d, stdout with %q, stderr starting %q",
				strings.Join(st.args, " "), code, out, errs, st.exit, st.stdout, st.stderr)
		}
	}
}
