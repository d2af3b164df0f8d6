package proxy

import (
	"net/url"
	"testing"
)

func TestOperatorAuthOnlyForPullTokens(t *testing.T) {
	h, err := New(WithUpstreamAuth("docker.io", "operator", "opsecret"))
	if err != nil {
		t.Fatal(err)
	}
	const cred = "Basic b3BlcmF0b3I6b3BzZWNyZXQ="
	tests := []struct {
		name, host, path, query, want string
	}{
		{"pull token", "auth.docker.io", "/token", "service=registry.docker.io&scope=repository:library/nginx:pull", cred},
		{"two pull scopes", "auth.docker.io", "/token", "scope=repository:a/b:pull&scope=repository:library/c:pull", cred},
		{"no scope (login)", "auth.docker.io", "/token", "service=registry.docker.io", cred},
		{"push scope", "auth.docker.io", "/token", "scope=repository:learner/app:pull,push", ""},
		{"push among pulls", "auth.docker.io", "/token", "scope=repository:a/b:pull&scope=repository:learner/app:push", ""},
		{"the registry itself", "registry-1.docker.io", "/v2/library/nginx/manifests/latest", "", ""},
		{"another realm", "ghcr.io", "/token", "scope=repository:x/y:pull", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			if got := h.operatorAuth(tc.host, tc.path, q); got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}
