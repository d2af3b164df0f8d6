package hub_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/hub"
	"github.com/layerlab/layerlab/core/proxy/client"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/testimage"
)

// startHub serves a hub on dir and returns its host:port and API client.
func startHub(t *testing.T, dir string) (string, *client.HubAPI) {
	t.Helper()
	h, err := hub.New(dir, hub.WithBcryptCost(4), hub.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	base, _ := url.Parse(srv.URL)
	return base.Host, &client.HubAPI{Base: base}
}

func login(t *testing.T, host, user, pass string) {
	t.Helper()
	if err := registry.CheckLogin(context.Background(), host, user, pass); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
}

func pullAs(host, repo, user, pass string) error {
	r, _ := name.ParseReference(host + "/" + repo)
	var opts []registry.Option
	if user != "" {
		opts = append(opts, registry.WithRemote(remote.WithAuth(&authn.Basic{Username: user, Password: pass})))
	}
	_, err := registry.Pull(context.Background(), store.NewMemory(), r, nil, opts...)
	return err
}

func TestHubKeepsRepositoriesAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	host, api := startHub(t, dir)
	login(t, host, "learner", "s3cret1")
	if _, err := api.Create(ctx, "learner", "s3cret1", "learner/secret", true); err != nil {
		t.Fatal(err)
	}
	img := testimage.PullTest()
	auth := remote.WithAuth(&authn.Basic{Username: "learner", Password: "s3cret1"})
	for _, repo := range []string{"learner/app:v1", "learner/app:v2", "learner/secret:latest"} {
		r, _ := name.ParseReference(host + "/" + repo)
		if err := remote.Write(r, img, auth); err != nil {
			t.Fatalf("push %s: %v", repo, err)
		}
	}

	// A second server on the same directory: what the first one stored is there.
	host2, api2 := startHub(t, dir)
	want, _ := img.Digest()
	r, _ := name.ParseReference(host2 + "/learner/app:v2")
	res, err := registry.Pull(ctx, store.NewMemory(), r, nil)
	if err != nil {
		t.Fatalf("pull after restart: %v", err)
	}
	if res.Digest != want {
		t.Errorf("pulled %s after restart; want %s", res.Digest, want)
	}
	repo, _ := name.NewRepository(host2 + "/learner/app")
	tags, err := remote.List(repo)
	if err != nil || strings.Join(tags, ",") != "v1,v2" {
		t.Errorf("tags after restart: got %q, %v; want v1,v2", tags, err)
	}
	// the account and the visibility survived too
	if err := pullAs(host2, "learner/secret:latest", "", ""); err == nil {
		t.Errorf("anonymous pull of a private repository after restart succeeded")
	}
	if err := pullAs(host2, "learner/secret:latest", "learner", "s3cret1"); err != nil {
		t.Errorf("owner's pull of the private repository after restart: %v", err)
	}
	list, err := api2.Repositories(ctx, "learner", "s3cret1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range list {
		got = append(got, r.Name+":"+map[bool]string{true: "private", false: "public"}[r.Private]+":"+strings.Join(r.Tags, ","))
	}
	if strings.Join(got, " ") != "learner/app:public:v1,v2 learner/secret:private:latest" {
		t.Errorf("hub ls after restart: got %q", got)
	}
}

func TestHubPrivateRepositories(t *testing.T) {
	ctx := context.Background()
	host, api := startHub(t, t.TempDir())
	login(t, host, "learner", "s3cret1")
	login(t, host, "other", "password2")
	if _, err := api.Create(ctx, "learner", "s3cret1", "learner/secret", true); err != nil {
		t.Fatal(err)
	}
	r, _ := name.ParseReference(host + "/learner/secret:v1")
	if err := remote.Write(r, testimage.PullTest(), remote.WithAuth(&authn.Basic{Username: "learner", Password: "s3cret1"})); err != nil {
		t.Fatalf("owner's push to a private repository: %v", err)
	}
	tests := []struct {
		name, user, pass string
		ok               bool
	}{
		{"owner", "learner", "s3cret1", true},
		{"anonymous", "", "", false},
		{"other user", "other", "password2", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := pullAs(host, "learner/secret:v1", tc.user, tc.pass)
			if tc.ok && err != nil {
				t.Fatalf("got %v; want the pull to work", err)
			}
			if !tc.ok {
				var ue *registry.UnauthorizedError
				if !errors.As(err, &ue) || ue.Detail != "denied: requested access to the resource is denied" {
					t.Fatalf("got %v; want an UnauthorizedError saying denied: requested access to the resource is denied", err)
				}
			}
		})
	}
	// Other users do not see it listed either.
	list, err := api.Repositories(ctx, "other", "password2")
	if err != nil || len(list) != 0 {
		t.Errorf("other's hub ls: got %v, %v; want nothing", list, err)
	}
	// Made public, anyone pulls it.
	if rp, err := api.SetVisibility(ctx, "learner", "s3cret1", "learner/secret", false); err != nil || rp.Private {
		t.Fatalf("visibility public: got %+v, %v", rp, err)
	}
	if err := pullAs(host, "learner/secret:v1", "", ""); err != nil {
		t.Errorf("anonymous pull after making it public: %v", err)
	}
}

