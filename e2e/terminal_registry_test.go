//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/testimage"
)

// TestTerminalLoginAndPull types into the page's terminal: docker login prompts for the
// username (shown as typed) and the password (not shown) and logs in to the practice hub;
// docker pull redraws its layer lines in place, so the screen ends with one line per layer
// as docker's does on a terminal.
func TestTerminalLoginAndPull(t *testing.T) {
	reg := peers.StartRegistry(t, peers.RegistryOptions{})
	r, _ := name.ParseReference(reg.Host + "/library/pulltest:latest")
	if err := remote.Write(r, testimage.PullTest()); err != nil {
		t.Fatal(err)
	}
	site, stop, err := startServer("--mirror", "docker.io=http://"+reg.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	openPageAt(t, ctx, site)
	waitTerminal(t, ctx, "the first prompt", promptCount(1))

	typeInTerminal(t, ctx, "docker login"+kb.Enter)
	waitTerminal(t, ctx, "the username prompt", `/Username: *$/.test(s)`)
	typeInTerminal(t, ctx, "learner"+kb.Enter)
	waitTerminal(t, ctx, "the password prompt", `/Password: *$/.test(s)`)
	typeInTerminal(t, ctx, "s3cret1"+kb.Enter)
	shown := waitTerminal(t, ctx, "Login Succeeded", promptCount(2))
	if !strings.Contains(shown, "Username: learner\n") || !strings.Contains(shown, "Login Succeeded") {
		t.Errorf("the terminal shows\n%s\nwant the typed username and Login Succeeded", shown)
	}
	if strings.Contains(shown, "s3cret1") {
		t.Errorf("the terminal shows the password:\n%s", shown)
	}

	typeInTerminal(t, ctx, "docker pull pulltest"+kb.Enter)
	shown = waitTerminal(t, ctx, "the pull's end", promptCount(3))
	_, after, _ := strings.Cut(shown, "docker pull pulltest\n")
	lines := strings.Split(after, "\n")
	var complete int
	for _, l := range lines {
		if strings.HasSuffix(strings.TrimSpace(l), ": Pull complete") {
			complete++
		}
		if strings.Contains(l, "Pulling fs layer") || strings.Contains(l, "Downloading") {
			t.Errorf("a layer line was not redrawn: %q", l)
		}
	}
	if complete != 5 || !strings.Contains(after, "Status: Downloaded newer image for pulltest:latest\ndocker.io/library/pulltest:latest") {
		t.Errorf("the terminal shows\n%s\nwant 5 layer lines ending Pull complete, then docker's status", after)
	}
}
