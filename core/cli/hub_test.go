package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/playground"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestDockerHubNamesUseThePracticeHub: with a practice hub configured, docker.io logins are
// hub accounts, pushes go to the hub (never to Docker Hub), and pulls take the hub's
// repositories first and everything else from Docker Hub (here a local registry through the
// proxy, standing in for it).
func TestDockerHubNamesUseThePracticeHub(t *testing.T) {
	upstream := peers.StartRegistry(t, peers.RegistryOptions{})
	testimage.Push(t, testimage.PullTest(), upstream.Host+"/library/pulltest:latest")
	pg := playground.Start(t, upstream.Host)
	remoteOpts, hubOpts := pg.Remote, pg.Hub

	s := store.NewMemory()
	run := func(stdin string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		env := &cli.Env{Store: s, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Now: time.Now, Remote: remoteOpts, Hub: hubOpts}
		code := cli.Run(context.Background(), env, args)
		return out.String(), errb.String(), code
	}
	steps := []struct {
		stdin  string
		args   []string
		exit   int
		stdout string // a line stdout must contain
		stderr string // a line stderr must contain ("" = empty stderr)
	}{
		{"s3cret1\n", []string{"login", "-u", "learner", "--password-stdin"}, 0, "Login Succeeded\n", "WARNING! Your credentials are stored unencrypted"},
		{"", []string{"pull", "pulltest"}, 0, "Status: Downloaded newer image for pulltest:latest\n", ""},
		{"", []string{"tag", "pulltest", "learner/app:v1"}, 0, "", ""},
		{"", []string{"push", "learner/app:v1"}, 0, "The push refers to repository [docker.io/learner/app]\n", "practice hub"},
		{"", []string{"rmi", "learner/app:v1"}, 0, "Untagged: learner/app:v1\n", ""},
		{"", []string{"pull", "learner/app:v1"}, 0, "Status: Downloaded newer image for learner/app:v1\n", ""},
		{"", []string{"tag", "pulltest", "myapp:v1"}, 0, "", ""},
		{"", []string{"push", "myapp:v1"}, 1, "The push refers to repository [docker.io/library/myapp]\n", "denied: requested access to the resource is denied\n"},
		{"", []string{"logout"}, 0, "Removing login credentials for https://index.docker.io/v1/\n", ""},
	}
	for _, st := range steps {
		out, errs, code := run(st.stdin, st.args...)
		if code != st.exit || !strings.Contains(out, st.stdout) || (st.stderr == "" && errs != "") || !strings.Contains(errs, st.stderr) {
			t.Errorf("docker %s: got exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d, stdout with %q, stderr with %q",
				strings.Join(st.args, " "), code, out, errs, st.exit, st.stdout, st.stderr)
		}
	}
}
