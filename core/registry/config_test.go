package registry_test

import (
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/layerlab/layerlab/core/registry"
)

// The config files docker 28.2 wrote (scripts/record-registry-golden) are what Marshal writes.
func TestConfigMatchesDockers(t *testing.T) {
	want, err := os.ReadFile("../cli/testdata/registry/login.config.json")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := registry.ParseConfig(nil)
	c.Set("AUTHREGISTRY", "learner", "s3cret")
	got, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("after login: got %q; want %q", got, want)
	}
	c2, err := registry.ParseConfig(got)
	if err != nil {
		t.Fatal(err)
	}
	if !c2.Remove("AUTHREGISTRY") || c2.Remove("AUTHREGISTRY") {
		t.Errorf("Remove: want true then false")
	}
	want, _ = os.ReadFile("../cli/testdata/registry/logout.config.json")
	got, _ = c2.Marshal()
	if string(got) != string(want) {
		t.Errorf("after logout: got %q; want %q", got, want)
	}
}

func TestConfigKeychain(t *testing.T) {
	c, err := registry.ParseConfig([]byte(`{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"},"https://quay.io":{"auth":"cTpy"}},"credsStore":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ reg, user, pass string }{
		{"index.docker.io", "u", "p"},
		{"quay.io", "q", "r"},
		{"127.0.0.1:5000", "", ""},
	}
	for _, tc := range tests {
		r, _ := name.NewRegistry(tc.reg)
		a, err := c.Keychain().Resolve(r)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Username != tc.user || cfg.Password != tc.pass {
			t.Errorf("%s: got %q:%q; want %q:%q", tc.reg, cfg.Username, cfg.Password, tc.user, tc.pass)
		}
		if tc.user == "" && a != authn.Anonymous {
			t.Errorf("%s: got %v; want anonymous", tc.reg, a)
		}
	}
	b, _ := c.Marshal()
	if c2, _ := registry.ParseConfig(b); c2 == nil {
		t.Fatal("round trip failed")
	} else if string(mustMarshal(t, c2)) != string(b) {
		t.Errorf("round trip changed the config: %s", b)
	}
}

func mustMarshal(t *testing.T, c *registry.Config) []byte {
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
