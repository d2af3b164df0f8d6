package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/proxy/client"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// startServe runs `layerlab serve` on a free port and returns its host:port.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	host, _ := startServeStop(t, args...)
	return host
}

// startServeStop is startServe that also returns a function stopping the server (waiting
// until it has exited); the test's cleanup stops it otherwise.
func startServeStop(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	data := t.TempDir() // before the cleanup that stops serve is registered, so removed after it
	go func() {
		done <- serve(ctx, append([]string{"--addr", "127.0.0.1:0", "--data", data}, args...), pw, io.Discard)
		pw.Close()
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			go io.Copy(io.Discard, pr)
			<-done
		})
	}
	t.Cleanup(stop)
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading serve's first line: %v", err)
	}
	u := strings.TrimSpace(line[strings.Index(line, "http://"):])
	return strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/"), stop
}

// TestServeHubSurvivesRestart: push to the practice hub, stop layerlab serve, start it
// again on the same --data, pull.
func TestServeHubSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	host, stop := startServeStop(t, "--data", data)
	s := store.NewMemory()
	run := func(host, stdin string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		env := &cli.Env{Store: s, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Now: time.Now}
		code := cli.Run(context.Background(), env, args)
		return out.String(), errb.String(), code
	}
	img := testimage.PullTest()
	testimage.Put(t, s, host+"/learner/app:v1", img)
	if _, e, code := run(host, "s3cret1\n", "login", "-u", "learner", "--password-stdin", host); code != 0 {
		t.Fatalf("login: %s", e)
	}
	if _, e, code := run(host, "", "push", host+"/learner/app:v1"); code != 0 {
		t.Fatalf("push: %s", e)
	}
	stop()
	host2, _ := startServeStop(t, "--data", data)
	fresh := store.NewMemory()
	r, _ := name.ParseReference(host2 + "/learner/app:v1")
	res, err := registry.Pull(context.Background(), fresh, r, nil)
	if err != nil {
		t.Fatalf("pull after restart: %v", err)
	}
	if want, _ := img.Digest(); res.Digest != want {
		t.Errorf("pulled %s after restart; want %s", res.Digest, want)
	}
}

// TestRealDockerWithPracticeHub: the real docker CLI and engine log in to the practice hub
// (creating the account), push to their namespace and are refused elsewhere; layerlab pulls
// docker's push with the same digest and words the refusal as docker does.
func TestRealDockerWithPracticeHub(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := peers.StartDocker(t)
	hub := startServe(t)
	rootfs := peers.BusyboxRootfs(t, t.TempDir())
	img := hub + "/learner/busybox:v1"
	peers.Docker(t, host, "import", rootfs, img)

	login := exec.Command("docker", "login", "-u", "learner", "--password-stdin", hub)
	login.Env = peers.DockerEnv(host)
	login.Stdin = strings.NewReader("s3cret1\n")
	if out, err := login.CombinedOutput(); err != nil || !strings.Contains(string(out), "Login Succeeded") {
		t.Fatalf("docker login to the hub: %v: %s", err, out)
	}
	peers.Docker(t, host, "push", img)
	repoDigest := strings.TrimSpace(peers.Docker(t, host, "image", "inspect", "--format", "{{index .RepoDigests 0}}", img))

	s := store.NewMemory()
	run := func(stdin string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		env := &cli.Env{Store: s, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Now: time.Now}
		code := cli.Run(context.Background(), env, args)
		return out.String(), errb.String(), code
	}
	out, errs, code := run("", "pull", img)
	if code != 0 || !strings.Contains(out, "Digest: "+repoDigest[strings.Index(repoDigest, "@")+1:]) {
		t.Fatalf("layerlab pull of docker's push: exit %d\n%s%s\nwant digest of %s", code, out, errs, repoDigest)
	}

	// Pushing to someone else's namespace: docker's words, then layerlab's.
	other := hub + "/someone/busybox:v1"
	peers.Docker(t, host, "tag", img, other)
	dOut, dErr := peers.DockerResult(host, "push", other)
	if dErr == nil {
		t.Fatalf("docker push to someone else's namespace succeeded:\n%s", dOut)
	}
	if _, _, code := run("s3cret1\n", "login", "-u", "learner", "--password-stdin", hub); code != 0 {
		t.Fatal("layerlab login failed")
	}
	if _, e, code := run("", "tag", img, other); code != 0 {
		t.Fatal(e)
	}
	lOut, lErr, code := run("", "push", other)
	wantErr := "denied: requested access to the resource is denied"
	if !strings.Contains(dErr.Error(), wantErr) {
		t.Fatalf("docker's refusal: got %v; want it to say %q", dErr, wantErr)
	}
	if code != 1 || lErr != wantErr+"\n" {
		t.Errorf("layerlab push to someone else's namespace: exit %d, stderr %q; want 1 and %q", code, lErr, wantErr+"\n")
	}
	if got, want := firstLine(lOut), firstLine(dOut); got != want {
		t.Errorf("first line: got %q; want docker's %q", got, want)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// TestRealDockerPrivateRepository: a repository created private on the practice hub refuses
// the real docker's pulls unless the owner is logged in, in Docker Hub's words (which the
// engine composes from the hub's 401), and pulls again once made public.
func TestRealDockerPrivateRepository(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := peers.StartDocker(t)
	hub := startServe(t)
	rootfs := peers.BusyboxRootfs(t, t.TempDir())
	img := hub + "/learner/secret:v1"
	peers.Docker(t, host, "import", rootfs, img)
	dockerLogin := func(user, pass string) {
		t.Helper()
		c := exec.Command("docker", "login", "-u", user, "--password-stdin", hub)
		c.Env = peers.DockerEnv(host)
		c.Stdin = strings.NewReader(pass + "\n")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("docker login %s: %v: %s", user, err, out)
		}
	}
	dockerLogin("learner", "s3cret1")
	api := &client.HubAPI{Base: &url.URL{Scheme: "http", Host: hub}}
	if _, err := api.Create(context.Background(), "learner", "s3cret1", "learner/secret", true); err != nil {
		t.Fatal(err)
	}
	peers.Docker(t, host, "push", img)
	peers.Docker(t, host, "rmi", img)
	want := fmt.Sprintf("pull access denied for %s/learner/secret, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", hub)
	for _, who := range []string{"anonymous", "other"} {
		peers.Docker(t, host, "logout", hub)
		if who == "other" {
			dockerLogin("other", "password2")
		}
		_, err := peers.DockerResult(host, "pull", img)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("docker pull of a private repository as %s: got %v; want it to say %q", who, err, want)
		}
		if who == "anonymous" {
			// layerlab's own pull of it words the refusal as the engine does
			var out, errb strings.Builder
			code := run(context.Background(), []string{"--store", t.TempDir(), "--hub=", "pull", img}, strings.NewReader(""), &out, &errb)
			if wantErr := "Error response from daemon: " + want + "\n"; code != 1 || errb.String() != wantErr {
				t.Errorf("layerlab pull of a private repository: exit %d, stderr %q; want exit 1, %q", code, errb.String(), wantErr)
			}
		}
	}
	peers.Docker(t, host, "logout", hub)
	dockerLogin("learner", "s3cret1")
	peers.Docker(t, host, "pull", img)
	peers.Docker(t, host, "rmi", img)
	peers.Docker(t, host, "logout", hub)
	if _, err := api.SetVisibility(context.Background(), "learner", "s3cret1", "learner/secret", false); err != nil {
		t.Fatal(err)
	}
	peers.Docker(t, host, "pull", img)
}
