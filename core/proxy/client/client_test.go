package client_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/layerlab/layerlab/core/proxy/client"
)

func TestTransportMapsHosts(t *testing.T) {
	var got []string
	base, _ := url.Parse("http://127.0.0.1:8080")
	tr := &client.Transport{Base: base, Next: rtFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.String())
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}}, nil
	})}
	for _, u := range []string{
		"https://index.docker.io/v2/library/nginx/manifests/latest",
		"https://auth.docker.io/token?scope=repository%3Alibrary%2Fnginx%3Apull&service=registry.docker.io",
		"http://127.0.0.1:8080/v2/",
	} {
		req, _ := http.NewRequest("GET", u, nil)
		if _, err := tr.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"http://127.0.0.1:8080/proxy/index.docker.io/v2/library/nginx/manifests/latest",
		"http://127.0.0.1:8080/proxy/auth.docker.io/token?scope=repository%3Alibrary%2Fnginx%3Apull&service=registry.docker.io",
		"http://127.0.0.1:8080/v2/",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %q; want %q", got[i], want[i])
		}
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestHostMapSendsDockerHubToBase(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:8080")
	type sent struct{ url, host, registry string }
	var got []sent
	m := &client.HostMap{Hosts: client.DockerHubHosts, Base: base, Next: rtFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, sent{r.URL.String(), r.Host, r.Header.Get(client.RegistryHeader)})
		h := http.Header{}
		if strings.HasSuffix(r.URL.Path, "/uploads/") {
			h.Set("Location", "http://127.0.0.1:8080/v2/learner/app/blobs/uploads/123?_state=x")
		}
		return &http.Response{StatusCode: 202, Body: io.NopCloser(strings.NewReader("")), Header: h}, nil
	})}
	tests := []struct {
		in       string
		want     sent
		location string
	}{
		{"https://index.docker.io/v2/learner/app/blobs/uploads/", sent{"http://127.0.0.1:8080/v2/learner/app/blobs/uploads/", "index.docker.io", "https://index.docker.io"}, "https://index.docker.io/v2/learner/app/blobs/uploads/123?_state=x"},
		{"https://registry-1.docker.io/v2/", sent{"http://127.0.0.1:8080/v2/", "registry-1.docker.io", "https://registry-1.docker.io"}, ""},
		{"https://ghcr.io/v2/", sent{"https://ghcr.io/v2/", "", ""}, ""},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest("POST", tc.in, nil)
		got = nil
		resp, err := m.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want.host == "" {
			tc.want.host = req.Host
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: sent %+v; want %+v", tc.in, got, tc.want)
		}
		if l := resp.Header.Get("Location"); l != tc.location {
			t.Errorf("%s: Location %q; want %q", tc.in, l, tc.location)
		}
		if tc.want.registry != "" && resp.Request != req {
			t.Errorf("%s: resp.Request is not the request the client sent", tc.in)
		}
	}
}