func TestHubAPIRefusals(t *testing.T) {
	ctx := context.Background()
	host, api := startHub(t, t.TempDir())
	login(t, host, "learner", "s3cret1")
	if _, err := api.Create(ctx, "learner", "s3cret1", "learner/app", false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		do     func() error
		status int
		msg    string
	}{
		{"someone else's namespace", func() error { _, err := api.Create(ctx, "learner", "s3cret1", "someone/app", true); return err }, 403, "may only manage learner/*"},
		{"no namespace", func() error { _, err := api.Create(ctx, "learner", "s3cret1", "app", true); return err }, 400, "want USER/NAME"},
		{"uppercase", func() error { _, err := api.Create(ctx, "learner", "s3cret1", "learner/App", true); return err }, 400, "want USER/NAME"},
		{"three parts", func() error { _, err := api.Create(ctx, "learner", "s3cret1", "learner/a/b", true); return err }, 400, "want USER/NAME"},
		{"exists", func() error { _, err := api.Create(ctx, "learner", "s3cret1", "learner/app", true); return err }, 409, "already exists"},
		{"not logged in", func() error { _, err := api.Create(ctx, "", "", "learner/new", true); return err }, 401, "docker login"},
		{"wrong password", func() error { _, err := api.Create(ctx, "learner", "nope-nope", "learner/new", true); return err }, 401, "incorrect username or password"},
		{"unknown user is not created", func() error { _, err := api.Create(ctx, "newbie", "password9", "newbie/new", true); return err }, 401, "incorrect username or password"},
		{"visibility of unknown", func() error { _, err := api.SetVisibility(ctx, "learner", "s3cret1", "learner/nope", true); return err }, 404, "does not exist"},
		{"visibility elsewhere", func() error { _, err := api.SetVisibility(ctx, "learner", "s3cret1", "someone/app", true); return err }, 403, "may only manage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			var he *client.HubError
			if !errors.As(err, &he) || he.StatusCode != tc.status || !strings.Contains(he.Message, tc.msg) {
				t.Fatalf("got %v; want a %d saying %q", err, tc.status, tc.msg)
			}
		})
	}
}

// TestHubRefusesCorruptRecords: a damaged repos.json stops the hub with a message naming the
// file, and the file is left as it was; leftovers of an interrupted write are ignored.
func TestHubRefusesCorruptRecords(t *testing.T) {
	dir := t.TempDir()
	host, _ := startHub(t, dir)
	login(t, host, "learner", "s3cret1")
	r, _ := name.ParseReference(host + "/learner/app:v1")
	if err := remote.Write(r, testimage.PullTest(), remote.WithAuth(&authn.Basic{Username: "learner", Password: "s3cret1"})); err != nil {
		t.Fatal(err)
	}
	// an interrupted write leaves a temporary file behind: ignored
	if err := os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte(`{"repositories": {`), 0o644); err != nil {
		t.Fatal(err)
	}
	host2, _ := startHub(t, dir)
	if err := pullAs(host2, "learner/app:v1", "", ""); err != nil {
		t.Fatalf("pull with a leftover temporary file: %v", err)
	}
	bad := []byte(`{"repositories": {"learner/app": `)
	if err := os.WriteFile(filepath.Join(dir, "repos.json"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := hub.New(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "repos.json")) || !strings.Contains(err.Error(), "move it aside") {
		t.Errorf("got %v; want an error naming repos.json and how to fix it", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "repos.json")); string(b) != string(bad) {
		t.Errorf("repos.json was changed to %q; want it left as it was", b)
	}
}
