package hub_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/hub"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/testimage"
)

func TestHubAccountsTokensAndPushScope(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	h, err := hub.New(dir, hub.WithAccountLimit(2), hub.WithBcryptCost(4))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	// First login creates the account; the password is stored bcrypt-hashed.
	if err := registry.CheckLogin(ctx, host, "learner", "s3cret1"); err != nil {
		t.Fatalf("first login: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "accounts.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"learner": "$2a$`) || strings.Contains(string(b), "s3cret1") {
		t.Errorf("accounts.json: got %s; want a bcrypt hash for learner and no password", b)
	}
	if err := registry.CheckLogin(ctx, host, "learner", "s3cret1"); err != nil {
		t.Errorf("second login: %v", err)
	}
	var ue *registry.UnauthorizedError
	if err := registry.CheckLogin(ctx, host, "learner", "wrong-password"); !errors.As(err, &ue) {
		t.Errorf("wrong password: got %v; want an UnauthorizedError", err)
	}

	// Push to learner/* with learner's credentials; pull anonymously.
	s := store.NewMemory()
	img := testimage.PullTest()
	src := host + "/learner/app:v1"
	cfg, _ := registry.ParseConfig(nil)
	cfg.Set(host, "learner", "s3cret1")
	auth := registry.WithRemote(remote.WithAuthFromKeychain(cfg.Keychain()))
	r, _ := name.ParseReference(src)
	if err := remote.Write(r, img, remote.WithAuthFromKeychain(cfg.Keychain())); err != nil {
		t.Fatalf("push to own namespace: %v", err)
	}
	res, err := registry.Pull(ctx, s, r, nil)
	if err != nil {
		t.Fatalf("anonymous pull: %v", err)
	}
	d, _ := img.Digest()
	if res.Digest != d {
		t.Errorf("pulled %s; want %s", res.Digest, d)
	}
	es, _ := s.Index(ctx)
	// learner may not push to somebody else's namespace, nor anyone anonymously.
	for _, tc := range []struct {
		name string
		opts []registry.Option
	}{
		{"other namespace", []registry.Option{auth}},
		{"anonymous", nil},
	} {
		other, _ := name.NewTag(host + "/someone/app:v1")
		_, err := registry.Push(ctx, s, other, es[0].Descriptor, tc.opts...)
		if !errors.As(err, &ue) {
			t.Errorf("%s: push to someone/app: got %v; want an UnauthorizedError", tc.name, err)
		} else if tc.name == "other namespace" && ue.Detail != "denied: requested access to the resource is denied" {
			t.Errorf("%s: got detail %q; want Docker Hub's %q", tc.name, ue.Detail, "denied: requested access to the resource is denied")
		}
	}
	// Account creation is rate-limited per client.
	if err := registry.CheckLogin(ctx, host, "second", "password2"); err != nil {
		t.Fatalf("second account: %v", err)
	}
	err = registry.CheckLogin(ctx, host, "third", "password3", registry.WithRemote(remote.WithRetryBackoff(remote.Backoff{Steps: 1})))
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Errorf("third account within the hour: got %v; want a 429", err)
	}
}
