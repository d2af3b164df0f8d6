package term

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/layerlab/layerlab/core/hub"
	"github.com/layerlab/layerlab/core/proxy/client"
	"github.com/layerlab/layerlab/core/store"
)

// TestShellHubCommand: the terminal runs layerlab's hub command as `hub ...` and as
// `docker hub ...`, against the practice hub the page came from.
func TestShellHubCommand(t *testing.T) {
	h, err := hub.New(t.TempDir(), hub.WithBcryptCost(4), hub.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	if _, err := (&client.HubAPI{Base: base}).Repositories(context.Background(), "", ""); err != nil {
		t.Fatal(err)
	}
	sh := New(NewMemFS(Workspace, Home), store.NewMemory(), WithHubAPI(func() *client.HubAPI { return &client.HubAPI{Base: base} }))
	for _, script := range []string{"hub ls", "docker hub ls"} {
		var out, errb strings.Builder
		code, _ := sh.Run(context.Background(), "", script, IO{Stdout: &out, Stderr: &errb})
		if want := "REPOSITORY   VISIBILITY   TAGS\n"; code != 0 || out.String() != want {
			t.Errorf("%s: got exit %d, stdout %q, stderr %q; want 0 and %q", script, code, out.String(), errb.String(), want)
		}
	}
}
